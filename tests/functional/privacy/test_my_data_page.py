"""The readable "Everything we hold about you" page shows plain labels and values, never
the tool's internals (column names, row ids, version hashes, the quiz layout)."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.quiz.models import QuizAttempt
from lms_plugin.training.models import ModuleCompletion
from tests.support.training import finish_listening


def test_my_data_page_reads_in_plain_words(app, lti, sample_content):
    lti.launch()
    finish_listening(lti.client)
    with app.app_context():
        completion = db.session.scalars(select(ModuleCompletion)).one()
        attempt = db.session.scalars(select(QuizAttempt)).one()
        hashes = {completion.module_version, attempt.quiz_version}
    page = unescape(lti.client.get("/privacy/my-data").get_data(as_text=True))
    tables = " ".join(re.findall(r"<table>.*?</table>", page, flags=re.S))
    for internal in ("layout", "_json", "_id", "_at", "_slug", "version", "current_key",
                     *hashes):
        assert internal not in tables, internal
    headers = re.findall(r'<th scope="col">([^<]+)</th>', tables)
    assert {"Module", "Completed", "Quiz score", "Verification code", "Valid until"} <= set(
        headers)
    assert "Listening well" in tables  # titles, not slugs
    assert "Mental health at work: training completed" in tables
    assert "Does not expire" in tables
    # The audit log's events about them read as the admins' log reads them.
    assert "Certificate issued" in tables and "Certificate: issue" not in tables
    # In Spanish: the same items in Spanish words; content stays as written.
    spanish = unescape(lti.client.get("/privacy/my-data", headers={"Accept-Language": "es"})
                       .get_data(as_text=True))
    tables = " ".join(re.findall(r"<table>.*?</table>", spanish, flags=re.S))
    headers = re.findall(r'<th scope="col">([^<]+)</th>', tables)
    assert {"Módulo", "Completado", "Puntuación del cuestionario", "Código de verificación"
            } <= set(headers)
    assert "Quiz score" not in headers and "Listening well" in tables
    assert "Certificado emitido" in tables
    # The JSON download still has everything as stored.
    data = lti.client.get("/privacy/my-data.json").get_json()
    assert "layout_json" in data["quiz_attempts"][0]
