"""The help resources in another language: the words change, never the numbers; an
organisation's own lines may carry their translations; a language without one is
English."""

from __future__ import annotations

import re

from lms_plugin.training.help import HelpResources, Line

NUMBERS = re.compile(r"\d[\d ]*\d|\d")


def numbers(text: str) -> set[str]:
    return {n.replace(" ", "") for n in NUMBERS.findall(text)}


def test_each_default_line_in_spanish_has_only_the_english_numbers():
    english, spanish = HelpResources(), HelpResources().localized("es")
    for mine, theirs in zip(spanish.crisis_lines, english.crisis_lines, strict=True):
        assert mine.contact != theirs.contact  # translated
        extra = numbers(mine.contact) - numbers(theirs.contact)
        assert extra <= {"2"}, (mine.name, extra)  # 988's "press 2" for Spanish
        assert mine.url == theirs.url and mine.name == theirs.name
    assert numbers(spanish.emergency) == numbers(english.emergency)


def test_an_organisations_line_carries_its_own_translation_and_falls_back():
    line = Line.model_validate({
        "name": "EAP", "region": "Spain", "contact": "Call 900 000 000",
        "translations": {"es": {"region": "España", "contact": "Llama al 900 000 000"}}})
    help_ = HelpResources(organisation_contacts=[line], emergency="Call 112.")
    spanish = help_.localized("es")
    assert spanish.organisation_contacts[0].contact == "Llama al 900 000 000"
    assert spanish.emergency == "Call 112."  # an operator's own text, not translated
    french = help_.localized("fr")
    assert french.organisation_contacts[0].region == "Spain"
    assert french.crisis_lines[0].contact == "Call 116 123 (free, any time)"
