"""A new question type is one class and its templates (issue 14). The "ordering" type here
lives only in this test: registered, it is accepted in a quiz file, drawn, shown, parsed,
graded with partial credit and reviewed by the real views, with no other change."""

from __future__ import annotations

import random
import shutil
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader
from werkzeug.datastructures import MultiDict

from lms_plugin.content.loader import load_content
from lms_plugin.content.schema import Option, Scoring
from lms_plugin.quiz.types import Item, QuestionType, register, unregister
from tests.conftest import SAMPLE_CONTENT, sync
from tests.support.quiz import RIGHT, csrf, start_quiz


class Ordering(QuestionType):
    """Put the steps in the right order: the YAML lists them in that order; each step in
    its place earns a share."""

    name = "ordering"
    in_parts = False
    take_template = "test/ordering.html"
    review_template = "test/ordering_review.html"

    def check(self, options: list[Option], scoring: Scoring | None) -> None:
        if not 3 <= len(options) <= 5:
            raise ValueError("an ordering question needs 3 to 5 steps")
        if not all(o.correct for o in options) or scoring is not None:
            raise ValueError("every step of an ordering question has correct: true")

    def parse(self, item: Item, values: Sequence[str]) -> list[str]:
        steps = {o.id for o in item.options or []}
        return [v for v in values if v in steps]  # one per place, in the order posted

    def grade(self, item: Item, chosen: Sequence[str]) -> float:
        key = [o.id for o in item.options or []]
        return sum(a == b for a, b in zip(chosen, key, strict=False)) / len(key)

    def take(self, item: Item, shown: Sequence[str], chosen: Sequence[str]) -> dict[str, Any]:
        text = {o.id: o.text for o in item.options or []}
        return {"steps": [(oid, text[oid]) for oid in shown],
                "places": [chosen[n] if n < len(chosen) else "" for n in range(len(shown))]}

    def review(self, item: Item, shown: Sequence[str], chosen: Sequence[str],
               full: bool) -> dict[str, Any]:
        text = {o.id: o.text for o in item.options or []}
        key = [o.id for o in item.options or []]
        return {"right": list(chosen) == key, "yours": [text[c] for c in chosen],
                "key": [text[k] for k in key] if full else []}


TEMPLATES = {
    "test/ordering.html": textwrap.dedent("""\
        <fieldset class="ordering"><legend>{{ part.prompt or item.prompt }}</legend>
        {% for place in part.places %}
        <label for="{{ part.name }}-{{ loop.index }}">Step {{ loop.index }}</label>
        <select id="{{ part.name }}-{{ loop.index }}" name="{{ part.name }}">
        {% for oid, text in part.steps %}
        <option value="{{ oid }}"{% if place == oid %} selected{% endif %}>{{ text }}</option>
        {% endfor %}
        </select>
        {% endfor %}</fieldset>"""),
    "test/ordering_review.html": textwrap.dedent("""\
        <p class="prompt">{{ item.prompt }}
          <span class="verdict">{{ 'Right' if part.right else 'Not quite' }}</span></p>
        <ol class="your-order">{% for t in part.yours %}<li>{{ t }}</li>{% endfor %}</ol>
        {% if part.key %}<ol class="right-order">
          {%- for t in part.key %}<li>{{ t }}</li>{% endfor %}</ol>{% endif %}"""),
}

QUESTION = """\
  - id: q-order
    type: ordering
    prompt: "Put the steps of a supportive conversation in order."
    options:
      - {id: notice, text: "Say what you have noticed", correct: true, feedback: "First."}
      - {id: listen, text: "Listen without judging", correct: true, feedback: "Then."}
      - {id: agree, text: "Agree a next step together", correct: true, feedback: "Last."}
"""
KEY = ["notice", "listen", "agree"]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """The sample content with an ordering question; every try shows all five."""
    root = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, root)
    quiz = root / "quizzes" / "listening.yaml"
    quiz.write_text(quiz.read_text().replace("questions_per_attempt: 4",
                                             "questions_per_attempt: 5") + QUESTION)
    return root


