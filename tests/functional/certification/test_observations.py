"""The observed skills check: a trainee's supervisor marks a role-play against its rubric;
two competent markings (here: one, the test programme's rule) complete the requirement and
may issue the certificate. Nobody else may open or post the form, in this organisation or
another; a marking with a point left out is refused and nothing is stored."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.enrolments import enrol
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.certification.models import Certificate, RolePlayObservation
from lms_plugin.extensions import db
from tests.conftest import SAMPLE_CONTENT, sync
from tests.support import factories
from tests.support.authorization import OTHER_ISSUER, Person, client_for, csrf_token

ROLEPLAY = """id: {id}
title: "{title}"
minutes: 10
setting: "A colleague has been quiet for weeks."
colleague_brief: "You play the colleague. Start guarded."
colleague_lines: ["I'm fine.", "Well, it has been a rough month."]
supporter_task: "Start the conversation and listen."
rubric:
  - {{id: private, criterion: "Finds a private moment", competent: "Checks the time suits."}}
  - {{id: asks-twice, criterion: "Asks twice", competent: "A second, sincere chance."}}
  - {{id: listens, criterion: "Listens more than talks", competent: "Open questions."}}
"""
ALL_COMPETENT = {"mark-private": "competent", "mark-asks-twice": "competent",
                 "mark-listens": "competent"}


@pytest.fixture
def people(app, tmp_path: Path) -> dict[str, Person]:
    root = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, root)
    (root / "roleplays").mkdir()
    (root / "roleplays" / "opening.yaml").write_text(
        ROLEPLAY.format(id="opening", title="Opening a conversation"))
    (root / "roleplays" / "unlisted.yaml").write_text(
        ROLEPLAY.format(id="unlisted", title="Not in the programme"))
    programme = root / "certifications" / "listener.yaml"
    programme.write_text(programme.read_text().replace(
        "attestations:", "observed_practice:\n  competent_roleplays: 1\n"
        "  roleplays: [opening]\nattestations:"))
    sync(app, root)
    with app.app_context():
        trainee = factories.user("Sam Okafor")
        mentor = factories.user("Jordan Lee", roles="mentor")
        other_mentor = factories.user("Other Mentor", roles="mentor")
        learner = factories.user("Alex Morgan")
        other_org_mentor = factories.user("Far Mentor", roles="mentor", issuer=OTHER_ISSUER)
        factories.mentor_of(mentor, trainee)
        factories.mentor_of(other_mentor, learner)
        factories.completed(trainee, "listening", 90)
        enrol(trainee, "listener").enrolled_at -= timedelta(days=7)
        yesterday = datetime.now(UTC) - timedelta(days=1)
        for hours, kind in (("3", "peer-conversation"), ("1", "supervision")):
            entry = log_hours(trainee, "listener", category="practice", kind=kind,
                              hours=Decimal(hours), activity_date=yesterday,
                              supervisor=mentor, reflection=None)
            decide_hours(entry, mentor, True, "")
        # Every other requirement met: only the observed skills check is missing.
        assert sign_attestation(trainee, "listener", "code-of-conduct") is None
        db.session.commit()
        return {name: Person(u.id, roles, u.session_version) for name, u, roles in (
            ("trainee", trainee, ["learner"]), ("mentor", mentor, ["mentor"]),
            ("other_mentor", other_mentor, ["mentor"]), ("learner", learner, ["learner"]),
            ("other_org_mentor", other_org_mentor, ["mentor"]))}


def url(people: dict[str, Person], roleplay: str = "opening", slug: str = "listener") -> str:
    return (f"/supervision/trainees/{people['trainee'].user_id}/programmes/{slug}"
            f"/roleplays/{roleplay}")


def stored(app) -> list[tuple[str, bool]]:
    with app.app_context():
        return [(o.roleplay_id, o.competent) for o in db.session.scalars(
            select(RolePlayObservation).order_by(RolePlayObservation.id))]


def certificates(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Certificate.id)).where(
            Certificate.programme_slug == "listener")) or 0


def test_the_supervisor_marks_a_role_play_and_the_certificate_follows(app, people):
    supervisor = client_for(app, people["mentor"])
    page = supervisor.get(url(people))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("Opening a conversation", "You play the colleague", "I&#39;m fine.",
                 "Asks twice", 'name="mark-asks-twice" value="not_yet"'):
        assert text in html, text
    progress = supervisor.get(f"/supervision/trainees/{people['trainee'].user_id}")
    assert "Observed skills check: 0 of 1 different role-plays marked competent" in (
        progress.get_data(as_text=True))
    assert url(people) in progress.get_data(as_text=True)  # the link to the form
    assert certificates(app) == 0

    # A "not yet" on one point: recorded as feedback, the requirement stays unmet.
    not_yet = supervisor.post(url(people), data={
        "csrf_token": csrf_token(app), **ALL_COMPETENT, "mark-listens": "not_yet"})
    assert not_yet.status_code == 302
    assert stored(app) == [("opening", False)]
    assert certificates(app) == 0

    done = supervisor.post(url(people), data={"csrf_token": csrf_token(app), **ALL_COMPETENT},
                           follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Recorded: Opening a conversation, competent." in html
    assert "Sam Okafor is now certified." in html
    assert "Observed skills check: 1 of 1 different role-plays marked competent" in html
    assert stored(app) == [("opening", False), ("opening", True)]
    assert certificates(app) == 1
    with app.app_context():
        observation = db.session.scalars(select(RolePlayObservation).order_by(
            RolePlayObservation.id.desc())).first()
        assert observation.supervisor_id == people["mentor"].user_id
        assert observation.marks == {"private": "competent", "asks-twice": "competent",
                                     "listens": "competent"}


@pytest.mark.parametrize("form", [
    {k: v for k, v in ALL_COMPETENT.items() if k != "mark-listens"},  # a point left out
    {**ALL_COMPETENT, "mark-listens": "brilliant"},                   # not a mark
], ids=["missing", "unknown"])
def test_a_marking_with_a_point_not_marked_is_refused_and_nothing_stored(app, people, form):
    response = client_for(app, people["mentor"]).post(
        url(people), data={"csrf_token": csrf_token(app), **form})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Mark every point of the rubric" in html and "Listens more than talks" in html
    # What was marked is kept on the page, so nothing has to be chosen again.
    assert 'value="competent" required\n        checked' in html
    assert stored(app) == [] and certificates(app) == 0


def test_without_the_form_token_nothing_is_stored(app, people):
    response = client_for(app, people["mentor"]).post(url(people), data=ALL_COMPETENT)
    assert response.status_code == 400
    assert stored(app) == []


@pytest.mark.parametrize("who", ["trainee", "other_mentor", "learner", "other_org_mentor"])
def test_only_the_trainees_supervisor_may_open_or_post_it(app, people, who):
    client = client_for(app, people[who])
    assert client.get(url(people)).status_code == 404
    posted = client.post(url(people), data={"csrf_token": csrf_token(app), **ALL_COMPETENT})
    assert posted.status_code == 404
    assert stored(app) == [] and certificates(app) == 0


def test_a_role_play_the_programme_does_not_list_is_not_found(app, people):
    supervisor = client_for(app, people["mentor"])
    assert supervisor.get(url(people, roleplay="unlisted")).status_code == 404
    assert supervisor.get(url(people, roleplay="nowhere")).status_code == 404
    assert supervisor.get(url(people, slug="nowhere")).status_code == 404
