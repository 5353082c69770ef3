"""Events that travel up from quizzes: packages above (training) subscribe, so quiz never
imports them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the user (sender) and `module_slug=` when a try of that module's quiz starts.
attempt_started = _signals.signal("attempt-started")
# Sent with the user (sender) and `module_slug=` once a try is graded and recorded, in the
# same transaction. A receiver that records the module's completion returns it.
attempt_submitted = _signals.signal("attempt-submitted")
