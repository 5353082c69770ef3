"""Stored XSS: the usual payloads in names (from the LMS), reflections, reasons and
directory entries are shown escaped on every page that shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.certificates import revoke_certificate
from lms_plugin.certification.directory import save_listing
from lms_plugin.certification.enrolments import enrol
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.extensions import db
from tests.support import factories
from tests.support.authorization import Person, client_for

PAYLOADS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>',
            "<svg/onload=alert(1)>", "javascript:alert(1)//<a href='javascript:x'>x</a>"]


@pytest.mark.one_database
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_escaped_everywhere_they_are_shown(app, sample_content, payload):
    with app.app_context():
        trainee = factories.user(f"Sam {payload}")
        mentor = factories.user(f"Jo {payload}", roles="mentor")
        admin = factories.user(f"Ad {payload}", roles="admin")
        factories.mentor_of(mentor, trainee)
        factories.completed(trainee, "listening", 90)
        enrol(trainee, "listener").enrolled_at -= timedelta(days=7)  # before yesterday's hours
        yesterday = datetime.now(UTC) - timedelta(days=1)

        def log(hours: str, kind: str, reflection: str | None):
            return log_hours(trainee, "listener", category="practice", kind=kind,
                             hours=Decimal(hours), activity_date=yesterday, supervisor=mentor,
                             reflection=reflection)

        log("1", "check-in", f"Reflection {payload}")
        rejected = log("1", "check-in", None)
        decide_hours(rejected, mentor, False, f"Reason {payload}")
        decide_hours(log("3", "peer-conversation", None), mentor, True, "")
        decide_hours(log("1", "supervision", None), mentor, True, "")
        certificate = sign_attestation(trainee, "listener", "code-of-conduct")
        assert certificate is not None
        save_listing(trainee, contact=f"Desk {payload}", languages=payload,
                     availability=payload)
        code, trainee_id, cert_id = certificate.code, trainee.id, certificate.id
        db.session.commit()
        ids = {"trainee": Person(trainee.id, ["learner"]),
               "supervisor_this": Person(mentor.id, ["mentor"]),
               "admin": Person(admin.id, ["admin"])}
    pages = {
        "trainee": ["/programmes/listener", "/peer-supporters"],
        "supervisor_this": ["/supervision"],
        "admin": ["/programmes/listener/people", f"/admin/people/{trainee_id}",
                  "/admin/people", f"/admin/people?q={payload[:20]}", "/admin/audit",
                  "/admin/erasure-requests",
                  f"/verify/{code}"],
    }
    for role, paths in pages.items():
        client = client_for(app, ids[role])
        for path in paths:
            body = client.get(path).get_data(as_text=True)
            assert payload not in body, (role, path)
    seen = client_for(app, ids["supervisor_this"]).get("/supervision").get_data(as_text=True)
    assert "Reflection " in seen  # shown to the supervisor, escaped
    public = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert payload not in public and "Sam " in public
    with app.app_context():
        from lms_plugin.certification.models import Certificate

        cert = db.session.get(Certificate, cert_id)
        revoke_certificate(cert, db.session.get(type(cert.user), ids["admin"].user_id),
                           f"Revoked {payload}")
        db.session.commit()
    assert payload not in app.test_client().get(f"/verify/{code}").get_data(as_text=True)
