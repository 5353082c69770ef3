"""One registry of personal data (declared beside each model with
lms_plugin.personal_data.declare, read through lms_plugin/privacy/registry.py) that export
and erasure both read: every table column that points at a person is in it; a person with
a row of every kind gets every kind back (as a page and as JSON) and erasure removes,
keeps or anonymises each kind as the registry says, and touches nobody else."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from lms_plugin.audit import AuditEvent
from lms_plugin.certification.models import (
    AttestationSignature,
    Certificate,
    DirectoryListing,
    LoggedHours,
    ProgrammeEnrolment,
    Reminder,
    RolePlayObservation,
    SupervisorAssignment,
    Waiver,
)
from lms_plugin.extensions import db
from lms_plugin.jobs.models import OutboxMessage
from lms_plugin.lti.ags import SCORE_KIND
from lms_plugin.lti.models import AgsEndpoint, Platform
from lms_plugin.lti.registration import save_platform
from lms_plugin.notifications.models import Notification, NotificationOptOut
from lms_plugin.personal_data import DELETE, Item
from lms_plugin.privacy import registry
from lms_plugin.privacy.services import erase_person
from lms_plugin.quiz.models import QuizAllowance, QuizAttempt
from lms_plugin.reporting.models import SurveyCompletion
from lms_plugin.training.models import (
    LearnerModule,
    LearnerProgress,
    LessonProgress,
)
from lms_plugin.users.models import ERASED_NAME, LocalCredential, MentorScope, User
from tests.support import factories
from tests.support.authorization import Person, client_for

SECRET_HASH = "scrypt:32768:8:1$not-for-anyone$0123456789abcdef"
THEIR_REFLECTION = "Talked through a hard week; used open questions."
THEIR_EVIDENCE = "Certificate in peer listening, 2024, seen by me."


# --- the registry covers every column that points at a person -------------------------------


def person_links(metadata: sa.MetaData) -> set[tuple[str, str]]:
    """(table, column) pairs that point at a person: a foreign key to user.id, an LMS id
    (`*_sub`), or a foreign key to rows that each belong to one person (a table with a
    user_id), such as a certificate's reminders."""
    owned = {t.name for t in metadata.sorted_tables if "user_id" in t.c}
    links = {("user", "id")}
    for table in metadata.sorted_tables:
        for column in table.c:
            targets = {fk.column.table.name for fk in column.foreign_keys}
            if "user" in targets or column.name.endswith("_sub") or (
                    targets & owned and table.name not in owned):
                links.add((table.name, column.name))
    return links


def covered(items: tuple[Item, ...]) -> set[tuple[str, str]]:
    return {(item.model.__table__.name, column) for item in items for column in item.links}


def test_every_column_that_points_at_a_person_is_in_the_registry():
    missing = person_links(db.metadata) - covered(registry.items())
    assert missing == set(), f"personal data with no personal_data.declare: {missing}"
    for item in registry.items():  # and the registry names real columns
        assert set(item.links) <= set(item.model.__table__.c.keys()), item.key
    keys = [item.key for item in registry.items()]
    assert len(keys) == len(set(keys))


def test_the_list_starts_with_who_you_are_then_goes_package_by_package():
    """However the models happen to be imported, the page reads in one order."""
    kinds = registry.items()
    assert kinds[0].key == "person" and kinds[0].single
    places = [registry.ORDER.index(i.model.__module__.split(".")[1]) for i in kinds]
    assert places == sorted(places)
    assert kinds[-1].model is AuditEvent


def test_a_new_table_about_people_is_caught():
    """The check above fails for a table it has never seen (so it can fail)."""
    metadata = sa.MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    sa.Table("wellbeing_note", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("author_id", sa.ForeignKey("user.id")), sa.Column("text", sa.Text))
    sa.Table("note_reply", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("certificate_id", sa.ForeignKey("certificate.id")))
    assert person_links(metadata) - covered(registry.items()) == {
        ("wellbeing_note", "author_id"), ("note_reply", "certificate_id")}
    without_reminders = tuple(i for i in registry.items() if i.model is not Reminder)
    assert ("certificate_reminder", "certificate_id") in (
        person_links(db.metadata) - covered(without_reminders))


# --- a person with a row of every kind ---------------------------------------------------------


