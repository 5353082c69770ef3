"""Local admin accounts: created from the command line with a strong hash, locked after
repeated wrong passwords, a fresh session on sign-in, and the organisation's reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from lms_plugin.extensions import db
from lms_plugin.users.local import DUMMY_HASH
from lms_plugin.users.models import LocalCredential
from tests.support.browser import parse_form
from tests.support.factories import organisation_of

ISSUER = "https://lms.example.org"
PASSWORD = "correct horse battery staple"


def create(runner, email="lee@example.org", password=PASSWORD):
    with runner.app.app_context():
        organisation = organisation_of(ISSUER)
        db.session.commit()
    return runner.invoke(args=["admin", "create", "--organisation", str(organisation),
                               "--email", email, "--name", "Lee Admin"],
                         input=f"{password}\n{password}\n")


def sign_in(client, email="lee@example.org", password=PASSWORD):
    page = client.get("/admin/login").get_data(as_text=True)
    token = parse_form(page).fields["csrf_token"]
    return client.post("/admin/login", data={"csrf_token": token, "email": email,
                                              "password": password})


def test_created_with_a_strong_hash_and_refused_weak_passwords(app, runner):
    assert create(runner, password="short").exit_code != 0
    result = create(runner)
    assert result.exit_code == 0, result.output
    with app.app_context():
        credential = db.session.scalars(select(LocalCredential)).one()
        assert credential.password_hash.startswith("scrypt:")
        assert PASSWORD not in credential.password_hash
        assert credential.user.organisation_id == organisation_of(ISSUER)
        assert credential.user.sub == "local:lee@example.org" and not credential.is_operator
        # An unknown email is checked against a hash with the same parameters, so it
        # takes as long as a known one.
        assert DUMMY_HASH.split("$")[0] == credential.password_hash.split("$")[0]
    assert create(runner).exit_code != 0  # the same email twice


def test_sign_in_rotates_the_session_and_opens_the_reports(app, runner, client):
    create(runner)
    with client.session_transaction() as session:
        session["planted"] = "by someone who used this browser before"
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/admin/reports")
    with client.session_transaction() as session:
        assert "planted" not in session and session["roles"] == ["admin"]
    assert client.get("/admin/reports").status_code == 200


def test_wrong_passwords_lock_the_account_for_a_while(app, runner, client):
    create(runner)
    unknown = sign_in(client, email="nobody@example.org")
    wrong = sign_in(client, password="not the password")
    assert unknown.status_code == wrong.status_code == 401
    same = "The email or password is not right."
    assert same in unknown.get_data(as_text=True) and same in wrong.get_data(as_text=True)
    for _ in range(4):
        sign_in(client, password="still wrong")
    locked = sign_in(client)  # even the right password, while locked
    assert locked.status_code == 401 and "locked" in locked.get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(LocalCredential).values(
            locked_until=datetime.now(UTC) - timedelta(minutes=1)))
        db.session.commit()
    assert sign_in(client).status_code == 302


def test_sign_in_is_rate_limited(app, runner, client):
    app.config["LMS_PLUGIN_RATE_LIMIT_ADMIN_LOGIN"] = "2 per minute"
    create(runner)
    codes = [sign_in(client, password="x").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_garbage_is_a_clear_refusal(client):
    page = client.get("/admin/login").get_data(as_text=True)
    token = parse_form(page).fields["csrf_token"]
    response = client.post("/admin/login", data={"csrf_token": token, "email": "",
                                                 "password": "x" * 600})
    assert response.status_code == 422
