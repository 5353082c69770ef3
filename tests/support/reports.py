"""Helpers of the reporting tests."""

from __future__ import annotations

from lms_plugin.reporting.queries import Filters, courses, departments


def every_filter(organisation_id: int) -> list[Filters]:
    """Every filter an admin can choose in the organisation: none, each course, each
    department, and one course with one department."""
    course_ids = [c.id for c in courses(organisation_id)]
    names = departments(organisation_id)
    return [Filters(organisation_id), *(Filters(organisation_id, c) for c in course_ids),
            *(Filters(organisation_id, None, d) for d in names),
            Filters(organisation_id, course_ids[0], names[0])]
