"""Events that travel up from training: packages above (certification) subscribe, so
training never imports them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the user (sender) and `module_slug=` once a module's completion is recorded,
# in the same transaction: a quiz pass or the last lesson.
module_completed = _signals.signal("module-completed")
