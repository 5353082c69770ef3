"""An LTI login through the test client, and what a launch stores (to show a refused one
stores nothing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from lms_plugin.extensions import db
from lms_plugin.store import SharedState
from lms_plugin.users.models import Course, Enrollment, MentorScope, User
from tests.support.browser import query
from tests.support.platform import TestPlatform


def login(client: Any, platform: TestPlatform) -> tuple[str, str]:
    response = client.get(
        "/lti/login",
        query_string={
            "iss": platform.issuer,
            "login_hint": "someone",
            "target_link_uri": "http://localhost/lti/launch",
            "client_id": platform.client_id,
        },
    )
    assert response.status_code == 302
    params = query(response.headers["Location"])
    assert params["redirect_uri"] == "http://localhost/lti/launch"
    return params["state"], params["nonce"]


def stored(app: Any) -> dict[str, int]:
    with app.app_context():
        counts = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Course, Enrollment, MentorScope)
        }
        counts["launch data"] = db.session.scalar(
            select(func.count())
            .select_from(SharedState)
            .where(SharedState.key.like("%lti1p3-launch-%"))
        )
    return counts


NOTHING = {"user": 0, "course": 0, "enrollment": 0, "mentor_scope": 0, "launch data": 0}
