"""Demo mode: the mailbox catches what the tool sends and /demo/mailbox shows it."""

from __future__ import annotations

from lms_plugin.demo.mailbox import mailbox_of, start_mailbox
from lms_plugin.demo.setup import prepare_demo
from lms_plugin.extensions import db
from lms_plugin.notifications.services import erasure_requested
from tests.conftest import make_app
from tests.support.notifications import deliver, person


def test_the_demo_mailbox_shows_what_was_sent(app, migrated, tmp_path):
    demo = make_app(migrated, tmp_path / "demo", LMS_PLUGIN_DEMO=True)
    with demo.app_context(), demo.test_request_context():
        prepare_demo("http://localhost:5000")
    sink = start_mailbox(demo)
    assert sink is not None and mailbox_of(demo) is sink
    try:
        assert demo.config["LMS_PLUGIN_SMTP_URL"] == sink.url
        client = demo.test_client()
        assert "No e-mail yet" in client.get("/demo/mailbox").get_data(as_text=True)
        with demo.app_context():
            asker = person("Alex <Morgan>", "alex.morgan@example.org")
            erasure_requested(asker)
            db.session.commit()
            deliver()
        sink.wait_for(1, timeout=10)
        page = client.get("/demo/mailbox").get_data(as_text=True)
        assert "We have your request to erase your records" in page
        assert "alex.morgan@example.org" in page
    finally:
        sink.stop()


def test_a_configured_smtp_server_is_used_instead(app, migrated, tmp_path):
    demo = make_app(migrated, tmp_path / "demo", LMS_PLUGIN_DEMO=True,
                    LMS_PLUGIN_SMTP_URL="smtp://mail.example.org:25")
    assert start_mailbox(demo) is None
    assert demo.config["LMS_PLUGIN_SMTP_URL"] == "smtp://mail.example.org:25"
    assert "not running" in demo.test_client().get("/demo/mailbox").get_data(as_text=True)
