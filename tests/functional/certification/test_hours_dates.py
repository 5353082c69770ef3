"""Logging and correcting hours through the real forms: one check for new and corrected
entries, dates read as the person's own calendar days (their browser's time zone, else
their LMS's, else the most permissive one), never before their enrolment and never after
their today. The clock is set (clock.clock), never waited for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from lms_plugin.certification import clock
from lms_plugin.certification.enrolments import CertificationError, enrol
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.certification.models import LoggedHours
from lms_plugin.certification.standing import get_standing
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.browser import parse_form, signed_launch
from tests.support.platform import CLAIM

SLUG = "peer-supporter"  # the shipped programme: practice kinds and continuing-education areas


@dataclass
class Trainee:
    client: Any
    user_id: int
    mentor_id: int
    set_clock: Callable[[datetime], None]

    def page(self) -> str:
        return self.client.get(f"/programmes/{SLUG}").get_data(as_text=True)

    def log(self, day: date | str, zone: str | None = None, kind: str = "peer-conversation",
            category: str = "practice") -> Any:
        fields = parse_form(self.page().split("<h2>Log hours</h2>", 1)[1]).fields
        fields.update(category=category, kind=kind, hours="2", supervisor=str(self.mentor_id),
                      activity_date=str(day), reflection="", timezone=zone or "")
        return self.client.post(f"/programmes/{SLUG}/hours", data=fields)

    def entries(self) -> list[LoggedHours]:
        rows = list(db.session.scalars(select(LoggedHours).order_by(LoggedHours.id)))
        db.session.expunge_all()
        return rows


@pytest.fixture
def trainee(app, client, registered, shipped_content, monkeypatch) -> Callable[..., Trainee]:
    """A trainee launched from the LMS (with these extra claims), a mentor, the modules
    done, and enrolment at the moment the clock is set to."""

    def make(at: datetime, **claims: Any) -> Trainee:
        monkeypatch.setattr(clock, "clock", lambda: at, raising=False)
        assert signed_launch(client, registered, sub="sam", name="Sam Okafor",
                             **claims).status_code == 302
        with app.app_context():
            sam = db.session.scalars(select(User).where(User.sub == "sam")).one()
            mentor = factories.user("Jordan Lee", roles="mentor", issuer=registered.issuer)
            factories.mentor_of(mentor, sam)
            for module in ("awareness", "skills", "boundaries"):
                factories.completed(sam, module, 90)
            enrol(sam, SLUG)
            db.session.commit()
            ids = sam.id, mentor.id

        def set_clock(moment: datetime) -> None:
            monkeypatch.setattr(clock, "clock", lambda: moment, raising=False)

        return Trainee(client, *ids, set_clock)

    return make


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def refused(response: Any, message: str) -> None:
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422, page[:2000]
    assert message in page, page[:4000]


# --- the three findings -------------------------------------------------------------------


def test_todays_date_is_accepted_before_noon_utc(app, trainee):
    today = datetime.now(UTC).date()
    sam = trainee(at(today, 6))  # 06:00 UTC: the day is young everywhere west of Asia
    for zone in (None, "UTC", "Europe/London"):
        assert sam.log(today, zone).status_code == 302
    with app.app_context():
        assert [e.activity_date.date() for e in sam.entries()] == [today] * 3


def test_the_main_form_refuses_year_one_and_stores_nothing(app, trainee):
    sam = trainee(at(datetime.now(UTC).date(), 15))
    refused(sam.log("0001-01-01"), "dated before you enrolled")
    refused(sam.log("9999-12-31"), "cannot be in the future")
    with app.app_context():
        assert sam.entries() == []


def _rejected_entry(app, sam: Trainee, day: date) -> int:
    assert sam.log(day).status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(LoggedHours)).one()
        decide_hours(entry, db.session.get(User, sam.mentor_id), False, "Which day was it?")
        db.session.commit()
        return entry.id


@pytest.mark.parametrize(("change", "message"), [
    ({"activity_date": "2036-03-01"}, "cannot be in the future"),
    ({"activity_date": "0001-01-01"}, "dated before you enrolled"),
    ({"kind": "self-care"}, "kinds of activity"),  # a continuing-education area
    ({"kind": "general"}, "kinds of activity"),
    ({"category": "continuing"}, "continuing-education areas"),  # peer-conversation is not
    ({"supervisor": "999999"}, "Not a valid choice"),
], ids=["2036", "year one", "self-care as practice", "general as practice",
        "practice kind as continuing", "someone else's supervisor"])
def test_a_correction_is_checked_like_a_new_entry_and_changes_nothing(app, trainee, change,
                                                                     message):
    today = datetime.now(UTC).date()
    sam = trainee(at(today, 15))
    entry_id = _rejected_entry(app, sam, today)
    fields = _correction_fields(sam.page(), entry_id)
    fields.update(change)
    response = sam.client.post(f"/programmes/{SLUG}/hours/{entry_id}/resubmit", data=fields)
    refused(response, message)
    # The message is shown with that entry's correction form, which stays open.
    body = response.get_data(as_text=True)
    correction = body.split(f"/hours/{entry_id}/resubmit", 1)[1].split("</details>", 1)[0]
    assert message in correction.replace("&#39;", "'")
    with app.app_context():
        [entry] = sam.entries()
        assert (entry.status, entry.kind, entry.category, entry.submissions) == (
            "rejected", "peer-conversation", "practice", 1)
        assert entry.activity_date.date() == today


def _correction_fields(page: str, entry_id: int) -> dict[str, str]:
    """The fields of an entry's "Correct and resubmit" form, as the page renders them."""
    html = page.split(f'action="/programmes/{SLUG}/hours/{entry_id}/resubmit"', 1)[1]
    html = html.split("</form>", 1)[0]
    fields = parse_form(f"<form>{html}</form>").fields
    selected = {name: html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
                .split(" selected>", 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]
                for name in ("kind", "supervisor")}
    reflection = html.split("<textarea", 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    return {**fields, **selected, "reflection": reflection}


def test_a_valid_correction_goes_back_for_approval(app, trainee):
    today = datetime.now(UTC).date()
    sam = trainee(at(today, 15))
    entry_id = _rejected_entry(app, sam, today)
    fields = _correction_fields(sam.page(), entry_id)
    assert fields["kind"] == "peer-conversation" and fields["activity_date"] == str(today)
    fields.update(hours="1.5", kind="check-in")
    response = sam.client.post(f"/programmes/{SLUG}/hours/{entry_id}/resubmit", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        [entry] = sam.entries()
        assert (entry.status, entry.kind, entry.hours, entry.submissions) == (
            "pending", "check-in", Decimal("1.50"), 2)


def test_the_correction_form_offers_only_the_entrys_own_kind_of_activity(app, trainee):
    today = datetime.now(UTC).date()
    sam = trainee(at(today, 15))
    entry_id = _rejected_entry(app, sam, today)
    page = sam.page()
    html = page.split(f"/hours/{entry_id}/resubmit", 1)[1].split("</form>", 1)[0]
    kinds = html.split('name="kind"', 1)[1].split("</select>", 1)[0]
    assert 'value="check-in"' in kinds and 'value="supervision"' in kinds
    assert 'value="self-care"' not in kinds and 'value="general"' not in kinds


# --- the person's own today, east and west of UTC ------------------------------------------


def test_today_in_kiritimati_while_utc_is_still_on_yesterday(app, trainee):
    utc_day = datetime.now(UTC).date()
    sam = trainee(at(utc_day, 20))  # 10:00 the next day in Kiritimati (UTC+14)
    their_today = utc_day + timedelta(days=1)
    assert sam.log(their_today, "Pacific/Kiritimati").status_code == 302
    refused(sam.log(their_today + timedelta(days=1), "Pacific/Kiritimati"),
            "cannot be in the future")
    # Not knowing the zone, the same today is still accepted (the most permissive zone).
    assert sam.log(their_today).status_code == 302
    with app.app_context():
        assert [e.activity_date.date() for e in sam.entries()] == [their_today] * 2


def test_today_in_pago_pago_while_utc_is_already_on_tomorrow(app, trainee):
    utc_day = datetime.now(UTC).date()
    sam = trainee(at(utc_day, 5))  # 18:00 the day before in Pago Pago (UTC-11)
    their_today = utc_day - timedelta(days=1)
    # Enrolled "today" in Pago Pago too: the day they enrolled is not before enrolment.
    assert sam.log(their_today, "Pacific/Pago_Pago").status_code == 302
    # UTC's date is their tomorrow.
    refused(sam.log(utc_day, "Pacific/Pago_Pago"), "cannot be in the future")
    refused(sam.log(their_today - timedelta(days=1), "Pacific/Pago_Pago"),
            "dated before you enrolled")
    with app.app_context():
        assert [e.activity_date.date() for e in sam.entries()] == [their_today]


def test_the_lms_time_zone_is_used_when_the_browser_sends_none(app, trainee):
    utc_day = datetime.now(UTC).date()
    sam = trainee(at(utc_day, 5), **{CLAIM + "custom": {"timezone": "Pacific/Pago_Pago"}})
    refused(sam.log(utc_day), "cannot be in the future")  # their tomorrow, says the LMS
    assert sam.log(utc_day - timedelta(days=1)).status_code == 302
    # The browser's zone, when it sends one, is where the person is now.
    assert sam.log(utc_day, "Pacific/Auckland").status_code == 302


@pytest.mark.parametrize("zone", ["../../../etc/passwd", "Mars/Olympus_Mons", "x" * 500,
                                  "pacific/kiritimati"],
                         ids=["path", "unknown", "long", "wrong case"])
def test_a_made_up_time_zone_is_ignored(app, trainee, zone):
    utc_day = datetime.now(UTC).date()
    sam = trainee(at(utc_day, 20))
    # Taken as no zone at all: Kiritimati's today is accepted, the day after is not.
    assert sam.log(utc_day + timedelta(days=1), zone).status_code == 302
    refused(sam.log(utc_day + timedelta(days=2), zone), "cannot be in the future")


def test_hours_of_their_today_count_as_soon_as_they_are_approved(app, trainee):
    """Logged at 20:00 UTC for Kiritimati's today, whose noon UTC is still 16 hours away:
    approval counts them at once."""
    utc_day = datetime.now(UTC).date()
    sam = trainee(at(utc_day, 20))
    assert sam.log(utc_day + timedelta(days=1), "Pacific/Kiritimati").status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(LoggedHours)).one()
        decide_hours(entry, db.session.get(User, sam.mentor_id), True, "")
        db.session.commit()
        standing = get_standing(db.session.get(User, sam.user_id), SLUG)
        supervised = next(r for r in standing.evaluation.requirements
                          if r.id == "practice:supervised")
        assert supervised.have == 2


def test_the_services_check_every_entry_the_same_way(app, trainee):
    """Code that logs hours without a form (imports, scripts) meets the same check."""
    sam = trainee(at(datetime.now(UTC).date(), 15))
    with app.app_context():
        person, mentor = db.session.get(User, sam.user_id), db.session.get(User, sam.mentor_id)
        with pytest.raises(CertificationError, match="before you enrolled") as info:
            log_hours(person, SLUG, category="practice", kind="check-in", hours=Decimal(1),
                      activity_date=date(1, 1, 1), supervisor=mentor, reflection=None)
        assert info.value.field == "activity_date"
        assert db.session.scalar(select(func.count()).select_from(LoggedHours)) == 0
