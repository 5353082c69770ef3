"""One date format everywhere: `{{ when|day }}` gives "5 March 2026"; `{{ when|moment }}`
gives a `<time data-local>` element that reads "5 March 2026, 14:05 UTC" without
JavaScript and is shown in the reader's own time zone, in the same format, by
`static/local-time.js`. Templates never call `strftime` themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from markupsafe import Markup, escape


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware: every stored time."""
    return datetime.now(UTC)


def day(value: date | datetime | None, empty: str = "") -> str:
    if value is None:
        return empty
    return f"{value.day} {value:%B %Y}"


def month(value: date | datetime | None) -> str:
    return "" if value is None else f"{value:%B %Y}"


def month_label(key: str) -> str:
    """A month given as YYYY-MM, in words (the reports' months)."""
    return month(date.fromisoformat(key + "-01"))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(
        UTC)


def moment_text(value: datetime) -> str:
    value = _utc(value)
    return f"{day(value)}, {value:%H:%M} UTC"


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
