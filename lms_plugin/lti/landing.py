"""Where a launch lands when it names no module: the first page a feature claims for this
person, else the programme overview. Features register their choice in their `init_app`
(certification: a supervisor's queue), so the launch never imports them.

What a choice needs to know from the database is registered with it as a *fact*: a SQL
condition on the person's id, read in the same statement that records the person at
launch (`lti.services.record_launch`), so choosing costs the launch no query."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask, current_app, url_for

from ..users.models import User
from ..users.sessions import Fact  # person id column -> a value (here: a condition)

Chooser = Callable[[User, set[str], Mapping[str, bool]], str | None]
KEY = "lms_plugin.landing"
FACTS = "lms_plugin.landing_facts"


def register_landing(app: Flask, chooser: Chooser,
                     facts: Mapping[str, Fact] | None = None) -> None:
    """`chooser(person, roles, facts)` returns a URL to land on, or None to leave it to
    others; `facts` (name -> condition on the person's id) are read for it at launch."""
    app.extensions.setdefault(KEY, []).append(chooser)
    app.extensions.setdefault(FACTS, {}).update(facts or {})


def landing_facts() -> dict[str, Fact]:
    return dict(current_app.extensions.get(FACTS, {}))


def landing_url(user: User, roles: set[str], facts: Mapping[str, bool]) -> str:
    for chooser in current_app.extensions.get(KEY, []):
        if (url := chooser(user, roles, facts)) is not None:
            return url
    return url_for("training.overview")
