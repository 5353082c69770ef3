"""The entry check is pure: dates against the person's zone, or the most permissive one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms_plugin import dates
from lms_plugin.certification import entries, models
from lms_plugin.certification.entries import (
    earliest_day,
    entry_problem,
    latest_day,
    refresher_hours,
    zone_from_launch,
    zone_named,
)
from lms_plugin.content.programme_schema import Programme
from lms_plugin.lti.claims import LaunchClaims

PROGRAMME = Programme.model_validate({
    "id": "p", "title": "P", "description": "D", "validity_months": 12,
    "practice": {"counts": ["check-in"], "supervision_kinds": ["supervision"]},
    "renewal": {"hours": 2, "sub_minimums": {"ethics": 1}},
})
ZONES = sorted(dates._zone_names())


def test_the_categories_are_the_models():
    assert (entries.PRACTICE, entries.TRAINING, entries.CONTINUING) == (
        models.PRACTICE, models.TRAINING, models.CONTINUING)


@pytest.mark.parametrize("name", ["", None, "../../etc/passwd", "/etc/localtime",
                                  "Europe/../Europe/London", "europe/london", "Nowhere/Town"])
def test_only_names_in_the_zone_database_are_zones(name):
    assert zone_named(name) is None


def test_a_zone_sent_by_the_lms():
    custom = "https://purl.imsglobal.org/spec/lti/claim/custom"

    def launch(**claims: object) -> LaunchClaims:
        return LaunchClaims.parse({"iss": "https://lms.example", "sub": "1", **claims})

    assert str(zone_from_launch(launch(**{custom: {"timezone": "Pacific/Pago_Pago"}}))) == \
        "Pacific/Pago_Pago"
    for claims in ({}, {custom: "x"}, {custom: {"timezone": 5}}, {custom: {"timezone": "?"}},
                   {custom: {"timezone": "$Person.address.timezone"}}):
        assert zone_from_launch(launch(**claims)) is None


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.just(UTC)), st.sampled_from(ZONES))
def test_unknown_zone_bounds_include_every_real_zone(moment, name):
    """Whatever zone the person is really in, not knowing it never refuses their today
    nor the day they enrolled."""
    zone = zone_named(name)
    assert latest_day(moment, None) >= latest_day(moment, zone)
    assert earliest_day(moment, None) <= earliest_day(moment, zone)


def check(day: date, kind: str = "check-in", category: str = "practice",
          hours: str = "1") -> str | None:
    problem = entry_problem(PROGRAMME, category=category, kind=kind, hours=Decimal(hours),
                            day=day, earliest=date(2030, 1, 10), latest=date(2030, 2, 1))
    return problem.field if problem else None


def test_entry_problems_name_their_field():
    assert check(date(2030, 1, 10)) is None and check(date(2030, 2, 1)) is None
    assert check(date(2030, 2, 2)) == "activity_date"
    assert check(date(2030, 1, 9)) == "activity_date"
    assert check(date(2030, 1, 20), kind="ethics") == "kind"  # continuing, not practice
    assert check(date(2030, 1, 20), kind="ethics", category="continuing") is None
    assert check(date(2030, 1, 20), kind="general", category="training") == "category"
    assert check(date(2030, 1, 20), category="holiday") == "category"
    for hours in ("0", "24.01", "NaN", "Infinity", "-1"):
        assert check(date(2030, 1, 20), hours=hours) == "hours"
    assert check(date(2030, 1, 20) + timedelta(days=0), hours="24") is None


def test_a_refresher_is_logged_in_whole_quarter_hours_rounded_up():
    assert [refresher_hours(m) for m in (1, 15, 16, 24, 30, 31, 60, 61)] == [
        Decimal(x) for x in ("0.25", "0.25", "0.5", "0.5", "0.5", "0.75", "1", "1.25")]
