"""The readable data page: plain labels, readable values, no internals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from lms_plugin.privacy.readable import readable, show

ATTEMPT = {
    "id": 7, "user_id": 3, "course_id": 2, "quiz_slug": "listening",
    "quiz_version": "9f2c4e1ab0d3", "layout_json": {"order": ["q-open"]},
    "answers_json": {"q-open": ["b"]}, "started_at": datetime(2026, 3, 9, 14, 5, tzinfo=UTC),
    "submitted_at": None, "score": Decimal("87.50"), "passed": True,
}


def test_a_quiz_attempt_reads_in_plain_words_without_internals():
    labels, rows = readable([ATTEMPT], me=3, people={}, names={"listening": "Listening quiz"})
    assert labels == ["Quiz", "Your answers", "Started", "Submitted", "Score (%)", "Passed"]
    assert rows == [["Listening quiz", "Q-open: b", "9 March 2026, 14:05 UTC", "none",
                     "87.5", "Yes"]]
    text = " ".join(labels + rows[0])
    for internal in ("layout", "version", "9f2c4e1ab0d3", "json", "_id", "order"):
        assert internal not in text


def test_people_are_named_and_the_reader_is_you():
    entries = [{"id": 1, "user_id": 3, "supervisor_id": 5, "decided_by_id": 3, "hours": 2},
               {"id": 2, "user_id": 3, "supervisor_id": 3, "decided_by_id": 5, "hours": 1}]
    labels, rows = readable(entries, me=3, people={5: "Priya Shah"}, names={})
    assert labels == ["Supervisor", "Decided by", "Hours"]  # user_id only ever says "you"
    assert rows == [["Priya Shah", "You", "2"], ["You", "Priya Shah", "1"]]
    _, rows = readable([{"supervisor_id": 9}], me=3, people={}, names={})
    assert rows == [["Someone no longer here"]]


def test_values_that_would_puzzle_people():
    assert show(datetime(2999, 12, 31, tzinfo=UTC)) == "Does not expire"
    # An audit event by its label in the log; one added since, by its name made readable.
    assert show("certificate.issue", column="action") == "Certificate issued"
    assert show("badge.share", column="action") == "Badge: share"
    assert show("peer-supporter", column="programme_slug") == "Peer supporter"
    assert show({"programme": "x", "programme_version": "abc123",
                 "modules": {"listening": {"version": "v9", "completed_at": "2026-03-09"}}},
                {"x": "Certified Listener", "listening": "Listening well"}) == (
        "Programme: Certified Listener; Modules: Listening well: Completed: 2026-03-09")
