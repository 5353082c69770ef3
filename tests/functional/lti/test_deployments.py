"""Deployments a platform creates after registering with us (Canvas makes one, `N:<hash>`,
when the tool is installed in an account or course; its dynamic registration names none):
a dynamically registered client accepts the deployment its first signed launch names,
only for that issuer and client id, records it, lists it, and can be switched off."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.lti.models import Deployment, Platform
from lms_plugin.lti.registration import save_platform
from tests.support.browser import signed_launch, tool_login
from tests.support.platform import CLAIM, TestPlatform

CANVAS_DEPLOYMENT = "12:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"


def deployments(app: Flask, issuer: str, client_id: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(d.deployment_id, d.added_by) for d in db.session.scalars(
            select(Deployment).join(Platform).where(
                Platform.issuer == issuer, Platform.client_id == client_id)
            .order_by(Deployment.id))]


def set_accepting(app: Flask, issuer: str, client_id: str, accept: bool = True) -> int:
    with app.app_context():
        platform = db.session.scalars(select(Platform).where(
            Platform.issuer == issuer, Platform.client_id == client_id)).one()
        platform.registered_dynamically = True
        platform.accept_new_deployments = accept
        db.session.commit()
        return platform.id


def deployed(deployment_id: str) -> dict[str, str]:
    return {CLAIM + "deployment_id": deployment_id}


@pytest.fixture
def other_client(app: Flask, registered: TestPlatform) -> str:
    """A second client id of the same issuer (Canvas: another school's developer key),
    signing with the same platform key, NOT accepting new deployments."""
    with app.app_context():
        save_platform(**{**registered.registration_kwargs(), "client_id": "other-client",
                         "deployment_id": "other-deployment"})
        db.session.commit()
    return "other-client"


def test_the_first_launch_of_a_new_deployment_is_accepted_and_recorded(app, client,
                                                                        registered):
    set_accepting(app, registered.issuer, registered.client_id)
    first = signed_launch(client, registered, **deployed(CANVAS_DEPLOYMENT))
    assert first.status_code == 302, first.get_data(as_text=True)
    again = signed_launch(app.test_client(), registered, **deployed(CANVAS_DEPLOYMENT))
    assert again.status_code == 302
    assert deployments(app, registered.issuer, registered.client_id) == [
        (registered.deployment_id, "operator"), (CANVAS_DEPLOYMENT, "first launch")]


def test_a_platform_that_does_not_accept_new_deployments_refuses_them(app, client,
                                                                      registered):
    refused = signed_launch(client, registered, **deployed(CANVAS_DEPLOYMENT))
    assert refused.status_code == 403
    page = refused.get_data(as_text=True).replace("&#39;", "'")
    assert f"deployment '{CANVAS_DEPLOYMENT}' is not registered" in page
    assert "lms-plugin platform add" in page
    assert deployments(app, registered.issuer, registered.client_id) == [
        (registered.deployment_id, "operator")]


def test_acceptance_belongs_to_one_client_id(app, registered, other_client):
    """Client 1 accepts new deployments; client 2 of the same issuer does not, and a launch
    to client 2 naming client 1's new deployment is refused."""
    set_accepting(app, registered.issuer, registered.client_id)
    assert signed_launch(app.test_client(), registered,
                         **deployed(CANVAS_DEPLOYMENT)).status_code == 302
    refused = signed_launch(app.test_client(), registered, client_id=other_client,
                            aud=other_client, azp=other_client, **deployed(CANVAS_DEPLOYMENT))
    assert refused.status_code == 403
    assert deployments(app, registered.issuer, other_client) == [
        ("other-deployment", "operator")]


def test_a_second_organisation_cannot_ride_on_another_s_acceptance(app, registered,
                                                                    tmp_path: Path):
    """Another LMS (its own issuer and keys) signing a launch with the accepting platform's
    issuer is refused at the signature, and records nothing."""
    set_accepting(app, registered.issuer, registered.client_id)
    intruder = TestPlatform(tmp_path / "intruder")
    try:
        intruder.issuer, intruder.client_id = registered.issuer, registered.client_id
        refused = signed_launch(app.test_client(), intruder, **deployed("99:evil"))
        assert refused.status_code == 401
    finally:
        intruder.stop()
    assert ("99:evil", "first launch") not in deployments(app, registered.issuer,
                                                          registered.client_id)


def test_a_refused_or_replayed_launch_records_no_deployment(app, client, registered):
    set_accepting(app, registered.issuer, registered.client_id)
    state, nonce = tool_login(client, registered)
    token = registered.sign(registered.claims(nonce, **deployed(CANVAS_DEPLOYMENT),
                                              **{CLAIM + "version": "1.1.0"}))
    assert client.post("/lti/launch", data={"id_token": token, "state": state}
                       ).status_code == 400
    state, nonce = tool_login(client, registered)
    token = registered.sign(registered.claims(nonce, **deployed("13:replayed")))
    assert client.post("/lti/launch", data={"id_token": token, "state": state}
                       ).status_code == 302
    assert deployments(app, registered.issuer, registered.client_id)[-1] == (
        "13:replayed", "first launch")
    with app.app_context():
        db.session.execute(Deployment.__table__.delete().where(
            Deployment.deployment_id == "13:replayed"))
        db.session.commit()
    replay = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert replay.status_code == 401
    assert [d for d, _ in deployments(app, registered.issuer, registered.client_id)] == [
        registered.deployment_id]


@pytest.mark.parametrize("bad", ["x" * 256, "12:\x00abc"])
def test_an_unusable_deployment_id_is_refused(app, client, registered, bad):
    set_accepting(app, registered.issuer, registered.client_id)
    refused = signed_launch(client, registered, **deployed(bad))
    assert refused.status_code == 400
    # Too long: not a usable identifier; a NUL: refused with every claim's text, first.
    assert "deployment_id" in refused.get_data(as_text=True)


def test_operators_see_and_switch_off_acceptance(app, runner, registered):
    platform_id = set_accepting(app, registered.issuer, registered.client_id)
    assert signed_launch(app.test_client(), registered,
                         **deployed(CANVAS_DEPLOYMENT)).status_code == 302
    listing = runner.invoke(args=["platform", "list"]).output
    assert f"[{platform_id}]" in listing and "registered by dynamic registration" in listing
    assert "new deployments: accepted on their first signed launch" in listing
    assert f"deployment {CANVAS_DEPLOYMENT}  (added by first launch" in listing

    off = runner.invoke(args=["platform", "deployments", str(platform_id), "--refuse-new"])
    assert off.exit_code == 0 and "refused until an operator adds them" in off.output
    assert signed_launch(app.test_client(), registered,
                         **deployed("14:another")).status_code == 403
    # What was accepted stays accepted.
    assert signed_launch(app.test_client(), registered,
                         **deployed(CANVAS_DEPLOYMENT)).status_code == 302
    assert "refused until" in runner.invoke(args=["platform", "list"]).output
    missing = runner.invoke(args=["platform", "deployments", "999999", "--accept-new"])
    assert missing.exit_code != 0 and "No platform 999999" in missing.output
