"""Phone numbers as tel: links (the Get help now page, lessons): real formats are linked,
years, dates, hours and counts never are, and everything is escaped."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from lms_plugin.phones import find_phone_numbers, phone_links, tel_uri
from lms_plugin.training.help import HelpResources, Line

LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')


def links(text: str, contact: bool = False) -> list[tuple[str, str]]:
    """(uri, linked text) for each link phone_links makes."""
    return [(uri, html.unescape(label))
            for uri, label in LINK.findall(str(phone_links(text, contact=contact)))]


@pytest.mark.parametrize("number, uri", [
    ("116 123", "tel:116123"),
    ("988", "tel:988"),
    ("0800 123 456", "tel:0800123456"),
    ("+44 (0)20 7123 4567", "tel:+442071234567"),
    ("+44 20 7123 4567", "tel:+442071234567"),
    ("020 7123 4567", "tel:02071234567"),
    ("(800) 273-8255", "tel:8002738255"),
    ("1-800-273-8255", "tel:18002738255"),
    ("+1 (800) 273-8255", "tel:+18002738255"),
    ("13 11 14", "tel:131114"),
    ("9-8-8", "tel:988"),
    ("000", "tel:000"),
    ("0800.123.456", "tel:0800123456"),
])
def test_tel_uri_keeps_digits_and_a_leading_plus(number, uri):
    assert tel_uri(number) == uri


@pytest.mark.parametrize("number", ["", "12", "+4", "1234567890123456"])
def test_tel_uri_refuses_what_cannot_be_a_number(number):
    assert tel_uri(number) is None


@pytest.mark.parametrize("text, expected", [
    # The shipped crisis lines and the README's example EAP line.
    ("Call 116 123 (free, any time)", [("tel:116123", "116 123")]),
    ("Call or text 988", [("tel:988", "988")]),
    ("Call 13 11 14", [("tel:131114", "13 11 14")]),
    ("Call 0800 123 456, 24 hours a day, or chat online", [("tel:0800123456", "0800 123 456")]),
    # UK, Irish, US, Australian and international formats.
    ("Call 0300 123 3393 (Mind Infoline)", [("tel:03001233393", "0300 123 3393")]),
    ("Phone +44 (0)20 7123 4567", [("tel:+442071234567", "+44 (0)20 7123 4567")]),
    ("Freephone 1800 247 247", [("tel:1800247247", "1800 247 247")]),
    ("Call 1-800-273-8255 (TALK)", [("tel:18002738255", "1-800-273-8255")]),
    ("Call (800) 273-8255.", [("tel:8002738255", "(800) 273-8255")]),
    ("Ring 07700 900123 after hours", [("tel:07700900123", "07700 900123")]),
    ("Tel. 0800 123 456", [("tel:0800123456", "0800 123 456")]),
    ("Call or text 1737", [("tel:1737", "1737")]),
    ("Call 111, option 2", [("tel:111", "111")]),
    # Several in one sentence; a cue earlier in the sentence counts.
    ("In an emergency call 999 or 112.", [("tel:999", "999"), ("tel:112", "112")]),
    ("call your local emergency number now (for example 112 in the EU, 999 in the UK, "
     "911 in the US and Canada, 000 in Australia)",
     [("tel:112", "112"), ("tel:999", "999"), ("tel:911", "911"), ("tel:000", "000")]),
    ("Offer to call a crisis line, such as 988 in the United States or 9-8-8 in Canada",
     [("tel:988", "988"), ("tel:988", "9-8-8")]),
    # Only the number, not what runs into it.
    ("Call 116 123 24/7", [("tel:116123", "116 123")]),
    ("Call 988 24 hours a day", [("tel:988", "988")]),
    ("Call 116 123 365 days a year", [("tel:116123", "116 123")]),
    ("Call 0800 123 456 9am-5pm", [("tel:0800123456", "0800 123 456")]),
    # Texting: a text-only number is an sms: link; "call or text" is a call.
    ("text HOME to 741741", [("sms:741741", "741741")]),
    ("Call 116 123. Text SHOUT to 85258.", [("tel:116123", "116 123"), ("sms:85258", "85258")]),
    ("Call 116 123 or text 07725 909090", [("tel:116123", "116 123"),
                                           ("sms:07725909090", "07725 909090")]),
])
def test_numbers_are_linked(text, expected):
    assert links(text) == expected


@pytest.mark.parametrize("text", [
    # No call to action: a count, not a number to ring.
    "Free, confidential helplines in over 130 countries",
    "Samaritans was founded in 1953",
    "Open 24/7",
    "Open 9-5",
    "Open 9-17, Monday to Friday. Call us then.",
    "Lines open 9am to 5pm",
    "Call between 0800 and 2000",
    "Call from 0900 to 1700",
    "Call us 0900-1700",
    "Call us since 2015",
    "Call before 15-01-2024",
    "Call before 2024-01-15",
    "Call before 15.01.2024",
    "Call before 15 01 2024",
    "Call us 365 days a year",
    "Call one of 130 countries",
    "Call 100% free",
    "Call at 9:30",
    "Call for £100",
    "Call 800-273-TALK",
    "Call or visit https://example.org/help/12345678",
    "Write to help0800123456@example.org",
    "Call about case 1.5",
    "Call: 12",
    "1 in 4 people",
    "Read chapter 11 of the 2023 report",
    "",
])
def test_non_numbers_are_never_linked(text):
    assert links(text) == []
    assert str(phone_links(text)) == str(html.escape(text, quote=True))


def test_a_short_number_needs_a_call_to_action_except_at_the_start_of_a_contact_field():
    assert links("116 123 (free, any time)") == []
    assert links("116 123 (free, any time)", contact=True) == [("tel:116123", "116 123")]
    assert links("Helplines in 130 countries", contact=True) == []
    # A long number is a number anywhere.
    assert links("Our EAP: 0800 123 456") == [("tel:0800123456", "0800 123 456")]


def test_context_from_earlier_in_the_paragraph_counts():
    assert find_phone_numbers("Ireland, 988 in the US", "Offer to call a line, such as ")
    assert not find_phone_numbers("Ireland, 988 in the US", "Lines such as ")
    # A finished sentence does not carry its cue on.
    assert not find_phone_numbers("988 lines.", "Call us. There are ")


def test_everything_is_escaped():
    out = phone_links('<script>alert("x")</script> call 0800 123 456 & "quote"')
    assert isinstance(out, Markup)
    assert "<script" not in out
    assert str(out) == ('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; call '
                        '<a href="tel:0800123456">0800 123 456</a> &amp; &#34;quote&#34;')


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_the_text_is_kept_and_only_tel_or_sms_links_are_added(text):
    out = str(phone_links(text, contact=True))
    for uri, _ in LINK.findall(out):
        assert re.fullmatch(r"(tel|sms):\+?\d{3,15}", uri)
    assert html.unescape(LINK.sub(r"\2", out)) == text
    assert "<" not in LINK.sub("", out)


def test_help_page_models_link_their_numbers():
    resources = HelpResources(eap="Call 0800 123 456, 24 hours a day",
                              organisation_contacts=[Line(name="Wellbeing team", region="All",
                                                          contact="wellbeing@example.org")])
    assert '<a href="tel:0800123456">0800 123 456</a>, 24 hours a day' in resources.eap_html
    assert resources.organisation_contacts[0].contact_html == "wellbeing@example.org"
    assert '<a href="tel:999">999</a>' in resources.emergency_html
    samaritans = resources.crisis_lines[0]
    assert samaritans.contact_html == 'Call <a href="tel:116123">116 123</a> (free, any time)'


def test_spanish_cues_link_like_the_english_ones():
    assert str(phone_links("Llama o envía un mensaje de texto al 988")) == (
        'Llama o envía un mensaje de texto al <a href="tel:988">988</a>')
    assert str(phone_links("envía AYUDA por mensaje de texto al 988")) == (
        'envía AYUDA por mensaje de texto al <a href="sms:988">988</a>')
    assert str(phone_links("Llama al 988 durante 24 horas en 130 países")) == (
        'Llama al <a href="tel:988">988</a> durante 24 horas en 130 países')
