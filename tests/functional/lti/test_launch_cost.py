"""What a launch costs the database and the shared store (issue 15): the id_token POST
of a warm process runs one SQL statement on PostgreSQL (the person's upsert, with the
course read in it and the enrolment and AGS endpoint upserted in data-modifying CTEs)
and three on SQLite (person with the course read, enrolment, AGS endpoint), in one
transaction; the course's upsert only when the course is new or the launch changes it
(a new course's enrolment and AGS endpoint follow it, as on SQLite);
registrations come from the process's cache, which a change committed here empties at
once."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.lti.models import Platform
from lms_plugin.store import SharedStore, get_store
from lms_plugin.users.models import Course, User
from tests.conftest import make_app
from tests.support.browser import ClientBrowser, local, signed_launch
from tests.support.statements import Statements

# Counts the statements, BEGINs and COMMITs of a launch: in a rolled-back test, COMMITs are
# savepoints (tests/support/rollback.py).
pytestmark = pytest.mark.commits


def test_the_id_token_post_is_one_statement_in_one_transaction(redis_app, registered):
    browser = ClientBrowser(redis_app.test_client(), registered.url)
    browser.launch(persona="learner")  # the process reads its registrations once
    form = browser.login(persona="trainee")  # someone launching for the first time
    with redis_app.app_context():
        store = get_store()
    calls: list[tuple[Any, ...]] = []
    execute = store.client.execute_command  # type: ignore[attr-defined]

    def counted_call(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return execute(*args, **kwargs)

    store.client.execute_command = counted_call  # type: ignore[attr-defined]
    with Statements(redis_app) as counted:
        response = browser.client.post(local(form.action), data=form.fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    # state, nonce and launch data: one round trip to the store (the key set is cached)
    assert [c[0] for c in calls] == ["EVALSHA"], calls
    kinds = [s.split()[0].upper() for s in counted.sent]
    if counted.dialect == "postgresql":  # person (course read), enrolment, AGS: one statement
        assert kinds == ["WITH"], counted.sent
        written = counted.sent[0]
        for table in ("INSERT INTO \"user\"", "INSERT INTO enrollment",
                      "INSERT INTO ags_endpoint"):
            assert table in written
    else:  # person (and course), enrolment, AGS
        assert kinds == ["INSERT"] * 3, counted.sent
    assert "INSERT INTO course" not in counted.sent[0]
    assert (counted.begins, counted.commits, counted.rollbacks) == (1, 1, 0)
    with redis_app.app_context():
        person = db.session.scalars(select(User).where(User.sub == "demo-trainee-1")).one()
        assert person.last_launch_at is not None
    page = browser.client.get(local(response.headers["Location"]))
    assert page.status_code == 200


def test_a_relaunch_and_a_supervisors_landing_cost_no_more(redis_app, registered):
    """The landing choice (a supervisor's queue) is read with the person's row."""
    browser = ClientBrowser(redis_app.test_client(), registered.url)
    browser.launch(persona="supervisor")
    form = browser.login(persona="supervisor")
    with Statements(redis_app) as counted:
        response = browser.client.post(local(form.action), data=form.fields)
    assert response.headers["Location"].endswith("/supervision")
    # a mentor's launch also replaces their mentee list (delete, insert)
    kinds = [s.split()[0].upper() for s in counted.sent]
    # person (with enrolment and AGS endpoint on PostgreSQL), mentee list (delete, insert)
    written = ["WITH"] if counted.dialect == "postgresql" else ["INSERT"] * 3
    assert kinds == [*written, "DELETE", "INSERT"], counted.sent
    assert counted.commits == 1


def test_the_landing_page_does_not_send_the_session_again(app, lti, sample_content):
    """The launch's cookie already holds the new session's form token: the page it lands
    on sends no cookie of its own, and its forms are accepted."""
    from tests.support.quiz import csrf

    launched = lti.launch(persona="learner", follow_redirects=False)
    landing = lti.client.get(local(launched.headers["Location"]))
    assert landing.status_code == 200
    name = app.config["SESSION_COOKIE_NAME"]
    assert any(c.startswith(name + "=") for c in launched.headers.getlist("Set-Cookie"))
    assert not [c for c in landing.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    page = lti.client.get("/programmes/listener").get_data(as_text=True)
    enrolled = lti.client.post("/programmes/listener/enrol", data={"csrf_token": csrf(page)})
    assert enrolled.status_code == 302


def test_the_course_is_written_only_when_new_or_changed(redis_app, registered):
    """Every launch in a course would update its one row and hold its lock until the
    commit: it is upserted when the launch brings a course not seen yet or changes it."""
    redis_app.config["LMS_PLUGIN_ROSTER_SYNC_SECONDS"] = 0  # a new course's (test_roster)
    browser = ClientBrowser(redis_app.test_client(), registered.url)
    browser.launch(persona="learner", course="peer-support")  # the process is warm
    first = browser.login(persona="learner", course="wellbeing-101")
    with Statements(redis_app) as counted:
        browser.client.post(local(first.action), data=first.fields)
    courses = [s for s in counted.sent if s.startswith("INSERT INTO course")]
    # new: person, course, then its enrolment and AGS endpoint (on both databases)
    assert len(counted.sent) == 4 and len(courses) == 1, counted.sent
    again = browser.login(persona="trainee", course="wellbeing-101")
    with Statements(redis_app) as counted:
        browser.client.post(local(again.action), data=again.fields)
    warm = 1 if counted.dialect == "postgresql" else 3
    assert len(counted.sent) == warm and not [
        s for s in counted.sent if s.startswith("INSERT INTO course")]
    with redis_app.app_context():  # the LMS renamed the course since
        course = db.session.scalars(select(Course).where(
            Course.context_id == "wellbeing-101")).one()
        sent, course.title, course_id = course.title, "An older title", course.id
        db.session.commit()
    renamed = browser.login(persona="trainee", course="wellbeing-101")
    with Statements(redis_app) as counted:
        browser.client.post(local(renamed.action), data=renamed.fields)
    assert len([s for s in counted.sent if s.startswith("INSERT INTO course")]) == 1
    assert len(counted.sent) == warm + 1  # the enrolment is not written twice
    with redis_app.app_context():
        assert db.session.get(Course, course_id).title == sent  # type: ignore[union-attr]


def test_a_registration_changed_in_this_process_applies_at_once(app, registered,
                                                                 second_platform):
    client = app.test_client()
    assert signed_launch(client, registered).status_code == 302  # now cached
    with app.app_context():
        platform = db.session.scalars(
            select(Platform).where(Platform.issuer == registered.issuer)).one()
        platform.approved = False
        db.session.commit()
    refused = _login(client, registered)
    assert refused.status_code == 403
    assert "Waiting for approval" in refused.get_data(as_text=True)
    # the other organisation's registration is untouched
    assert signed_launch(client, second_platform).status_code == 302


def test_the_keys_and_platform_commands_empty_the_cache(app, runner, registered,
                                                        second_platform):
    from lms_plugin.lti.registrations import find_platform, signing_key

    with app.test_request_context():
        before = signing_key().kid
        platform = find_platform(registered.issuer, registered.client_id)
        other = find_platform(second_platform.issuer, second_platform.client_id)
        assert platform is not None and platform.approved and other is not None
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    with app.test_request_context():
        assert signing_key().kid != before
        row = db.session.get(Platform, platform.id)
        assert row is not None
        row.approved = False  # as `platform approve` would change it, the other way
        db.session.commit()
    with app.test_request_context():
        changed = find_platform(registered.issuer, registered.client_id)
        assert changed is not None and not changed.approved
        again = find_platform(second_platform.issuer, second_platform.client_id)
        assert again is not None and again.approved
    assert runner.invoke(args=["platform", "approve", str(platform.id)]).exit_code == 0
    with app.test_request_context():
        approved = find_platform(registered.issuer, registered.client_id)
        assert approved is not None and approved.approved


def test_another_process_sees_a_change_within_the_ttl(app, migrated, tmp_path, registered):
    """A worker that cached the registration keeps it for the TTL at most: with a TTL
    of 0 it reads the database on every launch."""
    other = make_app(migrated, tmp_path, LMS_PLUGIN_REGISTRATION_CACHE_SECONDS=0)
    client = other.test_client()
    assert signed_launch(client, registered).status_code == 302
    with app.app_context():  # another process's commit: `other` is not told
        platform = db.session.scalars(
            select(Platform).where(Platform.issuer == registered.issuer)).one()
        platform.approved = False
        db.session.commit()
    assert _login(client, registered).status_code == 403


def _set_approved(app: Flask, issuer: str, approved: bool) -> None:
    with app.app_context():  # as another process would: `other` is not told
        platform = db.session.scalars(select(Platform).where(Platform.issuer == issuer)).one()
        platform.approved = approved
        db.session.commit()


def test_an_approval_in_another_process_counts_at_once(app, migrated, tmp_path, registered,
                                                        second_platform):
    """What a process keeps never refuses on its own: an unapproved registration is read
    again, so approving it anywhere lets it launch everywhere at once."""
    other = make_app(migrated, tmp_path)  # the default TTL
    client = other.test_client()
    assert _login(client, second_platform).status_code == 302  # cached in `other`
    _set_approved(app, registered.issuer, False)
    assert _login(client, registered).status_code == 403
    _set_approved(app, registered.issuer, True)
    assert _login(client, registered).status_code == 302
    assert signed_launch(client, registered).status_code == 302
    assert signed_launch(client, second_platform).status_code == 302


def _login(client: Any, platform: Any) -> Any:
    return client.get("/lti/login", query_string={
        "iss": platform.issuer, "login_hint": "someone", "client_id": platform.client_id})


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest) -> SharedStore:
    made: Flask = request.getfixturevalue("app" if request.param == "database"
                                          else "redis_app")
    with made.app_context():
        return get_store()


def test_take_then_set_takes_only_the_expected_value(store, app, redis_app):
    with (app.app_context(), redis_app.app_context()):
        store.set("nonce-key", "n-1", 60)
        assert store.take_then_set("nonce-key", "n-2", "data-key", {"a": 1}, 60) == "n-1"
        assert store.get("nonce-key") == "n-1" and store.get("data-key") is None
        assert store.take_then_set("nonce-key", "n-1", "data-key", {"a": 1}, 60) == "n-1"
        assert store.get("nonce-key") is None and store.get("data-key") == {"a": 1}
        assert store.take_then_set("nonce-key", "n-1", "data-key2", {"b": 2}, 60) is None
        assert store.get("data-key2") is None
