"""A lesson in the reader's language when the module has it translated (the sample
content with its Spanish translation, tests/content/translation), else in English, marked
as English; progress is the same lesson's either way."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.training.models import LessonProgress
from tests.conftest import sync, translated_sample
from tests.support.browser import signed_launch
from tests.support.quiz import csrf

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
SPANISH = {CLAIM + "launch_presentation": {"locale": "es-MX"}}


@pytest.fixture
def translated(app, tmp_path):
    sync(app, translated_sample(tmp_path / "content"))


def main(page: str) -> str:  # the page without its <html lang>
    return page.split("<main", 1)[1]


def test_a_spanish_reader_gets_the_translated_lesson_and_the_same_progress(
        app, client, registered, translated):
    signed_launch(client, registered, **SPANISH)
    page = client.get("/modules/listening/lessons/1").get_data(as_text=True)
    assert "<h1>Preguntas abiertas</h1>" in page and "Lección 1 de 2" in page
    assert '<article class="lesson-body">' in page  # in the page's language
    # The module's title is English-only content: marked so on a Spanish page
    assert 'href="/modules/listening" lang="en">Listening well</a>' in main(page)
    assert "Pruébalo" in page
    module = client.get("/modules/listening").get_data(as_text=True)
    assert "Reflejos" in module and "Reflections" not in module
    client.post("/modules/listening/lessons/1/complete", data={"csrf_token": csrf(page)})
    with app.app_context():  # kept by the lesson's id, whichever language it was read in
        assert db.session.scalars(select(LessonProgress.lesson_id)).all() == [
            "listening-open-questions"]
    english_view = client.get("/modules/listening/lessons/1",
                              headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Has marcado esta lección como completada." in english_view  # the launch's language


def test_an_english_reader_gets_the_english_lesson(client, registered, translated):
    signed_launch(client, registered)
    page = client.get("/modules/listening/lessons/1").get_data(as_text=True)
    assert "<h1>Open questions</h1>" in page and "Preguntas abiertas" not in page
    assert 'lang="en"' not in main(page)  # an English page marks nothing


def test_without_a_translation_the_english_lesson_is_shown_and_marked_english(
        client, registered, sample_content):
    signed_launch(client, registered, **SPANISH)
    page = client.get("/modules/listening/lessons/2").get_data(as_text=True)
    assert "Lección 2 de 2" in page  # the tool speaks Spanish
    assert '<h1 lang="en">Reflections</h1>' in page
    assert re.search(r'<article class="lesson-body" lang="en">', page)
