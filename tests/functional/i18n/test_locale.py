"""Which language a page is in: the launch's `launch_presentation.locale`, then the
browser's Accept-Language, then English."""

from __future__ import annotations

import re

from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support.browser import signed_launch
from tests.support.factories import enrolled, mentor_of, user
from tests.support.pages import lang

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


def test_a_launch_in_spanish_renders_spanish(client, registered):
    response = signed_launch(client, registered, **{
        CLAIM + "launch_presentation": {"locale": "es-ES", "document_target": "iframe"}})
    assert response.status_code == 302
    page = client.get("/help").get_data(as_text=True)
    assert lang(page) == "es"
    assert "Saltar al contenido" in page and "Skip to content" not in page


def test_the_launch_locale_wins_over_the_browser(client, registered):
    signed_launch(client, registered, **{CLAIM + "launch_presentation": {"locale": "en-US"}})
    page = client.get("/help", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert lang(page) == "en"
    assert "Skip to content" in page


def test_accept_language_without_a_launch_locale(client, registered):
    signed_launch(client, registered)
    page = client.get("/help", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert lang(text) == "es"
    assert "Obtener ayuda ahora" in text


def test_an_unsupported_locale_falls_back_to_english(client, registered):
    signed_launch(client, registered, **{CLAIM + "launch_presentation": {"locale": "fr-FR"}})
    page = client.get("/help", headers={"Accept-Language": "de, fr;q=0.8"})
    text = page.get_data(as_text=True)
    assert lang(text) == "en"
    assert "Skip to content" in text


def test_the_next_launch_of_another_person_does_not_keep_the_language(client, registered):
    signed_launch(client, registered, **{CLAIM + "launch_presentation": {"locale": "es"}})
    signed_launch(client, registered)
    assert lang(client.get("/help").get_data(as_text=True)) == "en"


def test_the_demo_lms_launches_in_the_course_language(lti):
    response = lti.launch(persona="learner", locale="es-ES")
    page = response.get_data(as_text=True)
    assert lang(page) == "es"
    assert "Mi programa" in page


def test_the_help_page_in_spanish_keeps_every_number_and_adds_988s_spanish_option(client):
    english = client.get("/help").get_data(as_text=True)
    spanish = client.get("/help", headers={"Accept-Language": "es"}).get_data(as_text=True)
    links = re.compile(r'href="((?:tel|sms):[^"]+)"')
    # No number invented: the same numbers, and 988 also as a text (its Spanish option)
    assert set(links.findall(spanish)) == set(links.findall(english)) | {"sms:988"}
    assert "llama al <a href=\"tel:988\">988</a> y marca 2" in spanish
    assert "envía AYUDA por mensaje de texto al <a href=\"sms:988\">988</a>" in spanish
    assert "Llama al <a href=\"tel:116123\">116 123</a>" in spanish
    assert "marca 2" not in english and "Call or text" in english


def test_a_programmes_requirements_read_in_spanish(client, registered, shipped_content):
    signed_launch(client, registered, **{CLAIM + "launch_presentation": {"locale": "es"}})
    page = client.get("/programmes/peer-supporter").get_data(as_text=True)
    assert lang(page) == "es"
    assert "Lo que te pide el programa" in page
    assert "de práctica supervisada" in page and "Todo en los" in page
    assert "of supervised practice" not in page


def test_the_hours_form_names_its_kinds_in_spanish(app, client, registered, shipped_content):
    signed_launch(client, registered, **{CLAIM + "launch_presentation": {"locale": "es"}})
    with app.app_context():
        person = db.session.scalars(select(User).order_by(User.id.desc())).first()
        enrolled(person, "peer-supporter")
        mentor_of(user("Dana Fox", roles="mentor", issuer=person.issuer), person)
        db.session.commit()
    page = client.get("/programmes/peer-supporter").get_data(as_text=True)
    assert "Formación continua: self care" in page
    assert "Continuing education:" not in page and "Training:" not in page


def test_the_launch_keeps_the_person_s_zone_and_ignores_a_name_it_does_not_know(
        client, registered):
    signed_launch(client, registered, **{CLAIM + "custom": {"timezone": "America/Mexico_City"},
                                         CLAIM + "launch_presentation": {"locale": "es-MX"}})
    with client.session_transaction() as kept:
        assert (kept["locale"], kept["timezone"]) == ("es", "America/Mexico_City")
    signed_launch(client, registered, **{CLAIM + "custom": {"timezone": "../../etc/passwd"}})
    with client.session_transaction() as kept:
        assert "timezone" not in kept and "locale" not in kept  # a fresh session


def test_the_person_keeps_the_language_of_their_latest_launch_that_named_one(
        app, client, registered):
    def launch(locale: str | None) -> None:
        presentation = {"locale": locale} if locale else {}
        signed_launch(client, registered, sub="polyglot",
                      **{CLAIM + "launch_presentation": presentation})

    def stored() -> str | None:
        with app.app_context():
            return db.session.scalars(select(User.locale).where(User.sub == "polyglot")).one()

    launch("es-AR")
    assert stored() == "es"
    launch(None)  # a launch that names no language changes nothing
    assert stored() == "es"
    launch("fr-FR")  # nor one the tool does not speak
    assert stored() == "es"
    launch("en-GB")
    assert stored() == "en"
