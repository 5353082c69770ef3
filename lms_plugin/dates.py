"""One date format per language everywhere: `{{ when|day }}` gives "5 March 2026" (in
Spanish "5 de marzo de 2026"); `{{ when|moment }}` gives a `<time data-local>` element that
reads "5 March 2026, 14:05 UTC" without JavaScript (in the zone the person's LMS sent, when
it sent one: `i18n.select_timezone`) and is shown in the reader's own time zone, in the
page's language, by `static/local-time.js`. Formatting goes through Flask-Babel in the
request's locale (English outside a request). Templates never call `strftime` themselves."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache

import flask_babel
from babel.dates import format_date, format_skeleton
from flask import Flask, current_app, has_app_context
from markupsafe import Markup, escape

# English keeps the day-month-year order the tool always had; other languages take
# their own (CLDR) order for the same fields.
_DAY = {"en": "d MMMM y"}
_MONTH = {"en": "MMMM y"}


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware: every stored time."""
    return datetime.now(UTC)


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_named(name: str | None) -> tzinfo | None:
    """The IANA zone of that name (as the browser's Intl API or an LMS gives it), or None
    for anything else: only names in the zone database are looked up, never a path."""
    name = (name or "").strip()
    if not name or len(name) > 64 or name not in _zone_names():
        return None
    return zoneinfo.ZoneInfo(name)


def _format(value: date, patterns: dict[str, str], skeleton: str) -> str:
    locale = flask_babel.get_locale() if has_app_context() else None
    language = locale.language if locale is not None else "en"
    if language in patterns:
        return format_date(value, patterns[language], locale=language)
    return format_skeleton(skeleton, value, locale=locale or "en")


def _person_zone() -> tzinfo:
    """The request's zone (`i18n.select_timezone`), UTC outside a request."""
    if has_app_context() and "babel" in current_app.extensions:
        return flask_babel.get_timezone() or UTC
    return UTC


def calendar_day(value: date | datetime) -> date:
    """A datetime's day in the person's zone; a date as it is."""
    if isinstance(value, datetime):
        return _utc(value).astimezone(_person_zone()).date()
    return value


def day(value: date | datetime | None, empty: str = "") -> str:
    if value is None:
        return empty
    return _format(calendar_day(value), _DAY, "yMMMMd")


def month(value: date | datetime | None) -> str:
    return "" if value is None else _format(calendar_day(value), _MONTH, "yMMMM")


def month_label(key: str) -> str:
    """A month given as YYYY-MM, in words (the reports' months)."""
    return month(date.fromisoformat(key + "-01"))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(
        UTC)


def moment_text(value: datetime) -> str:
    """"5 March 2026, 14:05 UTC": the day and time in the person's zone, with its name."""
    local = _utc(value).astimezone(_person_zone())
    return f"{day(local)}, {local:%H:%M} {local:%Z}"


def moment(value: datetime | None, empty: str = "") -> Markup:
    if value is None:
        return escape(empty)
    value = _utc(value)
    return Markup('<time data-local datetime="{}">{}</time>').format(
        value.isoformat(), moment_text(value))


def init_app(app: Flask) -> None:
    app.add_template_filter(day, "day")
    app.add_template_filter(month, "month")
    app.add_template_filter(moment, "moment")
    app.add_template_filter(moment_text, "moment_text")
