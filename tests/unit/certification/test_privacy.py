"""The reflection field refuses obvious identifiers of the person supported."""

from __future__ import annotations

import pytest

from lms_plugin.certification.privacy import find_identifiers


@pytest.mark.parametrize("text", [
    "Followed up with jo.bloggs@example.com about the EAP",
    "call them on 07700 900123 tomorrow",
    "their number is +44 (0)20 7946 0958",
    "US colleague, 415-555-0134",
    "messaged @jordan_k on Teams",
])
def test_identifiers_are_found(text):
    assert find_identifiers(text)


@pytest.mark.parametrize("text", [
    "Listened for 40 minutes; used reflections and a summary; signposted the EAP.",
    "Session on 12/03/2026 from 14:30 to 15:15, about 45 min",
    "Practised asking directly about suicide in a role-play (2 hours).",
    "Used the 988 line information as an example",
    "",
])
def test_ordinary_reflections_pass(text):
    assert find_identifiers(text) == []


def test_each_kind_is_named():
    assert find_identifiers("a@b.org and 020 7946 0958") == ["an email address",
                                                               "a phone number"]
