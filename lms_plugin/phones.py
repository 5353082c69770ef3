"""Phone numbers in text, as tel:/sms: links (the Get help now page, lessons): real formats
are linked; years, dates, hours and counts never are; everything is escaped. Pure."""

from __future__ import annotations

import re
from typing import NamedTuple

from markupsafe import Markup, escape

# Phone numbers as links ------------------------------------------------------------------
#
# The help texts are written by people (the operator's YAML, the lessons), so numbers are
# found by a cautious reading rather than a phone-number library:
# - a number of 7 to 15 digits ("0800 123 456", "+44 (0)20 7123 4567", "(800) 273-8255")
#   is a phone number wherever it appears, unless it is a date or a time range;
# - a short number (3 to 6 digits: "988", "116 123", "13 11 14", "741741") is one only when
#   the sentence asks you to call or text it ("Call or text 988", "call your local
#   emergency number (for example 112, 999 ...)"), or when it opens a contact field
#   ("116 123 (free, any time)"), and it is not a year, an hour or a count ("24 hours",
#   "365 days", "130 countries");
# - "text HOME to 741741" is an sms: link (calling a text-only number does nothing);
#   everything else is tel:.
# Years, dates, "24/7", "9-5", "9am", prices and numbers inside words or URLs are never
# linked.

_SEP = r"(?:[ \u00a0.\-]|\s?\(\d{1,4}\)\s?)"
_CANDIDATE = re.compile(
    r"(?<![\w/:.,+\-\u2013\u2014£$€¥#@%&=])"
    r"(?>(?:\+\s?)?(?:\(\d{1,5}\)\s?)?\d+(?:" + _SEP + r"\d+)*)"
)
# What may not follow a number: a letter ("8am", "24h"), a slash or colon ("24/7",
# "9:30"), a percent sign, a decimal or a range ("1.5", "9-17" was split), "800-273-TALK".
_BAD_TAIL = re.compile(r"[\w/:%]|[.,\-\u2013\u2014]\d|-[^\W\d_]|\s?%")
_UNIT = re.compile(
    r"\s*(?:hours?|hrs?|h|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|"
    r"yrs?|countries|languages|people|persons?|times|calls|lines|services|staff|members|"
    r"percent|per\s+cent|million|thousand|billion|am|pm|a\.m\.|p\.m\.|"
    # Spanish (the help page and lessons in Spanish)
    r"horas?|minutos?|días?|semanas?|meses|años?|países|idiomas|personas|veces|llamadas|"
    r"líneas|por\s+ciento|millones|mil)\b",
    re.IGNORECASE)
_CUE = re.compile(
    r"\b(?:call(?:s|ing)?|phone|ring|dial|tel|telephone|freephone|text|txt|sms|"
    r"llam(?:a|ar|e|en|ando)|marc(?:a|ar|ando)|tel[eé]fono|texto)\b",
    re.IGNORECASE)
_SMS_CUES = {"text", "txt", "sms", "texto"}
_CALL_OR = re.compile(r"\b(?:call|phone|ring|dial)\s*(?:or|and|/)\s*$"
                      r"|\bllam\w*\s+o\s+env[ií]a\s+un\s+mensaje\s+de\s*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z\"“‘(\[])|[;\n]")
_RANGE_WORD_BEFORE = re.compile(r"(?:\b(?:from|between|until|till|to|and)|[-\u2013\u2014])\s*$",
                                re.IGNORECASE)
_RANGE_WORD_AFTER = re.compile(r"\s*(?:(?:to|until|till|and)\b|[-\u2013\u2014])",
                               re.IGNORECASE)
_GROUP = re.compile(r"\d+")


class PhoneMatch(NamedTuple):
    start: int
    end: int
    uri: str


def tel_uri(number: str, scheme: str = "tel") -> str | None:
    """The URI for a written number: its digits and a leading +, with a national trunk
    "(0)" dropped from an international number ("+44 (0)20 7123 4567" ->
    "tel:+442071234567"). None when it has fewer than 3 or more than 15 digits."""
    text = number.strip()
    international = text.startswith("+")
    if international:
        text = text.replace("(0)", "")
    digits = re.sub(r"\D", "", text)
    if not 3 <= len(digits) <= 15:
        return None
    return f"{scheme}:{'+' if international else ''}{digits}"


