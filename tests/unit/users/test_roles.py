"""LTI role URIs to the tool's roles (lms_plugin.users.roles.map_roles). Pure: no app."""

from __future__ import annotations

from typing import Any

import pytest

from lms_plugin.users.models import ADMIN, INSTRUCTOR, LEARNER, MENTOR
from lms_plugin.users.roles import map_roles

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
MEMBERSHIP = LIS + "membership#"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        # Full context (membership) role URIs
        ([MEMBERSHIP + "Learner"], {LEARNER}),
        ([MEMBERSHIP + "Instructor"], {INSTRUCTOR}),
        ([MEMBERSHIP + "ContentDeveloper"], {INSTRUCTOR}),
        ([MEMBERSHIP + "Administrator"], {ADMIN}),
        ([MEMBERSHIP + "Manager"], {ADMIN}),
        ([MEMBERSHIP + "Mentor"], {MENTOR}),
        # Short forms, which LTI 1.3 allows for context roles
        (["Learner"], {LEARNER}),
        (["Instructor"], {INSTRUCTOR}),
        (["Mentor"], {MENTOR}),
        (["Administrator"], {ADMIN}),
        # Sub-roles belong to their principal role
        ([LIS + "membership/Instructor#TeachingAssistant"], {INSTRUCTOR}),
        ([LIS + "membership/Learner#NonCreditLearner"], {LEARNER}),
        ([LIS + "membership/Mentor#Advisor"], {MENTOR}),
        ([LIS + "membership/Administrator#Developer"], {ADMIN}),
        # Institution and system administrators administer the programme
        ([LIS + "institution/person#Administrator"], {ADMIN}),
        ([LIS + "system/person#Administrator"], {ADMIN}),
        ([LIS + "system/person#SysAdmin"], {ADMIN}),
    ],
    ids=lambda v: v[0].removeprefix(LIS) if isinstance(v, list) else None,
)
def test_known_roles(roles, expected):
    assert map_roles(roles) == expected


def test_several_roles_map_to_several_tool_roles():
    roles = [
        MEMBERSHIP + "Instructor",
        MEMBERSHIP + "Mentor",
        LIS + "institution/person#Administrator",
        LIS + "institution/person#Faculty",  # institution role without a tool meaning
    ]
    assert map_roles(roles) == {INSTRUCTOR, MENTOR, ADMIN}


def test_learner_is_not_added_when_another_role_is_known():
    assert map_roles([MEMBERSHIP + "Instructor"]) == {INSTRUCTOR}
    assert LEARNER not in map_roles(["Mentor"])


def test_roles_are_a_set():
    assert map_roles([MEMBERSHIP + "Instructor", "Instructor",
                      LIS + "membership/Instructor#Lecturer"]) == {INSTRUCTOR}


@pytest.mark.parametrize(
    "role",
    [
        # Institution roles other than Administrator are not programme administration
        LIS + "institution/person#Instructor",
        LIS + "institution/person#Student",
        LIS + "institution/person#Faculty",
        LIS + "institution/person#Mentor",
        LIS + "system/person#User",
        # Unknown membership role names, near misses and foreign vocabularies
        MEMBERSHIP + "Janitor",
        MEMBERSHIP + "instructor",
        LIS + "membership/Janitor#Instructor",
        "http://example.com/vocab/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v1/membership#Instructor",
        "urn:lti:role:ims/lis/Instructor",
        "Instructor#TeachingAssistant",
        "Janitor",
        "",
        "   ",
        "#",
    ],
)
def test_unknown_roles_are_ignored(role):
    assert map_roles([role]) == {LEARNER}
    assert map_roles([role, MEMBERSHIP + "Mentor"]) == {MENTOR}


@pytest.mark.parametrize("garbage", [None, 42, 3.5, ["Instructor"], {"role": "Instructor"},
                                     b"Instructor"])
def test_non_string_roles_are_ignored(garbage: Any):
    assert map_roles([garbage]) == {LEARNER}
    assert map_roles([garbage, "Instructor"]) == {INSTRUCTOR}


def test_no_roles_means_learner():
    assert map_roles([]) == {LEARNER}
    assert map_roles(iter(())) == {LEARNER}


def test_accepts_any_iterable():
    assert map_roles(r for r in ["Instructor", "Mentor"]) == {INSTRUCTOR, MENTOR}
    assert map_roles(("Administrator",)) == {ADMIN}
