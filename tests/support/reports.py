"""Helpers of the reporting tests."""

from __future__ import annotations

from typing import Any

from lms_plugin.reporting.queries import Filters, courses, departments
from tests.support.browser import ClientBrowser


def admin_of(app: Any, platform: Any, **params: Any) -> ClientBrowser:
    """A browser of the platform's demo admin, launched into the tool."""
    browser = ClientBrowser(app.test_client(), platform.url)
    browser.launch(persona="admin", **params)
    return browser


def every_filter(organisation_id: int) -> list[Filters]:
    """Every filter an admin can choose in the organisation: none, each course, each
    department, and one course with one department."""
    course_ids = [c.id for c in courses(organisation_id)]
    names = departments(organisation_id)
    return [Filters(organisation_id), *(Filters(organisation_id, c) for c in course_ids),
            *(Filters(organisation_id, None, d) for d in names),
            Filters(organisation_id, course_ids[0], names[0])]
