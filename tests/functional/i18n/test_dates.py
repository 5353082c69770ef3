"""Dates and times in the request's language and the person's zone (dates.py through
Babel): English keeps "5 March 2026"; Spanish reads "5 de marzo de 2026"; a zone the LMS
sent moves the day and the time; outside a request, English and UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import session
from flask_babel import refresh

from lms_plugin import dates
from lms_plugin.i18n import ZONE_KEY


def test_days_and_months_follow_the_language(app):
    day = date(2026, 3, 5)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert dates.day(day) == "5 de marzo de 2026"
        assert dates.month(day) == "marzo de 2026"
    with app.test_request_context(headers={"Accept-Language": "en-GB"}):
        assert dates.day(day) == "5 March 2026" and dates.month(day) == "March 2026"
    assert dates.day(day) == "5 March 2026"  # no request: English


def test_a_moment_is_shown_in_the_zone_the_lms_sent(app):
    late = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert dates.moment_text(late) == "5 de marzo de 2026, 23:30 UTC"
        session[ZONE_KEY] = "Europe/Madrid"
        refresh()  # as the next request would
        assert dates.moment_text(late) == "6 de marzo de 2026, 00:30 CET"  # the next day
        assert dates.day(late) == "6 de marzo de 2026"
        assert 'datetime="2026-03-05T23:30:00+00:00"' in str(dates.moment(late))
    assert dates.moment_text(late) == "5 March 2026, 23:30 UTC"
