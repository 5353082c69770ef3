"""Signed-in test clients without a launch (authorization, not the launch, under test),
the `World` they act in (tests/functional/conftest.py builds it), and the URL of any rule
of the app with the world's ids filled in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

ROLES = ["anonymous", "learner", "trainee", "supervisor_other", "supervisor_this",
         "instructor_other", "admin"]
# The second organisation: another LMS registered with the tool, and its people's roles.
OTHER_ISSUER = "https://other-lms.example.net"
OTHER_ORG_ROLES = {"learner": "learner", "mentor": "mentor", "instructor": "instructor",
                   "admin": "admin"}

RAW_CSRF = "matrix-csrf-raw-token"


@dataclass(frozen=True)
class Person:
    """Whom a test client is signed in as: their id and tool roles."""
    user_id: int
    roles: list[str]
    session_version: int = 1  # a new person's sessions are at version 1


@dataclass(frozen=True)
class World:
    """Everyone of the authorization matrix: `own`, each role (ROLES but "anonymous") of
    the organisation whose objects are opened; `other`, each role (OTHER_ORG_ROLES) of a
    second organisation; `values`, URL arguments naming the first one's objects;
    `rejected_id`, its rejected hours entry."""
    own: dict[str, Person]
    other: dict[str, Person]
    values: dict[str, Any]
    rejected_id: int

    def signed_in_as(self, role: str) -> Person | None:
        """The own organisation's `role`; None for "anonymous"."""
        return None if role == "anonymous" else self.own[role]


def client_for(app: Flask, person: Person | None) -> FlaskClient:
    """Signed in as the person (None: anonymous), with a valid CSRF token in the session:
    authorization, not CSRF, is under test here (CSRF has its own tests)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = RAW_CSRF
        if person is not None:
            session["_user_id"] = str(person.user_id)
            session["_fresh"] = True
            session["roles"] = person.roles
            session["session_version"] = person.session_version
    return client


def csrf_token(app) -> str:
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(RAW_CSRF)


def url_for_rule(rule, values: dict, rejected_id: int) -> str:
    params = dict(values)
    if rule.endpoint in ("training.module", "training.lesson", "training.complete_lesson",
                         "training.module_completed", "quiz.start_page", "quiz.start"):
        params["slug"] = "listening"
    if rule.endpoint in ("certification.resubmit", "certification.withdraw"):
        params["entry_id"] = rejected_id  # withdrawing it is refused: the pending one stays
    if rule.endpoint == "certification.verify":
        params["code"] = values["code"]
    url = rule.rule
    for arg in rule.arguments:
        url = url.replace(f"<int:{arg}>", str(params[arg])).replace(f"<{arg}>", str(params[arg]))
    return url
