"""What a logged-hours entry may say: one check for new and corrected entries. Pure: plain
data in, the first problem (the field and a message) out.

Dates are calendar days in the person's own time zone. When we do not know it, each bound
takes the most permissive zone on Earth, so nobody's own today is ever refused:

- not in the future: the day may be at most today in UTC+14 (Kiritimati, where each date
  begins first);
- not before enrolment: the day may be at least the enrolment's date in UTC-12 (where each
  date ends last).

Why enrolment, not some "programme start": the programme's rules run from enrolment (the
provisional deadline is counted from it in `rules.evaluate_programme`), a trainee is only
supervised within the programme once enrolled, and earlier experience is prior learning,
which a programme recognises by a waiver an admin grants on evidence (`waivable`), not by
back-dated hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal

from flask_babel import gettext

from .. import dates
from ..content.programme_schema import Programme
from ..dates import zone_named
from ..lti.claims import LaunchClaims

PRACTICE, TRAINING, CONTINUING = "practice", "training", "continuing"
FIRST_TO_START = timezone(timedelta(hours=14))  # Pacific/Kiritimati
LAST_TO_END = timezone(timedelta(hours=-12))  # Baker and Howland Islands
MAX_HOURS = Decimal(24)


@dataclass(frozen=True)
class Problem:
    field: str  # the form field it belongs to
    message: str


def zone_from_launch(claims: LaunchClaims) -> tzinfo | None:
    """The zone an LMS sent with the launch, as the custom parameter `timezone` (Moodle and
    Canvas: `timezone=$Person.address.timezone`, the person's profile setting). The
    launch's `locale` alone names no zone (en-US spans six), so it is not used."""
    return zone_named(claims.custom_text("timezone", 64))


def latest_day(now: datetime, zone: tzinfo | None) -> date:
    """Today for the person: in their zone, else where today began first."""
    return now.astimezone(zone or FIRST_TO_START).date()


def earliest_day(enrolled_at: datetime, zone: tzinfo | None) -> date:
    """The day they enrolled, for the person: in their zone, else where it ended last."""
    return enrolled_at.astimezone(zone or LAST_TO_END).date()


def practice_kinds(programme: Programme) -> list[str]:
    return programme.practice.all_kinds


def training_kinds(programme: Programme) -> list[str]:
    """The programme's training domains, or "general" when it asks only for a total."""
    hours = programme.training_hours
    if hours.domains:
        return sorted(hours.domains)
    return ["general"] if hours.total else []


def continuing_kinds(programme: Programme) -> list[str]:
    return sorted({*programme.renewal.sub_minimums, "general"})


def refresher_hours(minutes: int) -> Decimal:
    """A refresher's estimated time as hours to log: whole quarter hours, rounded up (the
    form takes quarters from 0.25)."""
    quarters = max(1, -(-minutes // 15))
    return Decimal(quarters) / 4


def kinds_for(programme: Programme, category: str) -> list[str]:
    return {PRACTICE: practice_kinds, TRAINING: training_kinds,
            CONTINUING: continuing_kinds}[category](programme)


def entry_problem(programme: Programme, *, category: str, kind: str, hours: Decimal | None,
                  day: date, earliest: date, latest: date) -> Problem | None:
    """The first thing wrong with an entry, or None."""
    if category not in (PRACTICE, TRAINING, CONTINUING) or not kinds_for(programme, category):
        return Problem("category", gettext("Choose what kind of hours these are."))
    if kind not in kinds_for(programme, category):
        return Problem("kind", {
            PRACTICE: gettext("Choose one of the programme's kinds of activity."),
            TRAINING: gettext("Choose one of the programme's training domains."),
            CONTINUING: gettext("Choose one of the programme's continuing-education areas."),
        }[category])
    if hours is None or not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
        return Problem("hours", gettext("Hours must be more than 0 and at most 24 for one "
                                        "entry."))
    if day > latest:
        return Problem("activity_date", gettext(
            "The activity cannot be in the future: the latest date you can log today is "
            "%(day)s.", day=dates.day(latest)))
    if day < earliest:
        return Problem("activity_date", gettext(
            "The activity is dated before you enrolled in the programme (%(day)s). Hours "
            "from before enrolment are prior learning: ask your programme lead whether it can "
            "be recognised.", day=dates.day(earliest)))
    return None
