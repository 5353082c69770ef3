"""Sessions can be taken back: erasure and losing the admin role end a person's other
sessions at once (roles travel in the signed cookie, which the browser keeps); a local
admin whose account is gone loses access; anyone can sign out; and an admin of a second
organisation sees none of the first one's people."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import delete, select

from lms_plugin.extensions import db
from lms_plugin.users.models import LocalCredential, User
from tests.support.browser import parse_form, signed_launch
from tests.support.factories import organisation_of
from tests.support.platform import CLAIM, TestPlatform

ADMIN = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"]
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]


def launch_as(app: Flask, platform: TestPlatform, sub: str, roles: list[str],
              name: str = "Riley Chen") -> object:
    client = app.test_client()
    response = signed_launch(client, platform, sub=sub, name=name,
                             **{CLAIM + "roles": roles})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def user_id(app: Flask, sub: str) -> int:
    with app.app_context():
        return int(db.session.scalars(select(User.id).where(User.sub == sub)).one())


def test_an_erased_admin_loses_access_at_once(app, registered):
    erased = launch_as(app, registered, "admin-1", ADMIN)
    assert erased.get("/admin/reports/people.csv").status_code == 200
    other = launch_as(app, registered, "admin-2", ADMIN, name="Ola Other")
    target = user_id(app, "admin-1")
    page = other.get(f"/admin/people/{target}").get_data(as_text=True)
    token = parse_form(page).fields["csrf_token"]
    done = other.post(f"/admin/people/{target}/erase", data={"csrf_token": token,
                                                             "confirm": "ERASE"})
    assert done.status_code == 302
    # The old cookie still says "admin", and no longer counts.
    assert erased.get("/admin/reports/people.csv").status_code == 401
    assert erased.get("/").status_code == 401
    assert other.get("/admin/reports/people.csv").status_code == 200


def test_losing_the_admin_role_ends_the_sessions_that_carry_it(app, registered):
    was_admin = launch_as(app, registered, "manager-1", ADMIN)
    assert was_admin.get("/admin/reports").status_code == 200
    now_learner = launch_as(app, registered, "manager-1", LEARNER)
    assert was_admin.get("/admin/reports").status_code == 401
    assert now_learner.get("/").status_code == 200
    assert now_learner.get("/admin/reports").status_code == 403
    # Launching as a learner again ends nothing more.
    again = launch_as(app, registered, "manager-1", LEARNER)
    assert now_learner.get("/").status_code == 200 and again.get("/").status_code == 200


def test_signing_out_ends_this_browser_s_session_only(app, registered):
    here = launch_as(app, registered, "learner-1", LEARNER)
    elsewhere = launch_as(app, registered, "learner-1", LEARNER)
    page = here.get("/").get_data(as_text=True)
    token = parse_form(page, "sign-out").fields["csrf_token"]
    out = here.post("/logout", data={"csrf_token": token})
    assert out.status_code == 200 and "You have signed out" in out.get_data(as_text=True)
    assert here.get("/").status_code == 401
    assert elsewhere.get("/").status_code == 200
    assert app.test_client().post("/logout").status_code == 400  # no form, no effect


def test_a_local_admin_whose_account_is_removed_loses_access(app, runner, client):
    with app.app_context():
        organisation = organisation_of("https://lms.example.org")
        db.session.commit()
    created = runner.invoke(args=["admin", "create", "--organisation", str(organisation),
                                  "--email", "lee@example.org"],
                            input="correct horse battery staple\n" * 2)
    assert created.exit_code == 0, created.output
    page = client.get("/admin/login").get_data(as_text=True)
    signed_in = client.post("/admin/login", data={
        "csrf_token": parse_form(page).fields["csrf_token"], "email": "lee@example.org",
        "password": "correct horse battery staple"})
    assert signed_in.status_code == 302
    assert client.get("/admin/reports").status_code == 200
    with app.app_context():
        db.session.execute(delete(LocalCredential))
        db.session.commit()
    assert client.get("/admin/reports").status_code == 401


def test_an_admin_of_another_organisation_sees_none_of_its_people(app, registered,
                                                                 second_platform):
    launch_as(app, registered, "learner-a", LEARNER, name="Amani Firstorg")
    admin_a = launch_as(app, registered, "admin-a", ADMIN, name="Ada Firstorg")
    admin_b = launch_as(app, second_platform, "admin-b", ADMIN, name="Bo Secondorg")
    assert "Amani Firstorg" in admin_a.get("/admin/reports/people.csv").get_data(as_text=True)
    for path in ("/admin/reports/people.csv", "/admin/reports", "/admin/audit",
                 "/peer-supporters"):
        seen = admin_b.get(path)
        assert seen.status_code == 200, path
        assert "Firstorg" not in seen.get_data(as_text=True), path
    assert admin_b.get(f"/admin/people/{user_id(app, 'learner-a')}").status_code == 404


def sign_in_locally(client, email: str) -> object:
    page = client.get("/admin/login").get_data(as_text=True)
    return client.post("/admin/login", data={
        "csrf_token": parse_form(page).fields["csrf_token"], "email": email,
        "password": "correct horse battery staple"})


def test_an_operator_chooses_the_organisation_to_act_in(app, runner, registered,
                                                        second_platform):
    launch_as(app, registered, "learner-a", LEARNER, name="Amani Firstorg")
    launch_as(app, second_platform, "learner-b", LEARNER, name="Bea Secondorg")
    assert runner.invoke(args=["admin", "create", "--operator", "--email", "op@example.org"],
                         input="correct horse battery staple\n" * 2).exit_code == 0
    with app.app_context():
        first = organisation_of(registered.issuer)
        db.session.commit()
    assert runner.invoke(args=["admin", "create", "--organisation", str(first), "--email",
                               "lee@example.org"],
                         input="correct horse battery staple\n" * 2).exit_code == 0
    operator = app.test_client()
    assert sign_in_locally(operator, "op@example.org").headers["Location"].endswith(
        "/admin/organisation")
    page = operator.get("/admin/organisation").get_data(as_text=True)
    form = parse_form(page)
    with app.app_context():
        second = organisation_of(second_platform.issuer)
    chose = operator.post("/admin/organisation", data={
        "csrf_token": form.fields["csrf_token"], "organisation": str(second)})
    assert chose.status_code == 302
    people = operator.get("/admin/reports/people.csv").get_data(as_text=True)
    assert "Bea Secondorg" in people and "Amani Firstorg" not in people
    # An L&D admin bound to one organisation may not choose another.
    admin = app.test_client()
    assert sign_in_locally(admin, "lee@example.org").status_code == 302
    assert admin.get("/admin/organisation").status_code == 403
    forged = admin.post("/admin/organisation", data={"organisation": str(second)})
    assert forged.status_code in (400, 403)
    people = admin.get("/admin/reports/people.csv").get_data(as_text=True)
    assert "Amani Firstorg" in people and "Bea Secondorg" not in people
