"""CSV for spreadsheets, safely: the one way every export writes a cell (CSV injection,
OWASP). Pure: no Flask, no database.

A spreadsheet runs a cell as a formula when it starts with `=`, `+`, `-` or `@` (tab and
CR/LF start some too), also after leading spaces or control characters, and also in
their full-width forms (`＝1+1`), which some spreadsheets fold to the ASCII ones. Such a
cell gets a leading `'`, which spreadsheets read as "this is text".

A separator followed by a formula character (`a;=1+1`, `a,=1+1`, `a|@SUM(1)`, a line
break then `=`): every field is quoted, so a reader that follows RFC 4180 keeps the cell
whole; a spreadsheet that splits on its own locale's separator (`;` in much of Europe)
could start a cell at `=1+1`. As OWASP advises, such a cell is quote-prefixed too. This
does not stop a reader that ignores quoting from splitting it; nothing inside one cell can.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = frozenset("=+-@")
LINE_STARTS = frozenset("\t\r\n")  # a cell starting with one of these is guarded as is
SEPARATORS = frozenset(",;\t|\r\n")
# Plain text, the common case (a name, a department, a date, a score): ASCII that starts
# with a letter or digit (neither junk nor a formula character, and NFKC leaves ASCII as
# it is) and has no separator after which a formula could start.
PLAIN = re.compile(r"[A-Za-z0-9][^,;\t|\r\n]*")
LINES_PER_CHUNK = 200  # rows written per piece of the response: few pieces, bounded size


def _leading_junk(char: str) -> bool:
    """Whitespace or an invisible control/format character (BOM, zero-width space...)."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def _starts_formula(text: str) -> bool:
    """True when, after leading whitespace and control characters, the text starts with
    a formula character (NFKC folds full-width and small forms to the ASCII ones)."""
    for i, char in enumerate(text):
        if not _leading_junk(char):
            return unicodedata.normalize("NFKC", text[i:i + 8])[:1] in FORMULA_STARTS
    return False


def needs_guard(text: str) -> bool:
    if not text or (text.isascii() and PLAIN.fullmatch(text)):
        return False
    if text[0] in LINE_STARTS or _starts_formula(text):
        return True
    if text.isascii() and not any(separator in text for separator in SEPARATORS):
        return False  # the common case, quickly (people.csv has a cell per person and column)
    folded = unicodedata.normalize("NFKC", text)
    return any(char in SEPARATORS and _starts_formula(folded[i + 1:])
               for i, char in enumerate(folded))


def spreadsheet_safe(value: Any) -> Any:
    """The value to write into a cell: text that a spreadsheet could run gets a leading
    `'`; anything else (numbers included) is unchanged."""
    if isinstance(value, str) and needs_guard(value):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The rows as CSV lines, every field quoted and guarded; None is an empty cell. Up
    to LINES_PER_CHUNK lines per piece, so a long export is streamed in pieces of a
    bounded size, not one per line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    written = 0
    for row in rows:
        writer.writerow(["" if v is None else "'" + v if isinstance(v, str) and needs_guard(v)
                         else v for v in row])
        written += 1
        if written == LINES_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            written = 0
    if written:
        yield buffer.getvalue()
