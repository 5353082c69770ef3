"""Acknowledgement: a page for each finished module and for the whole training, and the
"training completed" certificate (issued once, verified publicly like the others), with
the credentials people can use: PDF with the organisation's name, logo and signatory, a
baked Open Badge PNG whose credential verifies against /lti/jwks, and LinkedIn's link."""

from __future__ import annotations

import shutil
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
from sqlalchemy import select

from lms_plugin.certification.directory import may_list
from lms_plugin.certification.documents import certificate_pdf_html
from lms_plugin.certification.models import Certificate
from lms_plugin.certification.training_certificate import TRAINING_SLUG
from lms_plugin.extensions import db
from lms_plugin.users.models import Organisation, User
from tests.conftest import sync
from tests.support.badges import baked_itxt
from tests.support.quiz import RIGHT, answer, csrf, start_quiz
from tests.support.training import complete_lesson, finish_listening

PAUSING = """title: "Pausing well"
order: 2
summary: >-
  A second small module, with no quiz.
estimated_minutes: 5
completion:
  lessons: all
"""
LESSON = """---
id: pausing-breaks
title: "Taking breaks"
minutes: 5
objectives:
  - "You will be able to plan a break"
---

Short breaks help.

## Try it

Plan one short break for tomorrow.
"""


def two_modules(app, sample_content: Path, tmp_path: Path) -> Path:
    """The sample content plus a second module without a quiz."""
    root = tmp_path / "content"
    shutil.copytree(sample_content, root)
    module = root / "modules" / "pausing"
    (module / "lessons").mkdir(parents=True)
    (module / "module.yaml").write_text(PAUSING)
    (module / "lessons" / "01-breaks.md").write_text(LESSON)
    sync(app, root)
    return root


def training_certificates(app) -> list[Certificate]:
    with app.app_context():
        found = list(db.session.scalars(select(Certificate).where(
            Certificate.programme_slug == TRAINING_SLUG)))
        db.session.expunge_all()
        return found


def test_overview_no_longer_asks_for_an_order_it_does_not_enforce(lti, sample_content):
    lti.launch()
    page = lti.client.get("/").get_data(as_text=True)
    assert "Work through the modules in order" not in page
    assert "you can take them in any order" in page


def test_finishing_a_module_is_acknowledged_with_what_is_next(app, lti, sample_content,
                                                               tmp_path):
    two_modules(app, sample_content, tmp_path)
    client = lti.client
    lti.launch()
    # Pages for what is not finished yet send the learner back to it.
    assert client.get("/modules/pausing/completed").headers["Location"].endswith(
        "/modules/pausing")
    assert client.get("/training/completed").headers["Location"].endswith("/")

    done = complete_lesson(client, "pausing", 1)  # out of the suggested order
    assert done.headers["Location"].endswith("/modules/pausing/completed")
    page = unescape(client.get(done.headers["Location"]).get_data(as_text=True))
    main = page.split("<main", 1)[1]
    assert "You have completed Pausing well" in main
    assert "1 of 2 modules done" in main
    assert "Go to Listening well" in main  # what is next
    assert "Look after yourself too" in main and "Get help now" in main
    assert training_certificates(app) == []  # one module of two: no training certificate
    module = client.get("/modules/pausing").get_data(as_text=True)
    assert "/modules/pausing/completed" in module  # the acknowledgement can be found again