def seed(name: str, other: User | None = None) -> User:
    """A person with a row of every kind the registry lists; `other` is the colleague
    they supervise, grant a waiver to, revoke and assign (so those rows exist too)."""
    now = datetime.now(UTC)
    person = factories.user(name, roles="admin mentor")
    person.email = f"{name.split()[0].lower()}@example.org"
    platform = db.session.scalars(select(Platform).where(
        Platform.issuer == factories.ISSUER)).one()
    uid = person.id
    factories.completed(person, "listening", 90)
    certificate = Certificate(user_id=uid, programme_slug="listener", programme_version="v",
                              code=f"CODE{uid:016d}", holder_name=name,
                              expires_at=now + timedelta(days=300),
                              evidence_json='{"requirements": ["all met"]}')
    db.session.add_all([
        LocalCredential(user_id=uid, email=person.email, password_hash=SECRET_HASH),
        MentorScope(mentor_id=uid, mentee_sub=f"mentee-of-{uid}"),
        LessonProgress(user_id=uid, module_slug="listening", lesson_id="l1", module_version="v"),
        LearnerModule(user_id=uid, module_slug="listening"),
        LearnerProgress(user_id=uid, modules_started=1, modules_completed=1),
        QuizAttempt(user_id=uid, quiz_slug="listening", quiz_version="v", layout_json="[]",
                    answers_json='{"q": ["a"]}', score=Decimal(90), passed=True),
        QuizAllowance(user_id=uid, quiz_slug="listening", extra_attempts=1,
                      reason="Was unwell on the day."),
        SurveyCompletion(user_id=uid, phase="pre"),
        AgsEndpoint(user_id=uid, platform_id=platform.id, resource_link_id="rl",
                    lineitem_url="https://lms.example.org/li/1", scopes="score"),
        OutboxMessage(kind=SCORE_KIND, payload_json=json.dumps({
            "platform_id": platform.id, "ags": {},
            "score": {"userId": person.sub, "scoreGiven": 90, "timestamp": now.isoformat()}})),
        ProgrammeEnrolment(user_id=uid, programme_slug="listener", enrolled_at=now),
        LoggedHours(user_id=uid, programme_slug="listener", category="practice",
                    kind="check-in", hours=Decimal(1), activity_date=now,
                    reflection="My own reflection."),
        AttestationSignature(user_id=uid, programme_slug="listener",
                             attestation_id="code-of-conduct", programme_version="v"),
        Waiver(user_id=uid, programme_slug="listener", requirement_id="module",
               evidence="Mine.", reason="Prior course."),
        certificate,
        DirectoryListing(user_id=uid, contact="Desk 12", languages="English",
                         availability="Mornings"),
        AuditEvent(action="privacy.export", actor_id=uid, subject_id=uid),
        Notification(user_id=uid, topic="hours_decided", dedupe_key=f"hours_decided:{uid}:1",
                     context_json='{"reason": "Well reflected."}'),
        NotificationOptOut(user_id=uid, topic="renewal_reminder"),
        RolePlayObservation(user_id=uid, programme_slug="listener", roleplay_id="first-talk",
                            roleplay_version="v", marks_json='{"opens": "competent"}',
                            competent=True),
    ])
    db.session.flush()
    db.session.add(Reminder(certificate_id=certificate.id, days_before=30, due_at=now))
    if other is not None:
        factories.mentor_of(other, person)  # the LMS names `other` as their mentor
        db.session.add_all([
            LoggedHours(user_id=other.id, programme_slug="listener", category="practice",
                        kind="check-in", hours=Decimal(2), activity_date=now,
                        reflection=THEIR_REFLECTION, supervisor_id=uid, decided_by_id=uid,
                        status="approved", decision_reason="Well reflected."),
            Waiver(user_id=other.id, programme_slug="listener", requirement_id="practice",
                   evidence=THEIR_EVIDENCE, reason="Seen the certificate.", granted_by_id=uid),
            Certificate(user_id=other.id, programme_slug="listener", programme_version="v",
                        code=f"REVOKED{uid:013d}", holder_name=other.name or "",
                        expires_at=now + timedelta(days=300), revoked_at=now,
                        revoked_by_id=uid, revocation_reason="Breach.", evidence_json="{}"),
            SupervisorAssignment(supervisor_id=other.id, trainee_id=uid, assigned_by_id=uid),
            SupervisorAssignment(supervisor_id=uid, trainee_id=other.id),
            QuizAllowance(user_id=other.id, quiz_slug="skills", extra_attempts=1,
                          granted_by_id=uid, reason="Was on leave."),
            RolePlayObservation(user_id=other.id, programme_slug="listener",
                                roleplay_id="first-talk", roleplay_version="v",
                                supervisor_id=uid, marks_json='{"opens": "not_yet"}'),
        ])
    db.session.flush()
    return person


@pytest.fixture
def people(app) -> tuple[int, int]:
    with app.app_context():
        save_platform(issuer=factories.ISSUER, client_id="client-1",  # their LMS, first
                      auth_login_url=factories.ISSUER + "/auth",
                      auth_token_url=factories.ISSUER + "/token")
        colleague = seed("Kim Other")
        sam = seed("Sam Okafor", other=colleague)
        db.session.commit()
        return sam.id, colleague.id


def counts(person: User) -> dict[str, int]:
    return {item.key: len(item.rows(person)) for item in registry.items()}


