"""A quiz through the test client: the sample bank's right answers, starting a try and
answering it; and a small bank built in code for the pure rules."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from lms_plugin.content.schema import Option, Question, Quiz
from tests.support.browser import parse_form

RIGHT = {"q-q-open": ["b"], "q-q-signs": ["a", "c"], "q-q-tf": ["false"],
         "q-q-case-p1": ["b"], "q-q-case-p2": ["true"]}


def csrf(page: str) -> str:
    return parse_form(page).fields["csrf_token"]


def start_quiz(client) -> tuple[str, str]:
    page = client.get("/quiz/listening").get_data(as_text=True)
    started = client.post("/quiz/listening/start", data={"csrf_token": csrf(page)})
    assert started.status_code == 302
    url = started.headers["Location"]
    return url, client.get(url).get_data(as_text=True)


def answer(client, url: str, page: str, answers: dict, action: str = "submit"):
    """Save the answers (a page post may carry answers to any question of the try), then,
    for "submit", confirm on the summary page ("submit anyway" covers any blank)."""
    data = [("csrf_token", csrf(page)), ("action", "save"), ("page", "1")]
    for name, values in answers.items():
        data += [(name, v) for v in values]
    saved = client.post(url, data=MultiDict(data))
    if action != "submit":
        return saved
    return client.post(url + "/submit", data={"csrf_token": csrf(page), "confirm": "anyway"})


def bank(size: int, per_attempt: int, **settings) -> Quiz:
    questions = [
        Question(id=f"q{i}", type="single", prompt="?", options=[
            Option(id="a", text="A", correct=True, feedback="yes"),
            Option(id="b", text="B", correct=False, feedback="no"),
        ]) for i in range(size)
    ]
    return Quiz(id="quiz", module="quiz", title="Quiz", questions_per_attempt=per_attempt,
                questions=questions, **settings)
