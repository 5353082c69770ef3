"""A learner's lessons and module through the test client."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from tests.support.quiz import RIGHT, answer, csrf, start_quiz


def complete_lesson(client, slug: str, number: int):
    page = client.get(f"/modules/{slug}/lessons/{number}").get_data(as_text=True)
    return client.post(f"/modules/{slug}/lessons/{number}/complete",
                       data={"csrf_token": csrf(page)})


def finish_listening(client):
    """Pass the quiz, then the lessons: the last lesson completes the module."""
    url, page = start_quiz(client)
    assert answer(client, url, page, RIGHT).status_code == 302
    complete_lesson(client, "listening", 1)
    return complete_lesson(client, "listening", 2)


def finish_module(client) -> None:
    for number in (1, 2):
        page = client.get(f"/modules/listening/lessons/{number}").get_data(as_text=True)
        client.post(f"/modules/listening/lessons/{number}/complete",
                    data={"csrf_token": csrf(page)})
    page = client.get("/quiz/listening").get_data(as_text=True)
    attempt = client.post("/quiz/listening/start", data={"csrf_token": csrf(page)})
    url = attempt.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    data = MultiDict([("csrf_token", csrf(page)), ("action", "save"), ("page", "1")])
    for name, values in RIGHT.items():
        for value in values:
            data.add(name, value)
    client.post(url, data=data)  # the paged quiz: save, then submit from the summary
    client.post(url + "/submit", data={"csrf_token": csrf(page), "confirm": "yes"})