def test_the_last_module_issues_the_training_certificate_exactly_once(app, lti,
                                                                      sample_content, tmp_path):
    two_modules(app, sample_content, tmp_path)
    client = lti.client
    lti.launch()
    complete_lesson(client, "pausing", 1)
    assert training_certificates(app) == []

    last = finish_listening(client)
    assert last.headers["Location"].endswith("/training/completed")
    (certificate,) = training_certificates(app)
    page = unescape(client.get("/training/completed").get_data(as_text=True))
    main = page.split("<main", 1)[1]
    assert "You have completed the training" in main
    assert "Listening well" in main and "Pausing well" in main
    assert certificate.code in main and "It does not expire" in main
    assert f"/certificates/{certificate.code}.pdf" in main
    assert f"/certificates/{certificate.code}/badge.png" in main
    assert "Add to LinkedIn profile" in main and 'rel="noopener noreferrer"' in main
    assert "Get help now" in main

    # However the learner goes on (again, in another tab, the page reloaded), no second one.
    complete_lesson(client, "listening", 2)
    complete_lesson(client, "pausing", 1)
    client.get("/training/completed")
    assert [c.code for c in training_certificates(app)] == [certificate.code]
    assert "See your training certificate" in client.get("/").get_data(as_text=True)

    # It is completing training, not certification as a peer supporter.
    with app.app_context():
        holder = db.session.get(User, certificate.user_id)
        assert not may_list(holder)

    public = app.test_client()
    verify = public.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Genuine and current" in verify and certificate.holder_name in verify
    assert "Mental health at work: training completed" in verify
    assert "Does not expire" in verify and TRAINING_SLUG not in verify
    as_json = public.get(f"/verify/{certificate.code}.json").get_json()
    assert as_json["status"] == "current" and as_json["expires"] is None

    pdf = client.get(f"/certificates/{certificate.code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert f'filename="certificate-{certificate.code}.pdf"' in pdf.headers[
        "Content-Disposition"]


