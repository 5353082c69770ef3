"""Dynamic registration is closed by default: without the operators' registration key a
new LMS waits for an operator's approval (as Moodle leaves a new tool pending), with the
key it may launch at once; a registration never rewrites another; the URLs a registering
LMS names are fetched only on public addresses, and a failure says nothing about what
answered where."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.lti.models import Platform
from lms_plugin.lti.outbound import MAX_BYTES, UnsafeURL, check_url
from tests.support.browser import tool_login
from tests.support.lms import FakeMoodle
from tests.support.servers import ServerThread

KEY = "registration-key-of-the-operators"


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    with FakeMoodle() as fake:
        yield fake


def registration_params(moodle: FakeMoodle) -> dict[str, str]:
    """What Moodle's Manage tools page sends the tool's registration URL."""
    start = requests.get(f"{moodle.wwwroot}/mod/lti/startltiadvregistration.php",
                         params={"url": "http://localhost/lti/register"},
                         allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    return {"openid_configuration": query["openid_configuration"][0],
            "registration_token": query["registration_token"][0]}


def registered(app: Flask, issuer: str) -> list[Platform]:
    with app.app_context():
        rows = list(db.session.scalars(select(Platform).where(Platform.issuer == issuer)))
        db.session.expunge_all()
        return rows


class MoodleIssuer:
    """Just enough of a platform for tool_login: the issuer and client id."""

    def __init__(self, moodle: FakeMoodle):
        self.issuer, self.client_id = moodle.issuer, moodle.tool().client_id


def test_without_the_key_a_new_lms_waits_for_an_operator(app, client, runner, moodle):
    done = client.post("/lti/register", data=registration_params(moodle))
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    [platform] = registered(app, moodle.issuer)
    assert not platform.approved and platform.registered_dynamically
    assert f"lms-plugin platform approve {platform.id}" in page
    # Nobody launches from it yet: the login says why, and stores nothing.
    waiting = client.get("/lti/login", query_string={
        "iss": moodle.issuer, "login_hint": "3", "client_id": platform.client_id,
        "target_link_uri": "http://localhost/lti/launch"})
    assert waiting.status_code == 403
    assert "has not approved the registration yet" in waiting.get_data(as_text=True)
    assert "WAITING FOR APPROVAL" in runner.invoke(args=["platform", "list"]).output

    approved = runner.invoke(args=["platform", "approve", str(platform.id)])
    assert approved.exit_code == 0, approved.output
    assert registered(app, moodle.issuer)[0].approved
    assert tool_login(client, MoodleIssuer(moodle))  # the login goes on to Moodle now


def test_with_the_key_the_lms_may_launch_at_once(app, client, moodle):
    app.config["LMS_PLUGIN_REGISTRATION_KEY"] = KEY
    wrong = client.post("/lti/register", data={**registration_params(moodle), "key": "guess"})
    assert wrong.status_code == 403 and registered(app, moodle.issuer) == []
    done = client.post("/lti/register", data={**registration_params(moodle), "key": KEY})
    assert done.status_code == 200
    [platform] = registered(app, moodle.issuer)
    assert platform.approved
    assert "must approve" not in done.get_data(as_text=True)


def impostor_lms(issuer: str, jwks_uri: str, client_id: str) -> ServerThread:
    """A second organisation's LMS whose configuration and registration answer name the
    first LMS's issuer, key set and client id (an LMS names all three itself)."""
    fake = Flask("impostor")
    base: dict[str, str] = {}
    fake.add_url_rule("/conf", endpoint="conf", view_func=lambda: {
        "issuer": issuer, "jwks_uri": jwks_uri,
        "authorization_endpoint": base["url"] + "/auth", "token_endpoint": base["url"] + "/token",
        "registration_endpoint": base["url"] + "/register",
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "moodle"}})
    fake.add_url_rule("/register", endpoint="register", methods=["POST"], view_func=lambda: {
        "client_id": client_id,
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "1"}})
    server = ServerThread(fake).start()
    base["url"] = server.url
    return server


def test_a_registration_never_rewrites_another(app, client, moodle):
    app.config["LMS_PLUGIN_REGISTRATION_KEY"] = KEY
    assert client.post("/lti/register", data={**registration_params(moodle), "key": KEY}
                       ).status_code == 200
    [first] = registered(app, moodle.issuer)
    server = impostor_lms(first.issuer, str(first.keyset_url), first.client_id)
    try:
        refused = client.post("/lti/register", data={
            "openid_configuration": server.url + "/conf", "registration_token": "t",
            "key": KEY})
    finally:
        server.stop()
    assert refused.status_code == 409
    assert "already registered" in refused.get_data(as_text=True)
    [after] = registered(app, moodle.issuer)
    assert (after.auth_login_url, after.auth_token_url, after.organisation_id) == (
        first.auth_login_url, first.auth_token_url, first.organisation_id)


def test_a_second_key_set_for_a_known_issuer_is_refused(app, client, moodle):
    """Another LMS claiming the first one's issuer with its own keys could sign launches
    as the first one's people."""
    app.config["LMS_PLUGIN_REGISTRATION_KEY"] = KEY
    assert client.post("/lti/register", data={**registration_params(moodle), "key": KEY}
                       ).status_code == 200
    server = impostor_lms(moodle.issuer, "http://127.0.0.1:9/evil-keys", "new-client")
    try:
        refused = client.post("/lti/register", data={
            "openid_configuration": server.url + "/conf", "key": KEY})
    finally:
        server.stop()
    assert refused.status_code == 403
    assert [p.client_id for p in registered(app, moodle.issuer)] == [moodle.tool().client_id]


@pytest.mark.parametrize("address", [
    "http://127.0.0.1:6379/",  # Redis on this machine
    "http://127.0.0.1:9/closed",  # a closed port
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://localhost/metrics",  # the tool's own metrics
    "http://10.1.2.3/openid-configuration",
    "http://[::1]:5432/",
])
def test_private_addresses_are_never_fetched_and_failures_look_alike(app, client, address):
    app.config["LMS_PLUGIN_ALLOW_PRIVATE_URLS"] = False
    with pytest.raises(UnsafeURL):
        check_url(address)
    refused = client.post("/lti/register", data={"openid_configuration": address})
    assert refused.status_code == 502
    text = refused.get_data(as_text=True)
    assert "could not fetch the LMS configuration" in text
    # Nothing that tells a prober what (if anything) answered there.
    for telltale in ("Connection", "refused", "timed out", "HTTP ", "6379", "JSON", "Errno"):
        assert telltale not in re.sub(r"<[^>]+>", " ", text).replace(address, "")


def test_public_addresses_pass_the_check(app):
    app.config["LMS_PLUGIN_ALLOW_PRIVATE_URLS"] = False
    with app.app_context():
        check_url("https://93.184.216.34/.well-known/openid-configuration")
        with pytest.raises(UnsafeURL):
            check_url("file:///etc/passwd")


def test_an_oversized_answer_is_refused(app, client):
    big = Flask("big")
    big.add_url_rule("/conf", view_func=lambda: "x" * (MAX_BYTES + 10))
    server = ServerThread(big).start()
    try:
        refused = client.post("/lti/register", data={"openid_configuration":
                                                     server.url + "/conf"})
    finally:
        server.stop()
    assert refused.status_code == 502
    assert "could not fetch the LMS configuration" in refused.get_data(as_text=True)