@pytest.fixture
def ordering(app) -> Iterator[Ordering]:
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    yield register(Ordering())
    unregister("ordering")


def test_a_quiz_file_may_use_a_type_only_once_it_is_registered(content):
    _, errors = load_content(content)
    assert any("unknown type 'ordering' for a question" in e.message for e in errors), errors
    register(Ordering())
    try:
        bundle, errors = load_content(content)
        assert not errors
        [order] = [q for q in bundle.quizzes["listening"].document.questions if q.id == "q-order"]
        assert order.type == "ordering"
        broken = content / "broken"
        shutil.copytree(content, broken)
        quiz = broken / "quizzes" / "listening.yaml"
        quiz.write_text(quiz.read_text().replace("text: \"Listen without judging\", correct: "
                                                 "true", "text: \"Listen\", correct: false"))
        _, errors = load_content(broken)
        assert any("every step of an ordering question has correct: true" in e.message
                   for e in errors), errors
    finally:
        unregister("ordering")


def find_page(client, url: str, text: str) -> tuple[int, str]:
    for n in range(1, 6):
        page = client.get(f"{url}?q={n}").get_data(as_text=True)
        if text in page:
            return n, page
    raise AssertionError(f"{text!r} on no page")


def submit(client, url: str, page: str, order: list[str]) -> str:
    data = [("csrf_token", csrf(page)), ("action", "save"), ("page", "1")]
    data += [(name, v) for name, values in RIGHT.items() for v in values]
    data += [("q-q-order", step) for step in order]
    client.post(url, data=MultiDict(data))
    done = client.post(url + "/submit", data={"csrf_token": csrf(page), "confirm": "anyway"})
    return client.get(done.headers["Location"]).get_data(as_text=True)


def test_the_new_type_is_drawn_shown_graded_and_reviewed_by_the_real_views(
        app, lti, content, ordering):
    sync(app, content)
    lti.launch()
    url, _ = start_quiz(lti.client)
    number, page = find_page(lti.client, url, "Put the steps of a supportive conversation")
    # Its own template: one drop-down per step, each offering every step, in the drawn order.
    assert page.count('<select id="q-q-order-') == 3
    assert page.count('<option value="notice"') == 3
    # A page post saves it like any other; the page shows what was saved.
    saved = [("csrf_token", csrf(page)), ("page", str(number)), ("action", "save")]
    lti.client.post(url, data=MultiDict(saved + [("q-q-order", s) for s in
                                                 ["listen", "notice", "agree", "nonsense"]]))
    again = lti.client.get(f"{url}?q={number}").get_data(as_text=True)
    assert again.count(" selected>") == 3
    assert 'value="listen" selected' in again.split('name="q-q-order"')[1]

    # Two steps out of place: that question earns a third, the try (4 + 1/3) / 5.
    review = submit(lti.client, url, page, ["listen", "notice", "agree"])
    assert "You scored <strong>86.67%</strong>" in review
    assert '<ol class="your-order"><li>Listen without judging</li>' in review
    assert "right-order" in review  # a pass: the full review, with the key

    # The next try, in order: full marks.
    url, _ = start_quiz(lti.client)
    _, page = find_page(lti.client, url, "Put the steps of a supportive conversation")
    assert "You scored <strong>100%</strong>" in submit(lti.client, url, page, KEY)


def test_the_type_draws_its_own_order_and_grades_partial_credit(content, ordering):
    bundle, _ = load_content(content)
    [question] = [q for q in bundle.quizzes["listening"].document.questions if q.id == "q-order"]
    orders = {tuple(ordering.draw(question, random.Random(seed))) for seed in range(40)}
    assert len(orders) > 1 and all(sorted(o) == sorted(KEY) for o in orders)
    assert ordering.grade(question, KEY) == 1.0
    assert ordering.grade(question, ["agree", "listen", "notice"]) == pytest.approx(1 / 3)
    assert ordering.grade(question, []) == 0.0
