"""Refuse logged text that could identify the person supported. Pure.

Deliberately simple and explainable: it catches email addresses, phone numbers, @handles,
and names or places, and tells the trainee what to change. A name or place is a word
written with a capital letter where a sentence does not start, unless it is a common
workplace word (days, months, languages, support services, tools) or an acronym. A name at
the very start of a sentence is missed: fewer false alarms matter more than catching every
case, and the form itself warns against names.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from ..i18n import N_

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Seven or more digits, allowing spaces, dots, dashes and brackets between them, with an
# optional leading +: phone numbers in most formats, not dates or times.
PHONE = re.compile(r"(?<![\w/])\+?\(?\d(?:[\s().-]*\d){6,}(?![\w/])")
HANDLE = re.compile(r"(?<![\w@])@[A-Za-z][\w.]{2,}")
# A word (letters, inner apostrophes or hyphens) and what comes before it.
WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:['’-][A-Za-zÀ-ÖØ-öø-ÿ]+)*")
SENTENCE_END = re.compile(r"(^|[.!?:;\n•*–—]|^\s*-|\n\s*-)[\s\"'“‘(\[]*$")

# Capitalised words that are not anyone's name or place, lower-cased.
_COMMON = """
i i'm i've i'd i'll i’m i’ve i’d i’ll ok okay
monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december
christmas easter ramadan eid diwali hanukkah passover new year bank holiday
english welsh scottish irish british polish spanish french german italian portuguese
urdu punjabi hindi bengali arabic mandarin cantonese sign language bsl asl
teams zoom slack outlook google meet microsoft whatsapp webex skype intranet internet
samaritans shout mind nhs eap hr gp ooh occupational health employee assistance
programme program wellbeing well-being mental health first aid aider aiders mhfa
line manager helpline crisis text lifeline covid covid-19 coronavirus
listening listener peer supporter supervisor supervision code conduct ethics
module quiz lesson training check-in role-play
"""
COMMON_WORDS = frozenset(_COMMON.split())


def find_names(text: str) -> list[str]:
    """Capitalised words that are not at the start of a sentence, not common workplace
    words and not acronyms: likely names of people or places, in order, each once."""
    found: dict[str, None] = {}
    for match in WORD.finditer(text):
        word = match.group()
        if not word[0].isupper() or word.isupper():  # lower case, or an acronym (EAP)
            continue
        if word.lower() in COMMON_WORDS:
            continue
        if SENTENCE_END.search(text[:match.start()]):
            continue
        found[word] = None
    return list(found)


def find_identifiers(text: str) -> list[str]:
    """What in `text` looks like it identifies someone, described for the person typing
    (in the request's language)."""
    found = []
    if EMAIL.search(text):
        found.append(gettext("an email address"))
    if PHONE.search(text):
        found.append(gettext("a phone number"))
    if HANDLE.search(EMAIL.sub(" ", text)):
        found.append(gettext("a social media or chat handle"))
    names = find_names(HANDLE.sub(" ", EMAIL.sub(" ", text)))
    if names:
        quoted = ", ".join(f"“{n}”" for n in names[:3])
        found.append(gettext("what looks like a name or place (%(names)s)", names=quoted))
    return found


ADVICE = N_("Write “a colleague” or “they” instead of a name, and “another site” or “their "
          "team” instead of a place; leave out email addresses, phone numbers and handles.")
