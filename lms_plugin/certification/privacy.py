"""Refuse logged text that could identify the person supported. Pure.

Deliberately simple and explainable: it catches the obvious (email addresses, phone
numbers, @handles) and tells the trainee why; the form itself warns against names.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Seven or more digits, allowing spaces, dots, dashes and brackets between them, with an
# optional leading +: phone numbers in most formats, not dates or times.
PHONE = re.compile(r"(?<![\w/])\+?\(?\d(?:[\s().-]*\d){6,}(?![\w/])")
HANDLE = re.compile(r"(?<![\w@])@[A-Za-z][\w.]{2,}")


def find_identifiers(text: str) -> list[str]:
    """What in `text` looks like it identifies someone, described for the person typing."""
    found = []
    if EMAIL.search(text):
        found.append("an email address")
    if PHONE.search(text):
        found.append("a phone number")
    if HANDLE.search(EMAIL.sub(" ", text)):
        found.append("a social media or chat handle")
    return found