def test_badge_png_carries_a_credential_that_verifies_against_the_published_keys(
        app, lti, sample_content):
    client = lti.client
    lti.launch()
    finish_listening(client)
    (certificate,) = training_certificates(app)
    png = client.get(f"/certificates/{certificate.code}/badge.png")
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert png.headers["Content-Disposition"] == (
        f'attachment; filename="badge-{certificate.code}.png"')
    keyword, compressed, token = baked_itxt(png.data)
    assert (keyword, compressed) == ("openbadgecredential", 0)

    public = app.test_client()
    jwks = jwt.PyJWKSet.from_dict(public.get("/lti/jwks").get_json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(token, key.key, algorithms=["RS256"])
    vc = claims["vc"]
    assert "OpenBadgeCredential" in vc["type"]
    assert vc["id"].endswith(f"/verify/{certificate.code}")
    assert vc["credentialSubject"]["achievement"]["name"] == (
        "Mental health at work: training completed")
    assert "validUntil" not in vc and "exp" not in claims  # it does not expire
    # The credential inside the image checks out on the public badge page too.
    checked = public.post("/verify/badge", data={"badge": token}).get_data(as_text=True)
    assert certificate.holder_name in checked and "The signature is ours and valid" in checked
    # The .jwt stays, for machines.
    assert client.get(f"/certificates/{certificate.code}/badge").data.count(b".") == 2
    # Someone else cannot download it.
    assert app.test_client().get(f"/certificates/{certificate.code}/badge.png").status_code \
        in (302, 401, 404)


def test_linkedin_link_names_the_certificate_and_its_verification_page(app, lti,
                                                                      sample_content):
    client = lti.client
    lti.launch()
    finish_listening(client)
    (certificate,) = training_certificates(app)
    page = unescape(client.get("/training/completed").get_data(as_text=True))
    href = page.split('href="https://www.linkedin.com/profile/add?', 1)[1].split('"', 1)[0]
    query = parse_qs(href)
    assert query["name"] == ["Mental health at work: training completed"]
    assert query["certId"] == [certificate.code]
    assert query["certUrl"][0].endswith(f"/verify/{certificate.code}")
    with app.app_context():
        holder = db.session.get(User, certificate.user_id)
        organisation = db.session.get(Organisation, holder.organisation_id).name
    assert query["organizationName"] == [organisation]
    issued = certificate.issued_at
    assert query["issueYear"] == [str(issued.year)] and query["issueMonth"] == [
        str(issued.month)]
    assert "expirationYear" not in query
    # What to type in, should LinkedIn not fill it in.
    details = page.split('<details class="linkedin-details">', 1)[1].split("</details>", 1)[0]
    assert certificate.code in details and organisation in details
    assert query["certUrl"][0] in details
    assert urlsplit("https://x/?" + href).query  # well-formed


def pdf_text(html: str) -> str:
    """The text WeasyPrint lays out on the pages (what the PDF shows)."""
    from weasyprint import HTML

    document = HTML(string=html).render()
    texts: list[str] = []

    def walk(box) -> None:
        text = getattr(box, "text", None)
        if isinstance(text, str):
            texts.append(text)
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(texts)


def test_pdf_names_the_organisation_by_default_and_has_no_signatory(app, lti,
                                                                    sample_content):
    client = lti.client
    lti.launch()
    finish_listening(client)
    (certificate,) = training_certificates(app)
    with app.test_request_context(), app.app_context():
        certificate = db.session.get(Certificate, certificate.id)
        holder = db.session.get(User, certificate.user_id)
        organisation = db.session.get(Organisation, holder.organisation_id).name
        html = certificate_pdf_html(certificate, "https://tool.example/verify/X")
    with app.test_request_context(headers={"Accept-Language": "es"}), app.app_context():
        spanish = certificate_pdf_html(db.session.get(Certificate, certificate.id),
                                       "https://tool.example/verify/X")
    text = pdf_text(html)
    assert organisation in text and certificate.holder_name in text
    assert "Mental health at work: training completed" in text
    assert "Certificate of completion" in text and "has been awarded" in text
    # In Spanish, the heading and the words around the name too (the title is content).
    assert "<h1>Certificado de finalización</h1>" in spanish and "ha obtenido" in spanish
    assert "Certificate of completion" not in spanish
    assert "valid until" not in text  # it does not expire
    assert "<img" not in html and "signatory" not in html.split("<body", 1)[1]


def test_pdf_carries_the_configured_organisation_logo_and_signatory(app, lti, sample_content,
                                                                    tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), (200, 30, 60)).save(logo)
    app.config.update(LMS_PLUGIN_CERTIFICATE_ORGANISATION="Northwind Logistics Ltd",
                      LMS_PLUGIN_CERTIFICATE_LOGO=str(logo),
                      LMS_PLUGIN_CERTIFICATE_SIGNATORY="Dr Amara Okoye, Head of People")
    client = lti.client
    lti.launch()
    finish_listening(client)
    (certificate,) = training_certificates(app)
    with app.test_request_context(), app.app_context():
        certificate = db.session.get(Certificate, certificate.id)
        html = certificate_pdf_html(certificate, "https://tool.example/verify/X")
    text = pdf_text(html)
    assert "Northwind Logistics Ltd" in text
    assert "Dr Amara Okoye" in text and "Head of People" in text
    pdf = client.get(f"/certificates/{certificate.code}.pdf").data
    assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf  # the logo is embedded
    # LinkedIn is offered the configured organisation's name too.
    page = unescape(client.get("/training/completed").get_data(as_text=True))
    assert "organizationName=Northwind+Logistics+Ltd" in page


def test_a_logo_that_cannot_be_used_leaves_the_certificate_without_one(app, lti,
                                                                      sample_content, tmp_path):
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    app.config.update(LMS_PLUGIN_CERTIFICATE_LOGO=str(tmp_path / "logo.gif"))
    client = lti.client
    lti.launch()
    finish_listening(client)
    (certificate,) = training_certificates(app)
    pdf = client.get(f"/certificates/{certificate.code}.pdf")
    assert pdf.status_code == 200 and b"/Subtype /Image" not in pdf.data
    app.config.update(LMS_PLUGIN_CERTIFICATE_LOGO=str(tmp_path / "missing.png"))
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == 200


