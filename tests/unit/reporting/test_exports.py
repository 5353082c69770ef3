"""The CSV formula guard (issue 11, finding 11): a cell a spreadsheet could run as a
formula gets a leading quote, whatever hides the formula character (spaces, control
characters, full-width forms, a separator before it); every field is quoted; nothing is
lost on the way through a CSV reader."""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms_plugin.reporting.exports import csv_lines, spreadsheet_safe


def read(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)))


@pytest.mark.parametrize("text", [
    "=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "\n=1+1", " =1+1", "  \t+1",
    "＝1+1", "＋1", "－1", "＠SUM(A1)", "﹦1", "\u200b=1", "\ufeff=1", "\u3000=1",
    "a;=1+1", "a,=1+1", "a|=1", "a\n=1", "a; =1", "a；＝1", "Finance\t@x",
])
def test_formulas_however_hidden_get_a_leading_quote(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", [
    "Finance", "Not recorded", "2026-11-22", "81", "Listening well: best score", "a-b",
    "Q&A = fun", "e-mail", "", 55, 0, 80.5, "hidden", "a; b", "'=quoted already",
])
def test_ordinary_values_pass_unchanged(value):
    assert spreadsheet_safe(value) == value


def test_every_field_is_quoted_and_none_is_an_empty_cell():
    [line] = list(csv_lines([["=1+1", 55, None, "Finance"]]))
    assert line == '"\'=1+1","55","","Finance"\r\n'


# Characters that make formulas likely, plus anything at all.
TRICKY = st.sampled_from(list("=+-@\t\r\n ;,|'\"") + ["＝", "＋", "－", "＠", "﹦", "；", "，",
                                                    "\u200b", "\ufeff", "\u3000", "\x00"])
texts = st.text(alphabet=TRICKY | st.characters(), max_size=20)
FORMULA = set("=+-@")


def stripped(text: str) -> str:
    return "".join(itertools.dropwhile(
        lambda c: c.isspace() or unicodedata.category(c) in ("Cc", "Cf"), text))


def runnable(text: str) -> bool:
    """The spec, restated: a cell a spreadsheet could run, read from its start or from
    after any separator, once spaces and control characters are skipped and full-width
    forms folded."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    folded = unicodedata.normalize("NFKC", text)
    for fragment in [text, *re.split(r"[,;\t|\r\n]", folded)[1:]]:
        start = unicodedata.normalize("NFKC", stripped(fragment))[:1]
        if start in FORMULA:
            return True
    return False


@settings(max_examples=500, deadline=None)
@given(texts)
def test_a_cell_is_guarded_exactly_when_a_spreadsheet_could_run_it(text):
    safe = spreadsheet_safe(text)
    if runnable(text):
        assert safe == "'" + text
    else:
        assert safe == text


@settings(max_examples=300, deadline=None)
@given(st.lists(texts | st.integers() | st.none(), min_size=1, max_size=6))
def test_nothing_is_lost_and_every_field_is_quoted(row):
    [line] = list(csv_lines([row]))
    expected = ["" if v is None else str(spreadsheet_safe(v)) for v in row]
    assert line == '"' + '","'.join(v.replace('"', '""') for v in expected) + '"\r\n'
    assert list(csv.reader(io.StringIO(line))) == [expected]


@settings(max_examples=300, deadline=None)
@given(texts)
def test_a_guarded_cell_never_starts_a_formula(text):
    safe = spreadsheet_safe(text)
    assert stripped(unicodedata.normalize("NFKC", safe))[:1] not in FORMULA
    assert safe[:1] not in ("\t", "\r", "\n")
