"""Re-enrolment after a lapse, as the pure rules see it: the programme's `reenrolment` says
which earlier hours count again; modules, attestations and waivers carry over; the old
certificate is history and no longer decides the status; the deadline runs afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from lms_plugin.certification.rules import (
    CERTIFIED,
    ENROLLED,
    LAPSED,
    PROVISIONAL,
    READY,
    REVOKED,
    CertificateRecord,
    Evidence,
    HoursEntry,
    ModuleResult,
    counted_evidence,
    evaluate_programme,
    may_reenrol,
)
from lms_plugin.content.programme_schema import Programme

T0 = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)


def programme(hours_within_days: int | None = None) -> Programme:
    data: dict = {
        "id": "listener", "title": "Listener", "description": "A test programme.",
        "required_modules": [{"module": "listening", "min_quiz_score": 80}],
        "practice": {"supervised_hours": 3, "supervision_hours": 1,
                     "counts": ["peer-conversation"], "supervision_kinds": ["supervision"]},
        "attestations": [{"id": "conduct", "title": "Conduct", "text": "I will."}],
        "validity_months": 12, "renewal": {"window_days": 60, "grace_days": 30},
        "provisional": {"deadline_days": 90},
    }
    if hours_within_days is not None:
        data["reenrolment"] = {"hours_within_days": hours_within_days}
    return Programme.model_validate(data)


def hours(kind: str, amount: float, on: datetime) -> HoursEntry:
    return HoursEntry(kind, amount, on, "sup-1")


def first_cycle() -> Evidence:
    """Certified 30 days after T0 on 3 + 1 hours; the certificate ran a year and lapsed."""
    return Evidence(
        enrolled_at=T0, modules={"listening": ModuleResult(90, T0 + timedelta(days=1))},
        practice=(hours("peer-conversation", 3, T0 + timedelta(days=20)),
                  hours("supervision", 1, T0 + timedelta(days=25))),
        attestations=frozenset({"conduct"}), extensions=1,
        certificates=(CertificateRecord(T0 + timedelta(days=30), T0 + timedelta(days=395)),))


AFTER_LAPSE = T0 + timedelta(days=500)  # past expiry (day 395) and grace (30 days)


def test_a_certificate_past_its_grace_period_lapses_and_may_be_renewed_by_reenrolling():
    evaluation = evaluate_programme(programme(), first_cycle(), AFTER_LAPSE)
    assert evaluation.status == LAPSED
    assert may_reenrol(evaluation)


def test_only_lapsed_people_may_reenrol():
    certified = evaluate_programme(programme(), first_cycle(), T0 + timedelta(days=40))
    assert certified.status == CERTIFIED and not may_reenrol(certified)
    revoked = Evidence(**{**first_cycle().__dict__, "certificates": (CertificateRecord(
        T0 + timedelta(days=30), T0 + timedelta(days=395), T0 + timedelta(days=50)),)})
    evaluation = evaluate_programme(programme(), revoked, AFTER_LAPSE)
    assert evaluation.status == REVOKED and not may_reenrol(evaluation)


def test_after_reenrolling_old_hours_do_not_count_by_default_but_modules_and_attestations_do():
    # re-enrolling counts extensions afresh (certificates.reenrol sets them to 0)
    evidence = Evidence(**{**first_cycle().__dict__, "reenrolled_at": AFTER_LAPSE,
                           "extensions": 0})
    evaluation = evaluate_programme(programme(), evidence, AFTER_LAPSE + timedelta(hours=1))
    assert evaluation.status == PROVISIONAL  # module carried over: training is done
    by_id = {r.id: r for r in evaluation.requirements}
    assert by_id["module:listening"].met
    assert by_id["attestation:conduct"].met
    assert by_id["practice:supervised"].have == 0
    assert by_id["practice:supervision"].have == 0
    # the deadline runs from re-enrolment, not from the first enrolment
    assert evaluation.deadline == AFTER_LAPSE + timedelta(days=90)


def test_hours_within_the_programmes_window_before_reenrolling_count_again():
    recent = T0 + timedelta(days=480)  # 20 days before re-enrolment
    evidence = Evidence(**{
        **first_cycle().__dict__, "reenrolled_at": AFTER_LAPSE,
        "practice": (*first_cycle().practice, hours("peer-conversation", 3, recent),
                     hours("supervision", 1, recent))})
    at = AFTER_LAPSE + timedelta(hours=1)
    assert evaluate_programme(programme(30), evidence, at).status == READY
    assert evaluate_programme(programme(10), evidence, at).status == PROVISIONAL  # too old
    counted = counted_evidence(programme(30), evidence)
    assert [e.on for e in counted.practice] == [recent, recent]  # day 20 and 25: gone
    assert counted.certificates == ()  # the old certificate is history


def test_new_hours_after_reenrolling_certify_again():
    evidence = Evidence(**{
        **first_cycle().__dict__, "reenrolled_at": AFTER_LAPSE,
        "practice": (*first_cycle().practice,
                     hours("peer-conversation", 3, AFTER_LAPSE + timedelta(days=5)),
                     hours("supervision", 1, AFTER_LAPSE + timedelta(days=6)))})
    assert evaluate_programme(programme(), evidence,
                              AFTER_LAPSE + timedelta(days=7)).status == READY
    renewed = Evidence(**{**evidence.__dict__, "certificates": (
        *evidence.certificates,
        CertificateRecord(AFTER_LAPSE + timedelta(days=7), AFTER_LAPSE + timedelta(days=372)))})
    assert evaluate_programme(programme(), renewed,
                              AFTER_LAPSE + timedelta(days=8)).status == CERTIFIED


def test_a_missed_deadline_to_certify_also_allows_reenrolling_with_a_fresh_deadline():
    evidence = Evidence(enrolled_at=T0,
                        modules={"listening": ModuleResult(90, T0 + timedelta(days=1))})
    late = T0 + timedelta(days=120)
    assert evaluate_programme(programme(), evidence, late).status == LAPSED
    again = Evidence(**{**evidence.__dict__, "reenrolled_at": late})
    assert evaluate_programme(programme(), again, late).status == PROVISIONAL


def test_without_reenrolment_the_evidence_is_counted_unchanged():
    evidence = first_cycle()
    assert counted_evidence(programme(0), evidence) is evidence


@pytest.mark.parametrize("value", [-1, 3651, "soon"])
def test_a_bad_reenrolment_rule_is_refused_by_the_schema(value):
    with pytest.raises(ValidationError, match="hours_within_days"):
        programme(value)  # type: ignore[arg-type]


def test_an_unknown_reenrolment_key_is_refused():
    with pytest.raises(ValidationError, match="modules_count"):
        Programme.model_validate({**programme().model_dump(),
                                  "reenrolment": {"modules_count": False}})


@settings(max_examples=60, deadline=None)
@given(days=st.integers(0, 400), window=st.integers(0, 400))
def test_a_wider_window_never_lowers_the_status_after_reenrolling(days, window):
    """More carried-over evidence never makes someone worse off."""
    order = [LAPSED, ENROLLED, PROVISIONAL, READY]
    evidence = Evidence(**{
        **first_cycle().__dict__, "reenrolled_at": AFTER_LAPSE,
        "practice": (hours("peer-conversation", 3, AFTER_LAPSE - timedelta(days=days)),
                     hours("supervision", 1, AFTER_LAPSE - timedelta(days=days)))})
    at = AFTER_LAPSE + timedelta(days=1)
    narrow = evaluate_programme(programme(window), evidence, at).status
    wide = evaluate_programme(programme(window + 30), evidence, at).status
    assert order.index(wide) >= order.index(narrow)
