"""The one person page: training numbers, programmes, certificates, courses and erasure,
never answers, reflections or survey answers; its actions (one more quiz try, a lifted
wait, revoking with a confirmation and a reason), each audited, each refused on garbage
and a 404 for an admin of another organisation. The old addresses redirect."""

from __future__ import annotations

import json
import shutil

import pytest

from lms_plugin.certification.models import Certificate
from lms_plugin.content.services import get_catalog
from lms_plugin.extensions import db
from lms_plugin.quiz.services import get_eligibility
from lms_plugin.reporting.survey import record_answers
from lms_plugin.users.models import User
from tests.conftest import sync
from tests.support import factories
from tests.support.admin import certified, events, failed_tries, post, signed_in
from tests.support.authorization import OTHER_ISSUER


@pytest.fixture
def people(app, sample_content):
    """An admin, a certified trainee with three failed tries before their pass, a learner
    who used all three tries, and an admin of another organisation."""
    with app.app_context():
        admin = factories.user("Riley Chen", roles="admin")
        supervisor = factories.user("Jordan Lee", roles="mentor")
        trainee = factories.user("Sam Okafor")
        factories.mentor_of(supervisor, trainee)
        trainee.email, trainee.department = "sam@example.org", "Warehouse"
        certificate = certified(trainee, supervisor)
        record_answers(trainee, "pre", {"confidence": 1})
        learner = factories.user("Alex Morgan")
        failed_tries(learner, 3)
        outsider = factories.user("Other Admin", roles="admin", issuer=OTHER_ISSUER)
        db.session.commit()
        return {"admin": admin.id, "trainee": trainee.id, "learner": learner.id,
                "outsider": outsider.id, "certificate": certificate.id,
                "code": certificate.code}


def admin_client(app, people, who: str = "admin"):
    return signed_in(app, people[who], ["admin"])


def eligibility(app, person_id: int):
    with app.app_context():
        person = db.session.get(User, person_id)
        return get_eligibility(person, get_catalog().quizzes["listening"].document)


def test_the_page_shows_numbers_and_never_answers_reflections_or_survey_answers(app, people):
    page = admin_client(app, people).get(f"/admin/people/{people['trainee']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in ("Sam Okafor", "sam@example.org", "Warehouse", "Listening well", "90%",
                  "Certified Listener (test programme)", "Certified", "Jordan Lee",
                  "peer conversation", people["code"], "Course one", "Type ERASE to confirm",
                  f'href="/admin/people/{people["trainee"]}/certificates/'
                  f'{people["certificate"]}/revoke"'):
        assert shown in html, shown
    assert "My private reflection text." not in html
    assert "my-secret-answer" not in html and "confidence" not in html
    learner = admin_client(app, people).get(f"/admin/people/{people['learner']}")
    html = learner.get_data(as_text=True)
    assert "3 of 3" in html and "All tries used." in html and "42%" in html
    assert "my-secret-answer" not in html
    assert [e.subject_id for e in events(app, "person.view")] == [people["trainee"],
                                                                  people["learner"]]
    assert 'aria-label="Admin"' in html and 'aria-current="page">People' in html


