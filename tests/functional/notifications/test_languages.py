"""E-mails in the person's language: the one of their latest launch that named a language
the tool speaks (User.locale), whoever caused the event; English otherwise."""

from __future__ import annotations

from lms_plugin.certification.hours import decide_hours
from lms_plugin.extensions import db
from lms_plugin.notifications.services import send_supervisor_digests
from tests.support.notifications import ana_and_her_supervisor, arrived, deliver, log, to


def test_a_spanish_speakers_email_is_in_spanish_and_an_english_speakers_in_english(
        app, sample_content, sink):
    with app.app_context():
        ana, supervisor = ana_and_her_supervisor()
        ana.locale = "es"
        decide_hours(log(ana, supervisor, "1.5"), supervisor, True, "")
        log(ana, supervisor, "1")  # waiting: the supervisor's digest
        db.session.commit()
        assert send_supervisor_digests() == 1
        deliver()
    messages = arrived(sink, 2)
    [spanish], [english] = to(messages, "ana@example.org"), to(messages, "sup@example.org")
    assert spanish.subject == (
        "Tu supervisor o supervisora ha decidido sobre tus horas registradas")
    assert "ha aprobado las 1.5 horas que registraste para el" in spanish.text
    assert " de 20" in spanish.text  # the day in Spanish: "5 de marzo de 2026"
    assert '<html lang="es">' in spanish.html
    assert "Recibes esto porque tu organización usa" in spanish.text
    assert english.subject == "Logged hours waiting for your decision"
    assert "1 logged entry is waiting for your decision" in english.text
    assert '<html lang="en">' in english.html
