"""What the review of a try shows: which questions were wrong after a failed try, the
answer key only after a pass or the last try."""

from __future__ import annotations

from tests.functional.test_learning import RIGHT, answer, start_quiz


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
