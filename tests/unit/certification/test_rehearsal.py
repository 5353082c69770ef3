"""Rehearsing a rule change (pure): who would move between statuses if a draft replaced
the programme in use, evaluated by the same rules over the same evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lms_plugin.certification.rehearsal import rehearse
from lms_plugin.certification.rules import (
    CERTIFIED,
    LAPSED,
    PROVISIONAL,
    READY,
    CertificateRecord,
    Evidence,
    HoursEntry,
    ModuleResult,
)
from lms_plugin.content.programme_schema import Programme

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=60)


def programme(supervised: float, deadline_days: int = 90) -> Programme:
    return Programme.model_validate({
        "id": "listener", "title": "Listener", "description": "A test programme.",
        "required_modules": [{"module": "listening"}],
        "practice": {"supervised_hours": supervised, "counts": ["peer-conversation"]},
        "validity_months": 12, "provisional": {"deadline_days": deadline_days}})


def person(practised: float, certified: bool = False) -> Evidence:
    return Evidence(
        enrolled_at=T0, modules={"listening": ModuleResult(90, T0 + timedelta(days=1))},
        practice=(HoursEntry("peer-conversation", practised, T0 + timedelta(days=10), "s"),),
        certificates=(CertificateRecord(T0 + timedelta(days=11), T0 + timedelta(days=376)),)
        if certified else ())


PEOPLE = {"ana": person(5), "ben": person(12), "cai": person(12), "dev": person(5, True)}


def test_a_stricter_draft_moves_those_short_of_it_and_keeps_earned_certificates():
    result = rehearse(programme(4), programme(10), PEOPLE, NOW)
    assert result.considered == 4
    assert [(m.before, m.after, m.people) for m in result.moves] == [
        (READY, PROVISIONAL, ("ana",))]  # dev holds a certificate: still certified
    assert result.moved == 1


def test_moves_are_counted_largest_first_whatever_the_order_of_people():
    draft = programme(20, deadline_days=30)  # everyone short, and past the new deadline
    forwards = rehearse(programme(4), draft, PEOPLE, NOW)
    backwards = rehearse(programme(4), draft, dict(reversed(PEOPLE.items())), NOW)
    assert [(m.before, m.after, len(m.people)) for m in forwards.moves] == [
        (READY, LAPSED, 3)]
    assert [(m.before, m.after, sorted(m.people)) for m in forwards.moves] == [
        (m.before, m.after, sorted(m.people)) for m in backwards.moves]


def test_the_same_rules_move_nobody():
    result = rehearse(programme(4), programme(4), PEOPLE, NOW)
    assert result.moves == () and result.moved == 0 and result.considered == 4


def test_a_looser_draft_shows_who_would_be_ready():
    result = rehearse(programme(20), programme(10), PEOPLE, NOW)
    assert [(m.before, m.after, sorted(m.people)) for m in result.moves] == [
        (PROVISIONAL, READY, ["ben", "cai"])]
    assert CERTIFIED not in {m.before for m in result.moves}
