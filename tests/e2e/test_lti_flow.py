"""The whole LTI flow over real HTTP: lti1p3platform (in the demo LMS app, on its own port)
as the platform, the tool on another port, a requests session as the browser."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
import requests
from lti1p3platform.exceptions import LtiException
from sqlalchemy import select

from lms_plugin.demo.platform import DemoPlatformConf
from lms_plugin.extensions import db
from lms_plugin.lti.models import Deployment, Platform, ToolKey
from lms_plugin.users.models import User
from tests.support.browser import HttpBrowser, parse_form
from tests.support.platform import TestPlatform

pytestmark = pytest.mark.e2e


def test_resource_link_launch_lands_signed_in(live_tool, platform):
    browser = HttpBrowser()
    response = browser.launch(platform.url, persona="trainee", course="peer-support")
    assert response.status_code == 200
    assert response.url == live_tool.url + "/"
    assert "Your peer support programme" in response.text
    assert "Sam Okafor" in response.text
    # Signed in: the next page needs no new launch.
    again = browser.session.get(live_tool.url + "/modules/awareness")
    assert again.status_code == 200
    assert "Mental health at work: awareness" in again.text


def test_deep_linking_round_trip(app, live_tool, platform):
    teacher = HttpBrowser()
    picker = teacher.launch(platform.url, persona="admin", course="wellbeing-101",
                            message="deep_link")
    assert picker.status_code == 200
    assert "/lti/deep-link/" in picker.url
    form = parse_form(picker.text)
    returned = teacher.session.post(
        picker.url,
        data=[("csrf_token", form.fields["csrf_token"]), ("item", "skills:module"),
              ("item", "awareness:quiz")],
    )
    assert returned.status_code == 200
    back = parse_form(returned.text, "deep-link-return")
    assert back.action == platform.url + "/deep-link-return/wellbeing-101"
    claims = jwt.decode(back.fields["JWT"], options={"verify_signature": False})
    items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert [i["custom"] for i in items] == [
        {"module": "skills"}, {"module": "awareness", "open": "quiz"}
    ]
    # The platform (lti1p3platform) verifies our signature against /lti/jwks and saves links.
    done = teacher.session.post(back.action, data=back.fields)
    assert done.status_code == 200, done.text
    links = platform.state.links("wellbeing-101")
    assert [lk["title"] for lk in links][-2:] == [
        "Practical peer-support skills", "Mental health at work: awareness quiz"
    ]
    # The launch carried AGS, so the quiz link asks the platform for a line item.
    assert links[-1]["lineItem"] == {
        "scoreMaximum": 100, "label": "Mental health at work: awareness quiz",
        "resourceId": "awareness", "tag": "lms-plugin-quiz",
    }
    # A learner launching the new link lands on that module.
    learner = HttpBrowser().launch(platform.url, persona="learner", course="wellbeing-101",
                                   link=links[-2]["id"])
    assert learner.url == live_tool.url + "/modules/skills"


def test_deep_linking_picker_refuses_learners_and_garbage(live_tool, platform):
    teacher = HttpBrowser()
    picker = teacher.launch(platform.url, persona="admin", message="deep_link")
    token = parse_form(picker.text).fields["csrf_token"]
    garbage = teacher.session.post(picker.url, data={"csrf_token": token, "item": "nope:x"})
    assert garbage.status_code == 200 and "not one of the modules" in garbage.text
    empty = teacher.session.post(picker.url, data={"csrf_token": token})
    assert "Choose at least one" in empty.text
    no_csrf = teacher.session.post(picker.url, data={"item": "skills:module"})
    assert no_csrf.status_code == 400
    learner = HttpBrowser()
    refused = learner.launch(platform.url, persona="learner", message="deep_link")
    assert refused.status_code == 403
    assert "teachers and administrators" in refused.text
    # Another person's deep linking session is not reachable by URL.
    assert learner.session.get(picker.url).status_code == 403


def test_dynamic_registration_then_launch(app, live_tool, tmp_path):
    lms = TestPlatform(tmp_path / "dr")
    try:
        register = requests.get(lms.url + "/register-tool",
                                params={"url": live_tool.url + "/lti/register"})
        frame = register.text.split('title="Tool registration" src="', 1)[1].split('"', 1)[0]
        frame = frame.replace("&amp;", "&")
        page = requests.get(frame)
        assert page.status_code == 200 and "Register" in page.text
        form = parse_form(page.text)
        done = requests.post(frame.split("?")[0], data=form.fields)
        assert done.status_code == 200, done.text
        assert "org.imsglobal.lti.close" in requests.get(
            live_tool.url + "/static/registration-close.js").text
        tool = lms.state.tool()
        assert tool["jwks_url"] == live_tool.url + "/lti/jwks"
        with app.app_context():
            saved = db.session.scalars(select(Platform).where(Platform.issuer == lms.issuer)).one()
            assert not saved.approved
            assert saved.client_id == tool["client_id"]
            assert saved.keyset_url == lms.url + "/jwks"
            assert db.session.scalars(
                select(Deployment.deployment_id).where(Deployment.platform_id == saved.id)
            ).all() == [tool["deployment_id"]]
        # The registration token was single use.
        assert requests.post(frame.split("?")[0], data=form.fields).status_code == 502
        # Registered without the operators' key: it waits for their approval.
        assert HttpBrowser().start(lms.url, persona="learner").status_code == 302
        waiting = requests.get(live_tool.url + "/lti/login", params={
            "iss": lms.issuer, "login_hint": "x", "client_id": tool["client_id"]})
        assert waiting.status_code == 403 and "approve" in waiting.text
        approved = app.test_cli_runner().invoke(args=["platform", "approve", str(saved.id)])
        assert approved.exit_code == 0, approved.output
        launched = HttpBrowser().launch(lms.url, persona="learner")
        assert launched.status_code == 200
        assert "Alex Morgan" in launched.text
    finally:
        lms.stop()


def test_dynamic_registration_refuses_bad_requests(live_tool, app):
    bad = requests.get(live_tool.url + "/lti/register")
    assert bad.status_code == 400
    assert "openid_configuration" in bad.text
    unreachable = requests.post(
        live_tool.url + "/lti/register",
        data={"openid_configuration": "http://127.0.0.1:9/.well-known/openid-configuration"},
    )
    assert unreachable.status_code == 502
    with app.app_context():
        assert db.session.scalars(select(Platform)).all()[0].issuer != "http://127.0.0.1:9"


def test_platform_key_set_is_cached(app, live_tool, platform):
    platform.hits.clear()
    for _ in range(3):
        assert HttpBrowser().launch(platform.url).status_code == 200
    assert platform.hits.get("/demo/jwks") == 1


def test_platform_key_rotation_refetches_key_set(app, live_tool, platform):
    assert HttpBrowser().launch(platform.url).status_code == 200  # key set now cached
    platform.hits.clear()
    old = platform.state.signing_key()["kid"]
    new = requests.post(platform.url + "/keys/rotate").json()["kid"]
    assert new != old
    # The cached key set lacks the new kid: the tool fetches it again, once, and accepts.
    response = HttpBrowser().launch(platform.url, persona="trainee")
    assert response.status_code == 200, response.text
    assert "Sam Okafor" in response.text
    assert platform.hits.get("/demo/jwks") == 1


def test_tool_key_rotation_keeps_old_kid_until_retired(app, live_tool, platform, runner):
    conf = DemoPlatformConf(state=platform.state, issuer=platform.issuer)
    conf.get_registration()
    with app.app_context():
        from lms_plugin.lti.keys import get_signing_key

        old = get_signing_key()
        old_kid, old_pem = old.kid, old.private_key_pem
        db.session.commit()

    def signed_by_old_key() -> str:
        now = int(time.time())
        return jwt.encode({"iss": "test-client", "iat": now, "exp": now + 60,
                           "jti": uuid.uuid4().hex}, old_pem, "RS256", {"kid": old_kid})

    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    kids = [k["kid"] for k in requests.get(live_tool.url + "/lti/jwks").json()["keys"]]
    assert old_kid in kids and len(kids) == 2
    # lti1p3platform verifies a token signed with the superseded key against /lti/jwks.
    assert conf.tool_validate_and_decode(signed_by_old_key())["iss"] == "test-client"
    # New deep linking responses are signed with the new key.
    with app.app_context():
        new_kid = db.session.scalars(
            select(ToolKey.kid).where(ToolKey.superseded_at.is_(None))
        ).one()
    assert new_kid != old_kid
    result = runner.invoke(args=["keys", "retire", old_kid])
    assert result.exit_code == 0, result.output
    conf = DemoPlatformConf(state=platform.state, issuer=platform.issuer)
    conf.get_registration()
    with pytest.raises(LtiException, match="Unable to find public key"):
        conf.tool_validate_and_decode(signed_by_old_key())


def test_user_is_stored_once_per_issuer_and_sub(app, live_tool, platform):
    HttpBrowser().launch(platform.url, persona="learner")
    HttpBrowser().launch(platform.url, persona="learner", course="peer-support")
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert [(u.issuer, u.sub) for u in users] == [(platform.issuer, "demo-learner-1")]
        assert len(users[0].enrollments) == 2
