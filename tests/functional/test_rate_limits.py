"""Rate limits on login initiation, launch and verification (issue 11, finding 8): counted
per client address, which nothing a client sends can vary (login_hint, state, a forged
X-Forwarded-For), plus a narrower per-person launch limit keyed by the verified sub of the
signed id_token. A second address, a colleague and another organisation's person with the
same sub are not affected."""

from __future__ import annotations

import uuid

from lms_plugin.extensions import db
from lms_plugin.lti.registration import save_platform
from tests.support.browser import signed_launch
from tests.support.launches import NOTHING, stored
from tests.support.platform import stranger_key

OFFICE = "203.0.113.10"
ELSEWHERE = "198.51.100.7"


def login(client, registered, hint: str, address: str = OFFICE, **headers: str):
    return client.get("/lti/login", query_string={
        "iss": registered.issuer, "login_hint": hint, "client_id": registered.client_id,
        "target_link_uri": "http://localhost/lti/launch"},
        environ_base={"REMOTE_ADDR": address}, headers=headers)


def forged_launch(client, address: str = OFFICE, **headers: str):
    """A launch post with a fresh state each time and no usable token."""
    return client.post("/lti/launch", data={"id_token": "x.y.z", "state": uuid.uuid4().hex},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_logins_with_any_login_hint_share_their_address_s_limit(app, client, registered):
    app.config["LMS_PLUGIN_RATE_LIMIT_LOGIN"] = "10 per minute"
    codes = [login(client, registered, f"hint-{i}").status_code for i in range(60)]
    assert codes == [302] * 10 + [429] * 50
    limited = login(client, registered, "someone-new")
    assert limited.status_code == 429
    page = limited.get_data(as_text=True)
    assert "Too many launches at once" in page and "Wait a minute" in page
    # When to come back: when the minute's window resets, read on the refusal only.
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Shown inside the LMS's frame, like any refused login.
    assert limited.headers["Content-Security-Policy"].endswith("frame-ancestors 'self' *")
    # Another address (another office, a learner at home) is not affected.
    assert login(client, registered, "hint-0", address=ELSEWHERE).status_code == 302


def test_launches_with_distinct_states_share_their_address_s_limit(app, client, registered):
    app.config["LMS_PLUGIN_RATE_LIMIT_LAUNCH"] = "10 per minute"
    codes = [forged_launch(client).status_code for _ in range(60)]
    assert all(400 <= code < 500 and code != 429 for code in codes[:10]), codes
    assert codes[10:] == [429] * 50
    assert forged_launch(client, address=ELSEWHERE).status_code not in (429, 500)


def test_a_forged_forwarded_for_does_not_escape_the_limit(app, client, registered):
    # No proxy configured (LMS_PLUGIN_PROXY_FIX=0): X-Forwarded-For is anyone's to write.
    app.config["LMS_PLUGIN_RATE_LIMIT_LOGIN"] = "5 per minute"
    codes = [login(client, registered, "h", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code
             for i in range(10)]
    assert codes == [302] * 5 + [429] * 5


def test_behind_the_configured_proxy_each_client_address_has_its_own_limit(
        migrated, tmp_path, registered):
    from tests.conftest import make_app

    proxied = make_app(migrated, tmp_path, LMS_PLUGIN_PROXY_FIX=1,
                       LMS_PLUGIN_RATE_LIMIT_LOGIN="5 per minute")
    client = proxied.test_client()
    # The proxy (one address) appends the real client's address to X-Forwarded-For.
    office = [login(client, registered, f"h{i}", "10.0.0.1",
                    **{"X-Forwarded-For": f"1.2.3.{i}, {OFFICE}"}).status_code
              for i in range(8)]
    assert office == [302] * 5 + [429] * 3  # the first hop is the client's to forge
    home = login(client, registered, "h", "10.0.0.1", **{"X-Forwarded-For": ELSEWHERE})
    assert home.status_code == 302
    with proxied.app_context():
        db.engine.dispose()


def test_one_person_relaunching_is_slowed_not_their_colleagues(app, registered,
                                                                second_platform):
    app.config["LMS_PLUGIN_RATE_LIMIT_LAUNCH_PERSON"] = "3 per minute"
    sam = app.test_client()
    # Tokens that do not verify say nothing about who is launching: they never count.
    for _ in range(5):
        token = registered.sign(registered.claims("n", sub="sam"),
                                key=dict(stranger_key(), kid=registered.state.signing_key()["kid"]))
        refused = sam.post("/lti/launch", data={"id_token": token, "state": "s"})
        assert refused.status_code == 401
    assert [signed_launch(sam, registered, sub="sam").status_code
            for _ in range(3)] == [302] * 3
    before = stored(app)
    limited = signed_launch(sam, registered, sub="sam")
    assert limited.status_code == 429
    assert "You have opened the tool many times" in limited.get_data(as_text=True)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60  # the window resets within the minute
    assert stored(app)["launch data"] == before["launch data"]  # refused before it is saved
    # A colleague at the same address, and someone with the same sub in another
    # organisation's LMS, or in another school on the same issuer (Canvas: one issuer,
    # a client id per school), launch as usual.
    assert signed_launch(app.test_client(), registered, sub="alex").status_code == 302
    assert signed_launch(app.test_client(), second_platform, sub="sam").status_code == 302
    with app.app_context():
        save_platform(**{**registered.registration_kwargs(), "client_id": "other-school"})
        db.session.commit()
    assert signed_launch(app.test_client(), registered, client_id="other-school", sub="sam",
                         aud="other-school", azp="other-school").status_code == 302


def test_a_whole_office_launches_within_the_default_limits(app, registered):
    # The defaults (README): 300 logins and launches a minute from one address, 30 each.
    assert app.config["LMS_PLUGIN_RATE_LIMIT_LOGIN"] == "300 per minute"
    assert app.config["LMS_PLUGIN_RATE_LIMIT_LAUNCH"] == "300 per minute"
    assert app.config["LMS_PLUGIN_RATE_LIMIT_LAUNCH_PERSON"] == "30 per minute"
    people = [signed_launch(app.test_client(), registered, sub=f"person-{i}").status_code
              for i in range(40)]
    assert people == [302] * 40
    assert stored(app) != NOTHING


def test_verification_is_limited_per_address(app, client, caplog):
    app.config["LMS_PLUGIN_RATE_LIMIT_VERIFY"] = "2 per minute"
    answers = [client.get("/verify/AAAAAAAAAAAAAAAAAAAA") for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    assert "could not read when the window resets" not in caplog.text
    # Answers that are not refusals carry no rate-limit headers: writing them read every
    # limit's window back from the storage on every response.
    assert not [k for k, _ in answers[0].headers.items() if k.lower().startswith("x-ratelimit")]
    other = client.get("/verify/AAAAAAAAAAAAAAAAAAAA",
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 404


def test_limits_can_be_switched_off(migrated, tmp_path, registered):
    from tests.conftest import make_app

    free = make_app(migrated, tmp_path, LMS_PLUGIN_RATE_LIMITS=False,
                    LMS_PLUGIN_RATE_LIMIT_VERIFY="1 per minute")
    client = free.test_client()
    assert [client.get("/verify/AAAAAAAAAAAAAAAAAAAA").status_code for _ in range(3)] == [404] * 3
    from lms_plugin.extensions import db

    with free.app_context():
        db.engine.dispose()