def found(person: User) -> dict[str, set[tuple[type, Any]]]:
    """Each item's rows, as (model, primary key)."""
    return {item.key: {(item.model, sa.inspect(r).identity) for r in item.rows(person)}
            for item in registry.items()}


def test_a_person_with_every_kind_of_record_gets_every_kind_back(app, people):
    sam_id, kim_id = people
    client = client_for(app, Person(sam_id, ["learner"]))
    data = client.get("/privacy/my-data.json").get_json()
    for item in registry.items():
        assert data[item.key], f"{item.key} missing from the export"
        assert data["what_each_item_is"][item.key]["what"] == item.description
    # What the review found missing: module progress, grade endpoints, reminders.
    assert data["module_progress"][0]["module_slug"] == "listening"
    assert data["grade_endpoints"][0]["lineitem_url"] == "https://lms.example.org/li/1"
    assert data["certificate_reminders"][0]["days_before"] == 30
    # Scores in the outbox are found in the payload, not by a column, so the walk over the
    # tables cannot notice their declaration (lti/ags.py) going missing; this does.
    assert data["grades_for_the_lms"][0]["kind"] == SCORE_KIND
    assert data["person"]["name"] == "Sam Okafor"
    body = json.dumps(data)
    # Secrets and other people's words stay out; so does everything of the colleague's own.
    for never in (SECRET_HASH, THEIR_REFLECTION, THEIR_EVIDENCE, "kim@example.org",
                  f"mentee-of-{kim_id}"):
        assert never not in body


def test_the_export_is_a_page_that_says_what_each_item_is(app, people):
    sam_id, _ = people
    client = client_for(app, Person(sam_id, ["learner"]))
    response = client.get("/privacy/my-data")
    assert response.status_code == 200
    page = (response.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")
            .replace("&amp;", "&"))
    for item in registry.items():
        assert f'<h2 id="{item.key}">{item.title}</h2>' in page
        assert item.description in page and item.on_erasure in page
    assert 'href="/privacy/my-data.json"' in page
    assert "Sam Okafor" in page and "Desk 12" in page
    assert SECRET_HASH not in page and THEIR_REFLECTION not in page
    privacy = client.get("/privacy").get_data(as_text=True)
    assert 'href="/privacy/my-data"' in privacy and 'href="/privacy/my-data.json"' in privacy
    with app.app_context():
        formats = [json.loads(d)["format"] for d in db.session.scalars(
            select(AuditEvent.detail_json).where(AuditEvent.action == "privacy.export",
                                                 AuditEvent.actor_id == sam_id))
                   if json.loads(d)]
        assert formats == ["page"]


def test_erasure_does_what_the_registry_says_to_each_kind_and_nothing_else(app, people):
    sam_id, kim_id = people
    with app.app_context():
        sam, kim = db.session.get(User, sam_id), db.session.get(User, kim_id)
        as_before = User(id=sam.id, issuer=sam.issuer, sub=sam.sub)  # to find rows by old sub
        before, kim_before = found(as_before), counts(kim)
        assert all(before.values()), before
        admin = factories.user("Riley Chen", roles="admin")
        removed = erase_person(sam, admin)
        db.session.commit()
        after = found(as_before)
        # A row two items find (an assignment Sam made of a supervisor to Sam) goes if
        # either item deletes it.
        deleted = set().union(*(before[i.key] for i in registry.items()
                                if i.erasure == DELETE))
        for item in registry.items():
            if item.erasure == DELETE:
                assert after[item.key] == set(), item.key
                assert removed[item.key] == len(before[item.key]), item.key
            else:
                kept = before[item.key] - deleted
                assert kept <= after[item.key], item.key
                new = after[item.key] - kept  # erasure is itself audited
                assert new == ({(AuditEvent, (e.id,)) for e in db.session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "person.erase"))}
                    if item.model is AuditEvent else set()), item.key
        assert after["hours_you_supervised"] and after["certificates_you_revoked"]
        sam = db.session.get(User, sam_id)
        assert (sam.name, sam.email, sam.department) == (ERASED_NAME, None, None)
        assert sam.sub.startswith("erased-")
        certificate = db.session.scalars(select(Certificate).where(
            Certificate.user_id == sam_id)).one()
        assert certificate.evidence == {} and certificate.holder_name == "Sam Okafor"
        # The colleague's own records stay; only their links to Sam went: the LMS naming
        # Kim as Sam's mentor, and the supervisor assignments between them.
        kim_after = counts(kim)
        changed = {k for k in kim_before if kim_before[k] != kim_after[k]}
        assert changed == {"mentees_from_the_lms", "trainees_assigned_to_you",
                           "supervisors_assigned"}, (kim_before, kim_after)
        assert THEIR_REFLECTION in db.session.scalars(select(LoggedHours.reflection).where(
            LoggedHours.user_id == kim_id)).all()
