"""No e-mail carries a score, a reflection or anything about health: every template may
use only the names listed here, every context value is escaped in HTML, and a journey
through every kind of e-mail, with a reflection and a quiz score there to leak, sends
neither."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import meta

from lms_plugin.certification.certificates import revoke_certificate
from lms_plugin.certification.reminders import send_due_reminders
from lms_plugin.extensions import db
from lms_plugin.notifications.models import Notification
from lms_plugin.notifications.services import (
    erasure_requested,
    render,
    send_expiry_notices,
    send_supervisor_digests,
)
from lms_plugin.notifications.topics import TOPICS
from lms_plugin.privacy.services import erase_person
from tests.support.notifications import (
    REFLECTION,
    SCORE,
    arrived,
    certified_trainee,
    deliver,
    everything,
    person,
)

TEMPLATES = Path(__file__).parents[3] / "lms_plugin" / "templates" / "notifications"
# Everything an e-mail template may be given. Nothing here is a score, an answer, a
# reflection or a survey response; adding such a name fails the test below.
ALLOWED = {"tool_name", "link", "preferences", "essential", "subject", "programme", "code",
           "renewal", "expires", "approved", "hours", "activity_day", "reason", "slug",
           "days_before", "expired", "lapses", "entries", "trainees", "oldest"}
FORBIDDEN_WORDS = ("score", "reflection", "answer", "survey", "attempt", "grade", "result")
EMAILS = sorted(p.name for p in TEMPLATES.iterdir() if p.suffix in (".txt", ".html")
                and p.name != "preferences.html")  # the page, not an e-mail


def test_every_kind_has_a_text_and_an_html_template():
    for key in TOPICS:
        assert f"{key}.txt" in EMAILS and f"{key}.html" in EMAILS, key


def test_templates_use_only_allowed_names(app):
    with app.app_context():
        env = app.jinja_env
        for name in EMAILS:
            source = (TEMPLATES / name).read_text()
            used = meta.find_undeclared_variables(env.parse(source))
            assert used <= ALLOWED, (name, used - ALLOWED)
            assert not [w for w in FORBIDDEN_WORDS if any(w in u for u in used)], name


def _context(text: str) -> dict[str, object]:
    return {"base": "https://training.example.org", "programme": text, "code": text,
            "renewal": False, "expires": text, "approved": False, "hours": text,
            "activity_day": text, "reason": text, "slug": "listener", "days_before": 14,
            "expired": text, "lapses": text, "entries": 2, "trainees": 1, "oldest": text}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from("<>&\"'ab /"), max_size=12))
def test_every_value_is_escaped_in_every_html_email(app, text):
    """Whatever a programme title or a supervisor's reason holds, it is text in the HTML
    part, never markup."""
    value = f"<i data-x='{text}'>"
    with app.app_context():
        for key in TOPICS:
            notification = Notification(topic=key, dedupe_key=f"{key}:x", user_id=1,
                                        context_json=json.dumps(_context(value)))
            email = render(notification, "someone@example.org")
            assert "<i data-x" not in email.html, key
            if value in email.text:  # the plain text shows it as it is; HTML escapes it
                assert "&lt;i data-x=" in email.html, key


def test_a_journey_through_every_kind_of_email_leaks_no_reflection_or_score(
        app, sample_content, sink):
    with app.app_context():
        world = certified_trainee()
        admin = person("Riley", "riley@example.org", "admin")
        now = datetime.now(UTC)
        world.certificate.expires_at = now + timedelta(days=10)
        db.session.commit()
        send_due_reminders(now)  # renewal reminders
        send_supervisor_digests(now)  # the supervisor's digest
        world.certificate.expires_at = now - timedelta(days=1)
        db.session.commit()
        send_expiry_notices(now)  # expired
        send_expiry_notices(now + timedelta(days=30))  # lapsed
        revoke_certificate(world.certificate, admin, "Issued in error")
        db.session.commit()
        # An erasure: asked for (as privacy's view does), then done.
        erasure_requested(world.trainee)
        db.session.commit()
        deliver()
        erase_person(world.trainee, admin)
        db.session.commit()
        deliver()
    # Issued, three decisions on hours, two renewal reminders (10 days left: the 60- and
    # 30-day offsets), the digest, expired, lapsed, revoked, erasure asked and done.
    messages = arrived(sink, 12)
    assert len(messages) == 12, sorted(m.subject for m in messages)
    assert {m.subject for m in messages} == {t.subject for t in TOPICS.values()}
    for message in messages:
        content = everything(message)
        assert REFLECTION not in content
        assert f"{SCORE:g}" not in content
