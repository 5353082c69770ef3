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


@pytest.mark.parametrize(("text", "names"), [
    ("Met Priya in the Leeds office to talk about her workload.", ["Priya", "Leeds"]),
    ("My colleague from Manchester asked for help.", ["Manchester"]),
    ("We talked with John and Sarah about the move to Bristol.", ["John", "Sarah", "Bristol"]),
    ("They said (Amir) would cover the shift.", ["Amir"]),
])
def test_names_and_places_are_found(text, names):
    from lms_plugin.certification.privacy import find_names

    assert find_names(text) == names
    assert any("name or place" in found for found in find_identifiers(text))


@pytest.mark.parametrize("text", [
    "Talked on Teams on Monday. I signposted Samaritans and the Employee Assistance "
    "Programme.",
    "A colleague was worried about their manager. I listened and we agreed a next step.",
    "Check-in after the restructure: they felt calmer. I suggested they speak to their GP.",
    "- Listened\n- Summarised what I heard\n- Agreed to follow up on Friday",
    "Used OARS skills; I'm more confident asking about suicide since the Mental Health "
    "First Aid course in March.",
    "Supervision: we discussed boundaries. Next time I will agree the time limit first.",
])
def test_realistic_reflections_without_names_pass(text):
    assert find_identifiers(text) == []


def test_the_advice_says_what_to_write_instead():
    from lms_plugin.certification.privacy import ADVICE

    assert "a colleague" in ADVICE and "instead of a name" in ADVICE
