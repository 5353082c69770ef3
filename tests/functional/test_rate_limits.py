"""Rate limits on login initiation, launch and verification: one person (or one script)
retrying fast is slowed with a 429; everyone else behind the same address is not."""

from __future__ import annotations


def login(client, registered, hint: str):
    return client.get("/lti/login", query_string={
        "iss": registered.issuer, "login_hint": hint, "client_id": registered.client_id,
        "target_link_uri": "http://localhost/lti/launch"})


def test_one_person_retrying_is_slowed_not_their_colleagues(app, client, registered):
    app.config["LMS_PLUGIN_RATE_LIMIT_LOGIN"] = "3 per minute"
    assert [login(client, registered, "sam").status_code for _ in range(3)] == [302] * 3
    limited = login(client, registered, "sam")
    assert limited.status_code == 429
    assert "Too Many Requests" in limited.get_data(as_text=True) or \
        "too many" in limited.get_data(as_text=True).lower()
    # A colleague behind the same address (the office NAT) is not affected.
    assert login(client, registered, "alex").status_code == 302


def test_verification_is_limited_per_address(app, client):
    app.config["LMS_PLUGIN_RATE_LIMIT_VERIFY"] = "2 per minute"
    codes = [client.get("/verify/AAAAAAAAAAAAAAAAAAAA").status_code for _ in range(3)]
    assert codes == [404, 404, 429]
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