def _is_date(groups: list[str], seps: list[str]) -> bool:
    if len(groups) != 3:
        return False
    a, b, c = (int(g) for g in groups)
    if len(groups[0]) == 4 and len(groups[1]) <= 2 and len(groups[2]) <= 2:  # 2024-01-15
        return 1 <= b <= 12 and 1 <= c <= 31
    if len(groups[0]) <= 2 and len(groups[1]) <= 2 and len(groups[2]) in (2, 4):  # 15.01.2024
        day_month = (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)
        return day_month and (len(groups[2]) == 4 or any(s in ".-" for s in seps))
    return False


def _is_hhmm(group: str) -> bool:
    return len(group) == 4 and int(group[:2]) <= 23 and int(group[2:]) <= 59


def _is_time_range(groups: list[str], seps: list[str]) -> bool:
    if len(groups) != 2 or seps[0] not in ("-", "."):
        return False
    if all(len(g) <= 2 for g in groups):  # 9-5, 10-12, 9.30
        return True
    return all(_is_hhmm(g) for g in groups)  # 0900-1700


def _sentence(before: str) -> str:
    ends = list(_SENTENCE_END.finditer(before))
    return before[ends[-1].end():] if ends else before


def _classify(body: str, before: str, after: str, *, contact: bool) -> str | None:
    """The scheme ("tel" or "sms") when `body` is a phone number here, else None."""
    plain = body.replace("(0)", "") if body.startswith("+") else body
    groups = _GROUP.findall(plain)
    seps = [s.strip() or " " for s in re.split(r"\d+", plain)[1:-1]]
    digits = sum(len(g) for g in groups)
    if not 3 <= digits <= 15 or _is_date(groups, seps) or _is_time_range(groups, seps):
        return None
    sentence = _sentence(before)
    cues = list(_CUE.finditer(sentence))
    if digits < 7:
        if _UNIT.match(after):
            return None
        if len(groups) == 1 and len(body) == 4:
            if 1900 <= int(body) <= 2099:  # a year
                return None
            if _is_hhmm(body) and (_RANGE_WORD_BEFORE.search(before)
                                   or _RANGE_WORD_AFTER.match(after)):  # 0800 to 2000
                return None
        opens_field = contact and not re.search(r"\w", sentence)
        if not cues and not opens_field:
            return None
    if cues and cues[-1].group().lower() in _SMS_CUES \
            and not _CALL_OR.search(sentence[:cues[-1].start()]):
        return "sms"
    return "tel"


def find_phone_numbers(text: str, before: str = "", *, contact: bool = False
                       ) -> list[PhoneMatch]:
    """The phone numbers in `text`, with their tel:/sms: URIs. `before` is the text that
    precedes it in the same paragraph (for a cue such as "call" in an earlier piece);
    `contact` says the text is a contact field, where a short number may stand alone."""
    found: list[PhoneMatch] = []
    pos = 0
    while (m := _CANDIDATE.search(text, pos)) is not None:
        start, end = m.span()
        pos = end
        # A trailing space-separated group that is really another token ("116 123 24/7",
        # "988 24 hours") is dropped, and the rest tried again.
        while True:
            after = text[end:]
            if not (_BAD_TAIL.match(after) or _UNIT.match(after)):
                break
            cut = max(text.rfind(" ", start, end), text.rfind("\u00a0", start, end))
            if cut <= start or not text[cut - 1].isdigit():
                end = start
                break
            end = cut
        if end == start:
            continue
        body = text[start:end]
        scheme = _classify(body, before + text[:start], text[end:], contact=contact)
        uri = tel_uri(body, scheme) if scheme else None
        if uri:
            found.append(PhoneMatch(start, end, uri))
    return found


def phone_links(text: str, *, contact: bool = False) -> Markup:
    """`text` escaped, with each phone number in it a link: "Call 0800 123 456, 24 hours a
    day" -> 'Call <a href="tel:0800123456">0800 123 456</a>, 24 hours a day'."""
    out = Markup()
    pos = 0
    for match in find_phone_numbers(text, contact=contact):
        out += escape(text[pos:match.start])
        out += Markup('<a href="{}">{}</a>').format(match.uri, text[match.start:match.end])
        pos = match.end
    return out + escape(text[pos:])
