"""Map LTI role URIs to the tool's roles. Pure: no Flask, no database."""

from __future__ import annotations

from collections.abc import Iterable

from .models import ADMIN, INSTRUCTOR, LEARNER, MENTOR

_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

# Context (membership) roles, with their sub-roles (membership/Instructor#TeachingAssistant).
_MEMBERSHIP = {
    "Learner": LEARNER,
    "Instructor": INSTRUCTOR,
    "ContentDeveloper": INSTRUCTOR,
    "Administrator": ADMIN,
    "Manager": ADMIN,
    "Mentor": MENTOR,
}
# Institution and system roles that make someone an admin of the programme.
_ADMIN_PERSON = {
    _LIS + "institution/person#Administrator",
    _LIS + "system/person#Administrator",
    _LIS + "system/person#SysAdmin",
}


def map_roles(lti_roles: Iterable[str]) -> set[str]:
    """The tool roles a launch carries. Unknown roles are ignored; none at all means learner."""
    mapped: set[str] = set()
    for role in lti_roles:
        if not isinstance(role, str):
            continue
        if role in _ADMIN_PERSON:
            mapped.add(ADMIN)
            continue
        if role.startswith(_LIS + "membership#"):
            name = role.split("#", 1)[1]
        elif role.startswith(_LIS + "membership/"):
            # Sub-role: membership/Instructor#TeachingAssistant belongs to Instructor.
            name = role[len(_LIS + "membership/") :].split("#", 1)[0]
        elif "/" not in role and "#" not in role:
            name = role  # LTI 1.3 allows the short form for context roles
        else:
            continue
        if name in _MEMBERSHIP:
            mapped.add(_MEMBERSHIP[name])
    return mapped or {LEARNER}
