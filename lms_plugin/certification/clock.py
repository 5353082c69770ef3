"""Where certification's `now()` comes from. Tests (and the demo seed) set `clock` to a
chosen moment, for example a time of day when UTC's date differs from the person's, instead
of waiting for that moment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _system_clock() -> datetime:
    return datetime.now(UTC)


# Where `now()` comes from. Tests set it to a chosen moment (for example a time of day when
# UTC's date differs from the person's) instead of waiting for that moment.
clock: Callable[[], datetime] = _system_clock


def now() -> datetime:
    return clock()



def aware(value: datetime) -> datetime:
    """A stored time as an aware one (SQLite gives them back naive, in UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
