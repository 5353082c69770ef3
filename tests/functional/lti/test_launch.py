"""Resource link launches through the real OIDC flow, with the demo LMS as the platform."""

from __future__ import annotations

from sqlalchemy import func, select

from lms_plugin.extensions import db
from lms_plugin.users.models import Course, Enrollment, MentorScope, User
from tests.support.browser import local


def test_launch_signs_in_and_lands_on_programme(app, lti):
    response = lti.launch(persona="learner", course="wellbeing-101")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your peer support programme" in page
    assert "<title>My programme · Peer Support Training</title>" in page
    assert "Alex Morgan" in page
    assert "Workplace Wellbeing Essentials" in page
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.sub, user.name, user.email) == (
            "demo-learner-1", "Alex Morgan", "alex.morgan@example.org"
        )
        assert user.issuer == lti.platform_url
        enrollment = db.session.scalars(select(Enrollment)).one()
        assert enrollment.roles == "learner"
        assert enrollment.course.context_id == "wellbeing-101"


def test_relaunch_updates_rather_than_duplicates(app, lti):
    lti.launch(persona="learner")
    lti.launch(persona="learner")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
        assert db.session.scalar(select(func.count()).select_from(Course)) == 1


def test_custom_module_parameter_opens_that_module(lti, shipped_content):
    response = lti.launch(module="skills")
    assert response.status_code == 200
    assert "Practical peer-support skills" in response.get_data(as_text=True)
    assert response.request.path == "/modules/skills"


def test_pages_need_a_launch(client):
    response = client.get("/")
    assert response.status_code == 401
    assert "Open this from your course" in response.get_data(as_text=True)


def test_mentor_scope_is_recorded(app, lti):
    lti.launch(persona="supervisor")
    with app.app_context():
        mentor = db.session.scalars(select(User).where(User.sub == "demo-supervisor-1")).one()
        subs = db.session.scalars(
            select(MentorScope.mentee_sub).where(MentorScope.mentor_id == mentor.id)
        ).all()
        assert subs == ["demo-trainee-1"]
        enrollment = db.session.scalars(select(Enrollment)).one()
        assert enrollment.roles == "mentor"


def test_admin_roles_map_to_admin_and_instructor(app, lti):
    lti.launch(persona="admin")
    with app.app_context():
        assert db.session.scalars(select(Enrollment)).one().role_set == {"admin", "instructor"}


def test_replayed_launch_is_refused_and_changes_nothing(app, lti):
    form = lti.login()
    first = lti.client.post(local(form.action), data=form.fields)
    assert first.status_code == 302
    with app.app_context():
        before = db.session.scalars(select(User)).one().last_launch_at
    second = lti.client.post(local(form.action), data=form.fields)
    assert second.status_code == 401
    assert "already been used" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(User)).one().last_launch_at == before


def test_a_launch_replaces_the_previous_session(app, lti):
    lti.launch(persona="admin")
    with lti.client.session_transaction() as sess:
        assert "admin" in sess["roles"]
        sess["left_over"] = "from the previous person"
    lti.launch(persona="learner")
    with lti.client.session_transaction() as sess:
        assert sess["roles"] == ["learner"]
        assert "left_over" not in sess


def test_redis_down_gives_a_clear_503(migrated, tmp_path, registered):
    from tests.conftest import make_app

    app = make_app(migrated, tmp_path / "r", REDIS_URL="redis://127.0.0.1:1/0")
    try:
        response = app.test_client().get(
            "/lti/login",
            query_string={"iss": registered.issuer, "login_hint": "u",
                          "client_id": registered.client_id},
        )
        assert response.status_code == 503
        assert "Nothing you have done has been lost" in response.get_data(as_text=True)
    finally:
        with app.app_context():
            db.engine.dispose()
        app.extensions["lms_plugin_store"].client.close()
