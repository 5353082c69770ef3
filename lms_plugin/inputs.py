"""Bounds on what any request may carry, checked before a view or the database sees it.

- `<int:...>` in every URL rule is 1..MAX_ID: a larger number overflows an integer column
  (PostgreSQL: 2**31 - 1; SQLite: 2**63 - 1) and would fail inside the query, not as a 404.
- `parse_id` is the same rule for ids typed into a query string (`?course=`); str.isdigit
  accepts "²", which int() refuses, and int() accepts "١", which is no id of ours.
- No NUL anywhere in a path, query string or form: PostgreSQL text cannot hold one, so it
  would fail at the first query that carries it (a 400 here instead).
- Request bodies are capped (`MAX_CONTENT_LENGTH`, 413): nothing the tool takes is large.
- `control_characters` tells forms which text to refuse (see certification/forms.py).
- `require_form_token`: a one-button form (enrol, sign, withdraw, ...) carries this
  session's CSRF token, else a 400 that says to reload (`FORM_EXPIRED`).

The rules are pure functions; `init_app` wires them in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from flask import Flask, abort, request
from flask_babel import format_decimal, gettext, lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # every id column is an integer (PostgreSQL int4)
MAX_BODY_BYTES = 1024 * 1024  # an id_token with 1,000 mentees is ~50 KB
KEPT_CONTROLS = frozenset("\t\n\r")  # line breaks and tabs are ordinary in typed text


class IdConverter(IntegerConverter):
    """`<int:...>`, app-wide: ASCII digits within 1..MAX_ID, else the rule does not match
    (a 404), so no view ever queries with an id that cannot exist."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


FORM_EXPIRED = lazy_gettext("The form has expired; reload the page and try again.")


def require_form_token() -> None:
    """A POST whose only field is the session's CSRF token: without a valid one, a 400."""
    if not FlaskForm().validate_on_submit():
        abort(400, description=FORM_EXPIRED)


def parse_id(text: str) -> int | None:
    """An id from a query string: plain ASCII digits within 1..MAX_ID, else None."""
    if not text or len(text) > len(str(MAX_ID)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def is_control(char: str) -> bool:
    """C0 and C1 controls and DEL (Unicode category Cc), and lone surrogates (Cs), which
    no database encoding can store."""
    return unicodedata.category(char) in ("Cc", "Cs")


def control_characters(text: str, kept: Iterable[str] = KEPT_CONTROLS) -> list[str]:
    """The control characters in `text` other than `kept`, in order, each once."""
    allowed = set(kept)
    return list(dict.fromkeys(c for c in text if c not in allowed and is_control(c)))


def has_nul(values: Iterable[str]) -> bool:
    return any("\x00" in value for value in values)


def _request_text() -> Iterable[str]:
    yield request.path
    # A GET or HEAD without a body has no form to parse (most requests: no parser made)
    bodiless = request.method in ("GET", "HEAD") and not request.content_length
    for source in (request.args,) if bodiless else (request.args, request.form):
        for key, value in source.items(multi=True):
            yield key
            yield value


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: rules bind their converters when added."""
    app.url_map.converters["int"] = IdConverter
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.before_request
    def refuse_nul() -> None:
        limit = app.config["MAX_CONTENT_LENGTH"]
        if limit and (request.content_length or 0) > limit:
            abort(413, description=gettext(
                "This request is larger than the %(size)s KiB this tool accepts.",
                size=format_decimal(limit // 1024)))
        # Reading the form here also applies the limit to a body of unannounced length.
        if has_nul(_request_text()):
            abort(400, description=gettext(
                "This request contains a NUL character (a control character), which this "
                "tool never accepts. Remove it and try again."))
