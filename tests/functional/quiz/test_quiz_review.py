"""What the review of a try shows: which questions were wrong after a failed try, the
answer key only after a pass or the last try."""

from __future__ import annotations

from tests.support.quiz import RIGHT, answer, start_quiz


def review_of(client, answers: dict) -> str:
    url, page = start_quiz(client)
    response = answer(client, url, page, answers)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def review_url(client, n: int) -> str:
    """The review link of the n-th try (from 0) on the quiz's start page."""
    page = client.get("/quiz/listening").get_data(as_text=True)
    links = [p.split('"', 1)[0] for p in page.split('href="')[1:] if "/review" in p.split('"')[0]]
    return links[n]


def test_a_failed_try_shows_what_was_wrong_but_not_the_key(lti, sample_content):
    lti.launch()
    first = review_of(lti.client, {"q-q-open": ["a"], "q-q-tf": ["false"]})
    assert "You scored <strong>0%</strong>" not in first  # the true/false was right
    assert "Not quite" in first and "Right" in first
    assert "This can be answered with yes or no." in first  # feedback on the choice made
    for key in ("A right answer", "is-answer", "It invites them to say more.",
                "Research shows asking does not increase risk."):
        assert key not in first
    # The second failed try still keeps the key back; the last one shows it.
    second = review_of(lti.client, {})
    assert "A right answer" not in second and "It invites them to say more." not in second
    last = review_of(lti.client, {})
    assert "A right answer" in last and "It invites them to say more." in last
    # ... and so does the first try's review, now that no tries are left.
    again = lti.client.get(review_url(lti.client, 0)).get_data(as_text=True)
    assert "It invites them to say more." in again


def test_after_a_pass_the_review_is_full(lti, sample_content):
    lti.launch()
    passed = review_of(lti.client, RIGHT)
    assert "You passed" in passed and "A right answer" in passed
    assert "Research shows asking does not increase risk." in passed


NOTE = "This question is about asking someone whether they are thinking about suicide."


def test_content_notes_before_the_quiz_above_the_question_and_in_the_review(lti, sample_content):
    lti.launch()
    start = lti.client.get("/quiz/listening").get_data(as_text=True)
    assert "Some questions in this quiz describe difficult situations" in start
    assert f"<li>{NOTE}</li>" in start and "Get help now" in start
    assert start.index("Content note") < start.index("Start the quiz")
    url, first = start_quiz(lti.client)
    pages = [lti.client.get(f"{url}?q={n}").get_data(as_text=True) for n in range(1, 5)]
    [noted] = [page for page in pages if NOTE in page]
    # The note comes before the question it is about; the other questions carry none.
    assert noted.index(NOTE) < noted.index("Asking someone directly about suicide")
    assert noted.index("Content note:") < noted.index("<fieldset")
    assert sum("Content note:" in page for page in pages) == 1
    answer(lti.client, url, first, RIGHT)
    review = lti.client.get(url + "/review").get_data(as_text=True)
    assert review.index(NOTE) < review.index("Asking someone directly about suicide")


def test_true_false_is_reviewed_true_then_false_whatever_order_it_was_shown_in(
        lti, sample_content):
    lti.launch()
    text = review_of(lti.client, RIGHT)
    for prompt in ("Asking someone directly about suicide",
                   "You should explain the limits of confidentiality"):
        after = text[text.index(prompt):]
        assert after.index(">True<") < after.index(">False<"), prompt
