"""Every page's header and footer are kept per variant in the process (lms_plugin/chrome.py).
What is kept must never carry one person's view to another: the sign-out form's token is
each session's own, a supervisor's count and links stay theirs, and the language is the
reader's."""

from __future__ import annotations

from datetime import UTC, datetime

from lms_plugin.certification.models import LoggedHours, SupervisorAssignment
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support.browser import signed_launch
from tests.support.quiz import csrf

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
PAGE = "/help"


def _person(app, sub: str) -> int:
    with app.app_context():
        return db.session.scalars(db.select(User.id).where(User.sub == sub)).one()


def test_each_session_signs_out_with_its_own_token(app, registered):
    first, second = app.test_client(), app.test_client()
    signed_launch(first, registered, sub="chrome-first")
    signed_launch(second, registered, sub="chrome-second")
    first_page = first.get(PAGE).get_data(as_text=True)
    second_page = second.get(PAGE).get_data(as_text=True)
    assert 'id="sign-out"' in first_page and 'id="sign-out"' in second_page
    first_token, second_token = csrf(first_page), csrf(second_page)
    assert first_token != second_token
    assert "\x00" not in first_page
    # The other session's token is refused; one's own signs one out.
    assert first.post("/logout", data={"csrf_token": second_token}).status_code == 400
    assert first.post("/logout", data={"csrf_token": first_token}).status_code == 200
    assert 'id="sign-out"' not in first.get(PAGE).get_data(as_text=True)


def test_a_supervisors_header_stays_theirs(app, registered):
    supervisor, learner = app.test_client(), app.test_client()
    signed_launch(supervisor, registered, sub="chrome-supervisor")
    signed_launch(learner, registered, sub="chrome-learner")
    supervisor_id, learner_id = _person(app, "chrome-supervisor"), _person(app, "chrome-learner")
    with app.app_context():
        db.session.add(SupervisorAssignment(supervisor_id=supervisor_id, trainee_id=learner_id))
        for _ in range(3):
            db.session.add(LoggedHours(
                user_id=learner_id, programme_slug="listener", category="practice",
                kind="peer-conversation", hours=1, activity_date=datetime.now(UTC),
                supervisor_id=supervisor_id, status="pending"))
        db.session.commit()
    page = supervisor.get(PAGE).get_data(as_text=True)
    assert "Supervision" in page and "(3 waiting)" in page
    page = learner.get(PAGE).get_data(as_text=True)
    assert "Supervision" not in page and "waiting" not in page
    assert "My programme" in page
    # Signed out: no personal links at all, in the same process.
    anonymous = app.test_client().get(PAGE).get_data(as_text=True)
    assert "My programme" not in anonymous and 'id="sign-out"' not in anonymous
    assert "Get help now" in anonymous


def test_the_header_is_in_the_readers_language(app, registered):
    spanish, english = app.test_client(), app.test_client()
    signed_launch(spanish, registered, sub="chrome-es",
                  **{CLAIM + "launch_presentation": {"locale": "es"}})
    signed_launch(english, registered, sub="chrome-en")
    english_page = english.get(PAGE).get_data(as_text=True)
    spanish_page = spanish.get(PAGE).get_data(as_text=True)
    assert "Sign out" in english_page and "Sign out" not in spanish_page
    assert "Sign out" in english.get(PAGE).get_data(as_text=True)
