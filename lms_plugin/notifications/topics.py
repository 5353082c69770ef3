"""The kinds of e-mail the tool sends. Each is declared with `declare_topic(...)` beside
the code that sends it (services.py, "events"): its subject, whether a person may turn it
off, and how the preferences page describes it. `TOPICS` gathers them (importing this
package imports services.py, so it is complete), and the preferences page lists them all:
that page, or `TOPICS`, is where to see every e-mail the tool can send.

Essential: what changes a person's standing or rights, which they must hear about even
if they turned everything else off: a certificate issued, revoked, expired or lapsed,
and their erasure request received and done. Non-essential (each may be turned off):
hours decided (the tool shows them too), renewal reminders (shown in the tool too) and a
supervisor's daily digest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    key: str  # names its templates, notifications/<key>.txt and .html
    subject: str  # translated when the e-mail is written (N_)
    essential: bool
    label: str  # on the preferences page, translated there (N_)


TOPICS: dict[str, Topic] = {}  # every kind declared, in the order declared


def declare_topic(key: str, *, subject: str, label: str, essential: bool) -> str:
    """Declare a kind of e-mail; returns its key, which `notify` takes. Declaring the same
    kind again (a module imported twice) changes nothing; another kind under a key
    already taken is a mistake."""
    declared = Topic(key, subject, essential, label)
    if TOPICS.setdefault(key, declared) != declared:
        raise ValueError(f"Two kinds of e-mail are named {key!r}")
    return key


def optional() -> tuple[str, ...]:
    """The kinds a person may turn off."""
    return tuple(key for key, kind in TOPICS.items() if not kind.essential)


def may_opt_out(key: str) -> bool:
    return key in TOPICS and not TOPICS[key].essential
