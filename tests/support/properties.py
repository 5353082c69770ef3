"""How many examples a hypothesis property runs on this database."""

from __future__ import annotations

import os


def examples(n: int, database: str) -> int:
    """A property over the app and its database runs in full on PostgreSQL, the
    production path, and with a quarter of the examples (at least 5) on SQLite beside it:
    enough to meet the embedded database's own ways (lengths, integers, locking) without
    spending the suite's time twice on what the rule under test decides. Without a
    PostgreSQL server (TEST_DATABASE_URL unset) SQLite runs them all."""
    if database == "postgresql" or not os.environ.get("TEST_DATABASE_URL"):
        return n
    return max(5, n // 4)
