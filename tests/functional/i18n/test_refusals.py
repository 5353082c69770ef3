"""A refused launch reads in the person's language: the refusal page's title and message
are translated where they are shown (`LaunchError.shown`), words of ours inside the message
with them and numbers written the language's way; the English text (`message`, logs) stays
as it was, and values from the token are never translated."""

from __future__ import annotations

from lms_plugin.i18n import N_
from lms_plugin.lti.errors import LaunchError, Term
from tests.support.browser import signed_launch
from tests.support.pages import lang

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def test_a_refused_launch_reads_in_the_browser_s_language(client, registered):
    response = signed_launch(client, registered, headers=SPANISH, sub="s" * 300)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert lang(page) == "es"
    assert "<h1>No se pudo aceptar este acceso</h1>" in page
    assert ("El campo id de usuario (sub) del id_token tiene 300 caracteres; los "
            "identificadores de LTI tienen como máximo 255.") in page
    assert "The id_token" not in page and "user id (sub)" not in page


def test_the_same_refusal_in_english_is_unchanged(client, registered):
    response = signed_launch(client, registered, sub="s" * 300)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and lang(page) == "en"
    assert "<h1>This launch could not be accepted</h1>" in page
    assert ("The id_token&#39;s user id (sub) is 300 characters long; LTI identifiers are "
            "at most 255. Ask your LMS administrator to check the LMS.") in page


def test_a_login_refused_for_an_unknown_platform_reads_in_spanish(client, registered):
    response = client.get("/lti/login", headers=SPANISH, query_string={
        "iss": "https://unknown.example.org", "login_hint": "someone",
        "client_id": registered.client_id})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert ("Esta herramienta no tiene ningún registro para la plataforma "
            "https://unknown.example.org.") in page


def test_numbers_and_terms_follow_the_language_and_values_stay_as_sent(app):
    error = LaunchError(N_("The id_token carries %(count)s %(label)s; this tool accepts at "
                           "most %(most)s. Ask your LMS administrator to check the tool's "
                           "settings."),
                        count=12345, label=Term(N_("custom parameters")), most=1000)
    assert error.message.startswith("The id_token carries 12,345 custom parameters; this tool "
                                    "accepts at most 1,000.")
    with app.test_request_context(headers=SPANISH):
        title, message = error.shown()
    assert title == "No se pudo aceptar este acceso"
    assert message.startswith("El id_token trae 12.345 parámetros personalizados; esta "
                              "herramienta acepta como máximo 1.000.")
    # A value from the token is shown as sent, even one that reads like a word of ours.
    sent = LaunchError(N_("The platform's key set at %(url)s is not a JWK set."), url="Yes")
    with app.test_request_context(headers=SPANISH):
        assert sent.shown()[1] == ("El conjunto de claves de la plataforma en Yes no es un "
                                   "conjunto JWK.")
