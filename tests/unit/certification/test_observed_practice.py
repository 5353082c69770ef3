"""The observed skills check (programme rule `observed_practice`): a number of different
role-plays a supervisor marked competent on every point of the rubric. Pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from lms_plugin.certification.rules import (
    PROVISIONAL,
    READY,
    Evidence,
    HoursEntry,
    ModuleResult,
    Observation,
    describe_requirements,
    evaluate_programme,
)
from lms_plugin.content.programme_schema import ObservedPractice, Programme
from lms_plugin.content.schema import RubricCriterion, observation_competent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def programme(**changes: object) -> Programme:
    data: dict[str, object] = {
        "id": "listener", "title": "Listener", "description": "A small programme.",
        "required_modules": [{"module": "listening"}],
        "practice": {"supervised_hours": 2, "counts": ["peer-conversation"]},
        "observed_practice": {"competent_roleplays": 2,
                              "roleplays": ["opening", "asking", "linking"]},
        "validity_months": 12,
    }
    data.update(changes)
    return Programme.model_validate(data)


def evidence(*observations: Observation) -> Evidence:
    """Everything but the observed skills check is met."""
    return Evidence(enrolled_at=T0, modules={"listening": ModuleResult(100, T0)},
                    practice=(HoursEntry("peer-conversation", 2, T0, "sup"),),
                    observations=observations)


def seen(roleplay: str, competent: bool = True, day: int = 1) -> Observation:
    return Observation(roleplay, competent, T0 + timedelta(days=day))


def check(result_programme: Programme, ev: Evidence, day: int = 30):
    result = evaluate_programme(result_programme, ev, T0 + timedelta(days=day))
    return result, next(r for r in result.requirements if r.id == "observed:roleplays")


def test_no_observation_leaves_the_check_unmet_and_blocks_certification():
    result, req = check(programme(), evidence())
    assert not req.met and req.have == 0 and req.need == 2
    assert result.status == PROVISIONAL  # training done; the observed check is practice
    assert "0 of 2 different role-plays marked competent" in req.text


def test_two_different_scripts_marked_competent_certify():
    result, req = check(programme(), evidence(seen("opening"), seen("asking", day=3)))
    assert req.met and req.have == 2
    assert result.status == READY


def test_the_same_script_twice_counts_once():
    _, req = check(programme(), evidence(seen("opening"), seen("opening", day=5)))
    assert req.have == 1 and not req.met


def test_not_yet_does_not_count_and_does_not_cancel_an_earlier_pass():
    ev = evidence(seen("opening"), seen("asking", competent=False, day=2),
                  seen("opening", competent=False, day=4))
    _, req = check(programme(), ev)
    assert req.have == 1


def test_a_retry_marked_competent_counts():
    ev = evidence(seen("opening"), seen("asking", competent=False, day=2), seen("asking", day=9))
    result, req = check(programme(), ev)
    assert req.met and result.status == READY


def test_scripts_the_programme_does_not_list_do_not_count():
    _, req = check(programme(), evidence(seen("opening"), seen("somewhere-else", day=2)))
    assert req.have == 1


def test_an_observation_dated_after_now_does_not_count_yet():
    ev = evidence(seen("opening"), seen("asking", day=40))
    _, before = check(programme(), ev, day=30)
    _, after = check(programme(), ev, day=41)
    assert (before.have, after.have) == (1, 2)


def test_waived_only_where_the_programme_allows_it():
    ev = replace(evidence(), waivers=frozenset({"observed"}))
    _, not_waivable = check(programme(), ev)
    _, waivable = check(programme(waivable=["observed"]), ev)
    assert not not_waivable.met and waivable.met and waivable.waived


def test_a_programme_without_the_rule_has_no_such_requirement():
    result = evaluate_programme(programme(observed_practice=None), evidence(), T0 + timedelta(1))
    assert "observed:roleplays" not in {r.id for r in result.requirements}
    assert result.status == READY


def test_described_for_someone_deciding_whether_to_enrol():
    lines = describe_requirements(programme())
    assert any("2 different role-plays marked competent" in line for line in lines)
    assert not any("role-play" in line for line in describe_requirements(
        programme(observed_practice=None)))


@pytest.mark.parametrize(("data", "message"), [
    ({"competent_roleplays": 3, "roleplays": ["a", "b"]}, "more than the 2 role-plays"),
    ({"competent_roleplays": 1, "roleplays": ["a", "a"]}, "listed twice"),
    ({"competent_roleplays": 0, "roleplays": ["a"]}, "greater than or equal to 1"),
    ({"competent_roleplays": 1, "roleplays": []}, "at least 1 item"),
])
def test_the_rule_is_checked_when_content_loads(data: dict[str, object], message: str):
    with pytest.raises(ValidationError, match=message):
        ObservedPractice.model_validate(data)


RUBRIC = [RubricCriterion(id=c, criterion=f"Criterion {c}", competent="Looks like this")
          for c in ("asks", "listens", "links")]


def test_a_role_play_passes_only_when_every_criterion_is_competent():
    every = {"asks": "competent", "listens": "competent", "links": "competent"}
    assert observation_competent(RUBRIC, every)  # type: ignore[arg-type]
    assert not observation_competent(RUBRIC, {**every, "links": "not_yet"})  # type: ignore[arg-type]
    missing = {"asks": "competent", "listens": "competent"}
    assert not observation_competent(RUBRIC, missing)  # type: ignore[arg-type]
