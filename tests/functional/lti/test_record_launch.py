"""What a launch's upserts keep and replace (`lti.services.record_launch`: one Core
statement each, no ORM object loaded), and the roster sync a launch queues from the
course row its upsert returned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.lti import nrps
from lms_plugin.lti.claims import LaunchClaims
from lms_plugin.lti.models import AgsEndpoint, Platform
from lms_plugin.lti.services import record_launch
from lms_plugin.users.models import Course, Enrollment, User
from tests.support.factories import organisation_of

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
ISSUER = "https://lms.example.org"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
MEMBERS = "https://lms.example.org/nrps/memberships"


def claims(**extra: Any) -> LaunchClaims:
    context = extra.pop("context", {"id": "course-1"})
    return LaunchClaims.parse({"iss": ISSUER, "sub": "s1", CLAIM + "roles": [LEARNER],
                               CLAIM + "context": context, **extra})


def launch(parsed: LaunchClaims) -> Any:
    organisation_id = organisation_of(ISSUER)
    identity = record_launch(parsed, organisation_id)
    db.session.commit()
    return identity


def test_what_a_relaunch_leaves_out_is_kept_and_what_it_sends_replaces(app):
    with app.app_context():
        first = launch(claims(name="Ana", email="ana@example.org", context={
            "id": "course-1", "title": "Wellbeing 101", "label": "WB101"},
            **{CLAIM + "custom": {"department": "Nursing"},
               CLAIM + "launch_presentation": {"locale": "es"}}))
        launch(claims(name="", context={"id": "course-1"}))  # nothing sent ("" is nothing)
        person = db.session.get(User, first.user.id)
        course = db.session.get(Course, first.course.id)
        assert person is not None and course is not None
        assert (person.name, person.email, person.department, person.locale) == (
            "Ana", "ana@example.org", "Nursing", "es")
        assert (course.title, course.label) == ("Wellbeing 101", "WB101")
        launch(claims(name="Ana Ruiz", context={"id": "course-1", "title": "Wellbeing 102"}))
        db.session.expire_all()
        assert (person.name, person.email, course.title, course.label) == (
            "Ana Ruiz", "ana@example.org", "Wellbeing 102", "WB101")
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert person.session_version == first.user.session_version == 1


def roster_messages() -> int:
    return int(db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == nrps.ROSTER_KIND)) or 0)


def test_the_enrolment_and_grade_route_follow_each_launch(app):
    """On PostgreSQL the person's statement writes them once the course is stored (a
    data-modifying CTE); a new course's, and SQLite's, are their own upserts: the rows are
    the same either way."""
    ags = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    instructor = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"

    def graded(lineitem: str, **extra: Any) -> LaunchClaims:
        return claims(**{ags: {"scope": ["s1", "s2"], "lineitem": lineitem},
                         CLAIM + "resource_link": {"id": "link-1"},
                         CLAIM + "custom": {"module": "stress"}, **extra})

    with app.app_context():
        organisation_id = organisation_of(ISSUER)
        platform = Platform(issuer=ISSUER, client_id="c", auth_login_url=ISSUER + "/auth",
                            auth_token_url=ISSUER + "/token", keyset_url=ISSUER + "/jwks",
                            organisation_id=organisation_id)
        db.session.add(platform)
        db.session.flush()

        def rows() -> tuple[Any, ...]:
            db.session.expire_all()
            enrolment = db.session.scalars(select(Enrollment)).one()
            endpoint = db.session.scalars(select(AgsEndpoint)).one()
            return (enrolment.roles, enrolment.last_seen_at, enrolment.course_id,
                    endpoint.course_id, endpoint.lineitem_url, endpoint.scopes,
                    endpoint.module_slug, endpoint.updated_at)

        first = record_launch(graded("https://lms/li/1"), organisation_id, None, platform.id)
        db.session.commit()  # a new course: written after it
        assert first.course is not None
        roles, seen, *stored = rows()
        assert (roles, *stored[:5]) == ("learner", first.course.id, first.course.id,
                                         "https://lms/li/1", "s1 s2", "stress")
        again = record_launch(graded("https://lms/li/2", **{CLAIM + "roles": [instructor]}),
                              organisation_id, None, platform.id)
        db.session.commit()  # the course is stored: written in the person's statement
        assert again.course is not None and again.course.id == first.course.id
        roles, seen_again, *stored = rows()
        assert (roles, *stored[:5]) == ("instructor", first.course.id, first.course.id,
                                         "https://lms/li/2", "s1 s2", "stress")
        assert seen_again > seen
        # No course in the launch: the grade route keeps none, the enrolment is untouched.
        record_launch(graded("https://lms/li/3", context={}), organisation_id, None,
                      platform.id)
        db.session.commit()
        roles, _, *stored = rows()
        assert (roles, stored[1], stored[2]) == ("instructor", None, "https://lms/li/3")
        # A launch without an AGS claim leaves the grade route as it was.
        record_launch(claims(), organisation_id, None, platform.id)
        db.session.commit()
        assert rows()[4] == "https://lms/li/3"


def test_a_launch_queues_a_roster_sync_once_per_period(app):
    app.config["LMS_PLUGIN_ROSTER_SYNC_SECONDS"] = 3600
    with_roster = claims(**{NRPS: {"context_memberships_url": MEMBERS,
                                   "service_versions": ["2.0"]}})
    with app.app_context():
        first = launch(with_roster).course
        assert first.memberships_url == MEMBERS and first.roster_synced_at is None
        assert nrps.request_roster_sync_at_launch(first.id, MEMBERS, None, 1)
        # Another launch that read the course before the first marked it does not queue
        # a second sync (the mark is a conditional UPDATE).
        assert not nrps.request_roster_sync_at_launch(first.id, MEMBERS, None, 1)
        db.session.commit()
        assert roster_messages() == 1
        again = launch(with_roster).course
        assert again.roster_synced_at is not None  # as the upsert returned it
        assert not nrps.request_roster_sync_at_launch(again.id, MEMBERS,
                                                      again.roster_synced_at, 1)
        course = db.session.get(Course, first.id)
        assert course is not None
        course.roster_synced_at = datetime.now(UTC) - timedelta(hours=2)
        db.session.commit()
        later = launch(with_roster).course
        assert nrps.request_roster_sync_at_launch(later.id, MEMBERS, later.roster_synced_at, 1)
        db.session.commit()
        assert roster_messages() == 2
        app.config["LMS_PLUGIN_ROSTER_SYNC_SECONDS"] = 0  # switched off
        assert not nrps.request_roster_sync_at_launch(later.id, MEMBERS, None, 1)


def test_a_platform_key_is_parsed_once_and_only_an_rsa_key_is_kept(app):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from lms_plugin.lti.validation import _verifying_key

    def pem(key: Any) -> str:
        return key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    rsa_pem = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ec_pem = pem(ec.generate_private_key(ec.SECP256R1()))
    with app.app_context():
        parsed = _verifying_key(rsa_pem)
        assert isinstance(parsed, rsa.RSAPublicKey) and _verifying_key(rsa_pem) is parsed
        # anything else goes to PyJWT as it came, which refuses it (a LaunchError, not a 500)
        assert _verifying_key(ec_pem) == ec_pem
        assert _verifying_key("not a key") == "not a key"
