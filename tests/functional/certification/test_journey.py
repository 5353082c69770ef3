"""A trainee's whole way to a certificate, through the pages, with a supervisor and an
admin in their own browsers; then public verification, the PDF, the badge, revocation."""

from __future__ import annotations

import json

import jwt
from sqlalchemy import select

from lms_plugin.certification.models import Certificate, LoggedHours
from lms_plugin.extensions import db
from tests.support.browser import ClientBrowser
from tests.support.certification import log
from tests.support.quiz import csrf as token
from tests.support.training import finish_module


def test_trainee_to_certificate_and_back(app, registered, sample_content):
    supervisor = ClientBrowser(app.test_client(), registered.url)
    supervisor.launch(persona="supervisor")  # the mentor of demo-trainee-1
    trainee = ClientBrowser(app.test_client(), registered.url)
    trainee.launch(persona="trainee")
    client = trainee.client

    finish_module(client)
    page = client.get("/programmes/listener").get_data(as_text=True)
    enrolled = client.post("/programmes/listener/enrol", data={"csrf_token": token(page)})
    assert enrolled.status_code == 302
    page = client.get("/programmes/listener").get_data(as_text=True)
    assert "Provisional" in page
    assert "0 of 3 supervised practice hours approved" in page
    assert "could identify the person you supported" in page
    select_html = page.split('name="supervisor"', 1)[1].split("</select>", 1)[0]
    mentor_id = select_html.split('value="', 1)[1].split('"', 1)[0]
    assert "Jordan Lee" in select_html

    refused = log(client, page, mentor_id, "2", "peer-conversation",
                  "Followed up by email with sam@example.org")
    assert refused.status_code == 422
    assert "email address" in refused.get_data(as_text=True)
    garbage = log(client, page, mentor_id, "lots", "peer-conversation")
    assert garbage.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(LoggedHours)).all() == []

    assert log(client, page, mentor_id, "3", "peer-conversation",
               "Used open questions and a summary.").status_code == 302
    assert log(client, page, mentor_id, "1", "supervision").status_code == 302

    queue = supervisor.client.get("/supervision").get_data(as_text=True)
    assert "Sam Okafor: 3 hours of peer conversation" in queue
    with app.app_context():
        ids = [e.id for e in db.session.scalars(select(LoggedHours).order_by(LoggedHours.id))]
    for entry_id in ids:
        decided = supervisor.client.post(f"/supervision/hours/{entry_id}", data={
            "csrf_token": token(queue), "decision": "approve", "reason": ""})
        assert decided.status_code == 302
    # The trainee cannot decide their own entries, not even by URL.
    assert client.post(f"/supervision/hours/{ids[0]}", data={
        "csrf_token": token(page), "decision": "approve"}).status_code == 404

    page = client.get("/programmes/listener").get_data(as_text=True)
    assert "Code of conduct: not signed yet" in page
    signed = client.post("/programmes/listener/attestations/code-of-conduct",
                         data={"csrf_token": token(page)}, follow_redirects=True)
    page = signed.get_data(as_text=True)
    assert "you are certified" in page and "Download PDF" in page

    with app.app_context():
        certificate = db.session.scalars(select(Certificate).where(
            Certificate.programme_slug == "listener")).one()  # not the training one
        code = certificate.code

    public = app.test_client()  # anyone, not signed in
    verify = public.get(f"/verify/{code}").get_data(as_text=True)
    assert "Genuine and current" in verify and "Sam Okafor" in verify
    assert "Certified Listener" in verify and "100" not in verify.split("<main", 1)[1]
    as_json = public.get(f"/verify/{code}.json").get_json()
    assert as_json["status"] == "current" and as_json["holder"] == "Sam Okafor"
    assert set(as_json) == {"code", "holder", "programme", "issued", "expires", "status",
                            "revoked"}
    forged = public.get(f"/verify/{code[:-1]}{'A' if code[-1] != 'A' else 'B'}")
    assert forged.status_code == 404 and "No certificate has this code" in \
        forged.get_data(as_text=True)
    assert public.get("/verify/not-a-code.json").status_code == 404

    pdf = client.get(f"/certificates/{code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert supervisor.client.get(f"/certificates/{code}.pdf").status_code == 404

    badge = client.get(f"/certificates/{code}/badge").get_data(as_text=True)
    jwks = jwt.PyJWKSet.from_dict(public.get("/lti/jwks").get_json())
    kid = jwt.get_unverified_header(badge)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(badge, key.key, algorithms=["RS256"])
    vc = claims["vc"]
    assert "OpenBadgeCredential" in vc["type"]
    assert vc["credentialSubject"]["achievement"]["name"] == "Certified Listener (test programme)"
    assert vc["id"].endswith(f"/verify/{code}")
    checked = public.post("/verify/badge", data={"badge": badge}).get_data(as_text=True)
    assert "The signature is ours and valid" in checked and "current" in checked
    head, body, sig = badge.split(".")
    payload = json.loads(jwt.utils.base64url_decode(body))
    payload["vc"]["credentialSubject"]["achievement"]["name"] = "Something else"
    tampered = ".".join([head, jwt.utils.base64url_encode(json.dumps(payload).encode()).decode(),
                         sig])
    refused = public.post("/verify/badge", data={"badge": tampered})
    assert refused.status_code == 422
    assert "has been altered" in refused.get_data(as_text=True)
    assert public.post("/verify/badge", data={"badge": "nonsense"}).status_code == 422

    admin = ClientBrowser(app.test_client(), registered.url)
    admin.launch(persona="admin")
    assert client.post(f"/certificates/{code}/revoke", data={
        "csrf_token": token(page), "reason": "x"}).status_code == 403
    admin_page = admin.client.get(f"/verify/{code}").get_data(as_text=True)
    revoked = admin.client.post(f"/certificates/{code}/revoke", data={
        "csrf_token": token(admin_page), "reason": "Broke the confidentiality agreement."})
    assert revoked.status_code == 302
    after = public.get(f"/verify/{code}").get_data(as_text=True)
    assert "Revoked" in after and "Genuine and current" not in after
    assert public.get(f"/verify/{code}.json").get_json()["status"] == "revoked"
    checked = public.post("/verify/badge", data={"badge": badge}).get_data(as_text=True)
    assert "revoked" in checked