def test_the_quiz_pass_that_completes_a_module_lands_on_its_acknowledgement(app, registered,
                                                                             sample_content):
    from tests.support.browser import ClientBrowser

    alex = ClientBrowser(app.test_client(), registered.url)
    alex.launch(persona="learner")
    complete_lesson(alex.client, "listening", 1)
    complete_lesson(alex.client, "listening", 2)
    url, page = start_quiz(alex.client)
    done = answer(alex.client, url, page, RIGHT)
    attempt_id = url.rstrip("/").rsplit("/", 1)[1]
    assert done.headers["Location"].endswith(
        f"/modules/listening/completed?attempt={attempt_id}")
    main = unescape(alex.client.get(done.headers["Location"]).get_data(as_text=True))
    assert "You have completed" in main and "You passed the quiz with 100%" in main
    assert f'href="/quiz/attempts/{attempt_id}/review"' in main
    # Submitting again (a double submit) goes to the review, not to a second acknowledgement.
    again = alex.client.post(url + "/submit", data={"csrf_token": csrf(page), "confirm": "yes"})
    assert again.headers["Location"].endswith("/review")

    # Someone else who names Alex's try on their own completion page gets no link to it.
    sam = ClientBrowser(app.test_client(), registered.url)
    sam.launch(persona="trainee")
    complete_lesson(sam.client, "listening", 1)
    complete_lesson(sam.client, "listening", 2)
    url, page = start_quiz(sam.client)
    answer(sam.client, url, page, RIGHT)
    theirs = unescape(sam.client.get(
        f"/modules/listening/completed?attempt={attempt_id}").get_data(as_text=True))
    assert "You have completed" in theirs and f"/quiz/attempts/{attempt_id}/review" not in theirs
    garbage = sam.client.get("/modules/listening/completed?attempt=not-a-number")
    assert garbage.status_code == 200 and "See your answers" not in garbage.get_data(True)


def test_a_failed_try_goes_to_its_review(app, lti, sample_content):
    lti.launch()
    complete_lesson(lti.client, "listening", 1)
    complete_lesson(lti.client, "listening", 2)
    url, page = start_quiz(lti.client)
    failed = answer(lti.client, url, page, {"q-q-open": ["a"]})
    assert failed.headers["Location"].endswith("/review")


def test_everyone_sees_their_path_and_enrolling_adds_the_peer_supporter_modules(
        app, lti, sample_content, tmp_path):
    """A module for peer supporters is not on an employee's path: not counted, not needed
    for the training certificate; enrolling in a programme puts it on the path."""
    root = two_modules(app, sample_content, tmp_path)
    module = root / "modules" / "pausing" / "module.yaml"
    module.write_text(PAUSING.replace("order: 2", "order: 2\naudience: peer_supporters"))
    programme = root / "certifications" / "listener.yaml"
    programme.write_text(programme.read_text().replace(
        "  - {module: listening, min_quiz_score: 80}",
        "  - {module: listening, min_quiz_score: 80}\n  - {module: pausing}"))
    sync(app, root)
    client = lti.client
    lti.launch()
    overview = client.get("/").get_data(as_text=True)
    main = overview.split("<main", 1)[1]
    assert "Modules for everyone" in main and "every employee" in main
    cards = main.split('<ol class="module-list">', 1)[1].split("</ol>", 1)[0]
    assert "Listening well" in cards and "Pausing well" not in cards
    assert "For peer supporters" in main and "/modules/pausing" in main  # named, not assigned

    # Everyone's path done: the training certificate, without the peer-supporter module.
    last = finish_listening(client)
    assert last.headers["Location"].endswith("/training/completed")
    assert len(training_certificates(app)) == 1
    assert "You have completed every module" in client.get("/").get_data(as_text=True)

    # Enrolled: the peer-supporter path, with the module to do, and what is next says so.
    page = client.get("/programmes/listener").get_data(as_text=True)
    client.post("/programmes/listener/enrol", data={"csrf_token": csrf(page)})
    main = client.get("/").get_data(as_text=True).split("<main", 1)[1]
    cards = main.split('<ol class="module-list">', 1)[1].split("</ol>", 1)[0]
    assert "peer-supporter path" in main and "Pausing well" in cards
    assert "You have completed every module" not in main
    done = client.get("/modules/listening/completed").get_data(as_text=True)
    assert "1 of 2 modules done" in done and "Go to Pausing well" in done
    # Completing it does not take the learner to the training certificate again.
    finished = complete_lesson(client, "pausing", 1)
    assert finished.headers["Location"].endswith("/modules/pausing/completed")
    assert len(training_certificates(app)) == 1