def test_one_more_try_is_given_with_a_reason_and_audited(app, people):
    assert not eligibility(app, people["learner"]).allowed
    client = admin_client(app, people)
    url = f"/admin/people/{people['learner']}/quiz-allowance"
    missing = post(app, client, url, quiz="listening", action="extra_attempt", reason="")
    assert missing.status_code == 422
    assert "Give a reason" in missing.get_data(as_text=True)
    assert not eligibility(app, people["learner"]).allowed

    done = post(app, client, url, quiz="listening", action="extra_attempt",
                reason="Was unwell on the day.")
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/admin/people/{people['learner']}#training")
    now = eligibility(app, people["learner"])
    assert now.allowed and now.attempts_left == 1
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Alex Morgan has one more try at the quiz “Listening quiz”." in page
    assert "3 of 4 (1 extra given)" in page
    granted = events(app, "quiz.extra_attempt")
    assert [(e.actor_id, e.subject_id) for e in granted] == [(people["admin"],
                                                              people["learner"])]
    assert json.loads(granted[0].detail_json) == {"quiz": "listening",
                                                  "reason": "Was unwell on the day."}


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"quiz": "nope", "action": "extra_attempt", "reason": "ok reason"}, 400, "Choose one of"),
    ({"quiz": "listening", "action": "forever", "reason": "ok reason"}, 400, "one more try"),
    ({"quiz": "listening", "reason": "ok reason"}, 400, "one more try"),
    ({"quiz": "listening", "action": "lift_cooldown", "reason": "ok reason"}, 409,
     "no wait to lift"),
    ({"quiz": "listening", "action": "extra_attempt", "reason": "x" * 2001}, 422,
     "2000"),
])
def test_garbage_allowances_are_refused_clearly(app, people, data, status, message):
    client = admin_client(app, people)
    response = post(app, client, f"/admin/people/{people['learner']}/quiz-allowance", **data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert not events(app, "quiz.extra_attempt") and not events(app, "quiz.cooldown_lift")


def test_a_wait_is_lifted_so_they_can_retake_now(app, people, sample_content, tmp_path):
    edited = tmp_path / "content"
    shutil.copytree(sample_content, edited)
    quiz = edited / "quizzes" / "listening.yaml"
    quiz.write_text(quiz.read_text().replace("cooldown_minutes: 0", "cooldown_minutes: 60"))
    sync(app, edited)
    with app.app_context():
        person = factories.user("Kim Waiting")
        failed_tries(person, 1, last_minutes_ago=5)
        db.session.commit()
        kim = person.id
    waiting = eligibility(app, kim)
    assert not waiting.allowed and waiting.next_allowed_at is not None
    client = admin_client(app, people)
    page = client.get(f"/admin/people/{kim}").get_data(as_text=True)
    assert "Waiting: the next try may start" in page and "Let them retake now" in page
    done = post(app, client, f"/admin/people/{kim}/quiz-allowance", quiz="listening",
                action="lift_cooldown", reason="Needs to finish before leave.")
    assert done.status_code == 302
    assert eligibility(app, kim).allowed
    assert [e.subject_id for e in events(app, "quiz.cooldown_lift")] == [kim]
    again = post(app, client, f"/admin/people/{kim}/quiz-allowance", quiz="listening",
                 action="lift_cooldown", reason="Twice.")
    assert again.status_code == 409


def test_revoking_asks_for_confirmation_and_a_reason_and_the_holder_sees_it(app, people):
    client = admin_client(app, people)
    url = f"/admin/people/{people['trainee']}/certificates/{people['certificate']}/revoke"
    confirm = client.get(url).get_data(as_text=True)
    assert "Revoke Sam Okafor" in confirm and "What happens" in confirm
    assert people["code"] in confirm and "cannot be undone" in confirm.lower()
    with app.app_context():
        assert db.session.get(Certificate, people["certificate"]).revoked_at is None

    refused = post(app, client, url, reason="  ")
    assert refused.status_code == 422
    assert "Give a reason: the holder will see it." in refused.get_data(as_text=True)
    assert not events(app, "certificate.revoke")

    done = post(app, client, url, reason="Breach of the code of conduct.")
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/admin/people/{people['trainee']}#certificates")
    with app.app_context():
        certificate = db.session.get(Certificate, people["certificate"])
        assert certificate.revoked_at is not None
        assert certificate.revocation_reason == "Breach of the code of conduct."
    revoked = events(app, "certificate.revoke")
    assert [(e.actor_id, e.subject_id) for e in revoked] == [(people["admin"],
                                                              people["trainee"])]
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "is revoked" in page and "Breach of the code of conduct." in page
    holder = signed_in(app, people["trainee"], ["learner"])
    assert "Breach of the code of conduct." in holder.get("/programmes/listener").get_data(
        as_text=True)
    assert post(app, client, url, reason="Again, why not").status_code == 409


def test_a_certificate_is_revoked_only_at_its_holder_s_address(app, people):
    client = admin_client(app, people)
    wrong = f"/admin/people/{people['learner']}/certificates/{people['certificate']}/revoke"
    assert client.get(wrong).status_code == 404
    assert post(app, client, wrong, reason="Wrong person").status_code == 404


def test_an_admin_of_another_organisation_gets_404_for_everything(app, people):
    outsider = admin_client(app, people, "outsider")
    trainee, learner = people["trainee"], people["learner"]
    revoke = f"/admin/people/{trainee}/certificates/{people['certificate']}/revoke"
    for path in (f"/admin/people/{trainee}", revoke, f"/admin/reports/people/{trainee}",
                 f"/programmes/listener/people/{trainee}"):
        assert outsider.get(path).status_code == 404, path
    assert post(app, outsider, revoke, reason="Not mine to revoke").status_code == 404
    assert post(app, outsider, f"/admin/people/{learner}/quiz-allowance", quiz="listening",
                action="extra_attempt", reason="Not mine to give").status_code == 404
    assert not eligibility(app, learner).allowed
    assert not events(app, "certificate.revoke") and not events(app, "person.view")
    people_page = outsider.get("/admin/people").get_data(as_text=True)
    assert "Sam Okafor" not in people_page and "Other Admin" in people_page


def test_a_form_without_its_csrf_token_changes_nothing(app, people):
    client = admin_client(app, people)
    response = client.post(f"/admin/people/{people['learner']}/quiz-allowance", data={
        "quiz": "listening", "action": "extra_attempt", "reason": "No token"})
    assert response.status_code == 400
    assert not eligibility(app, people["learner"]).allowed


def test_the_old_addresses_redirect_to_the_admin_area(app, people):
    client = admin_client(app, people)
    trainee = people["trainee"]
    old = client.get(f"/admin/reports/people/{trainee}")
    assert old.status_code == 301 and old.headers["Location"].endswith(f"/admin/people/{trainee}")
    log = client.get("/admin/reports/audit?kind=person.view")
    assert log.status_code == 301 and log.headers["Location"].endswith(
        "/admin/audit?kind=person.view")
    home = client.get("/admin")
    assert home.status_code == 302 and home.headers["Location"].endswith("/admin/reports")
    learner = signed_in(app, people["learner"], ["learner"])
    assert learner.get(f"/admin/reports/people/{trainee}").status_code == 403


def test_every_admin_page_has_the_admin_navigation(app, people):
    client = admin_client(app, people)
    for path, current in (("/admin/reports", "Reports"), ("/admin/people", "People"),
                          ("/admin/programmes", "Programmes"),
                          ("/programmes/listener/people", "Programmes"),
                          ("/admin/erasure-requests", "Erasure requests"),
                          ("/admin/audit", "Audit log")):
        html = client.get(path).get_data(as_text=True)
        assert html.count('aria-label="Admin"') == 1, path
        assert f'aria-current="page">{current}' in html, path
    learner = signed_in(app, people["learner"], ["learner"]).get("/").get_data(as_text=True)
    assert 'aria-label="Admin"' not in learner

