"""First launches arriving together: several people opening the tool for the first time
in a course nobody has launched from yet, and one person launching twice at once. Each is
one row per person, course and enrolment, and none answers an error (issue 15: select
then insert hit the unique constraints)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from lms_plugin.extensions import db
from lms_plugin.lti.claims import LaunchClaims
from lms_plugin.lti.models import AgsEndpoint, Platform
from lms_plugin.lti.services import record_launch
from lms_plugin.users.models import Course, Enrollment, User
from tests.support.factories import organisation_of

# Threads, each with its own connection: the rows they commit must be seen by the others.
pytestmark = pytest.mark.commits

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ISSUER, OTHER = "https://lms.example.org", "https://other-lms.example.org"


def organisation(app: Any, issuer: str) -> int:
    with app.app_context():
        found = organisation_of(issuer)
        db.session.commit()
        return found


def claims(sub: str, **extra: Any) -> dict[str, Any]:
    return {"iss": ISSUER, "sub": sub, "name": f"Person {sub}",
            CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            CLAIM + "context": {"id": "new-course", "title": "Wellbeing 101"}, **extra}


def launch_together(app: Any, organisation_id: int, subs: list[str],
                    platform_id: int | None = None) -> list[object]:
    """Launch every sub at once; with `platform_id`, each launch carries an AGS claim
    that is recorded too."""
    barrier = threading.Barrier(len(subs))
    outcomes: list[object] = []

    def launch(sub: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                extra = {AGS: {"scope": [SCORE], "lineitem": "https://lms.example.org/li/1"},
                         CLAIM + "resource_link": {"id": "link-1"}} if platform_id else {}
                parsed = LaunchClaims.parse(claims(sub, **extra))
                identity = record_launch(parsed, organisation_id, None, platform_id)
                db.session.commit()
                outcomes.append(identity.user.sub)
            except Exception as exc:  # noqa: BLE001 - any failure is what this test reports
                db.session.rollback()
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=launch, args=(sub,)) for sub in subs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_first_launches_into_a_new_course_at_once_make_one_course(app):
    organisation_id, other = organisation(app, ISSUER), organisation(app, OTHER)
    subs = [f"s{i}" for i in range(6)]
    outcomes = launch_together(app, organisation_id, subs)
    assert sorted(map(str, outcomes)) == subs, outcomes
    with app.app_context():
        assert count(Course) == 1 and count(User) == 6 and count(Enrollment) == 6
        course = db.session.scalars(select(Course)).one()
        assert course.title == "Wellbeing 101" and course.organisation_id == organisation_id
        # The same course id from another organisation's LMS is another course.
        record_launch(LaunchClaims.parse(dict(claims("s0"), iss=OTHER)), other)
        db.session.commit()
        assert count(Course) == 2 and count(User) == 7


def test_one_person_launching_twice_at_once_is_one_person_with_one_enrolment(app):
    organisation_id = organisation(app, ISSUER)
    with app.app_context():
        platform = Platform(issuer=ISSUER, client_id="c", auth_login_url=ISSUER + "/auth",
                            auth_token_url=ISSUER + "/token", keyset_url=ISSUER + "/jwks",
                            organisation_id=organisation_id)
        db.session.add(platform)
        db.session.commit()
        platform_id = platform.id
    outcomes = launch_together(app, organisation_id, ["same", "same", "same"], platform_id)
    assert outcomes == ["same", "same", "same"], outcomes
    with app.app_context():
        assert count(User) == 1 and count(Enrollment) == 1 and count(Course) == 1
        endpoint = db.session.scalars(select(AgsEndpoint)).one()  # one grade route, too
        assert endpoint.lineitem_url == "https://lms.example.org/li/1"
        assert endpoint.course_id == db.session.scalars(select(Course.id)).one()
