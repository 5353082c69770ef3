"""Quiz banks that travel: every shipped bank, and banks hypothesis makes up, come back the
same after export to GIFT, Moodle XML and QTI and import again; multiple choice becomes
Moodle fractions that grade as we do."""

from __future__ import annotations

import io
import itertools
import string
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms_plugin.content.interchange import dump_quiz, warnings
from lms_plugin.content.interchange.gift import quiz_from_gift, read_gift, write_gift
from lms_plugin.content.interchange.items import (
    CannotExport,
    check_exportable,
    flatten,
    fractions,
    scoring_for,
)
from lms_plugin.content.interchange.moodle_xml import read_moodle_xml, write_moodle_xml
from lms_plugin.content.interchange.qti import QTI_NS, read_qti_zip, write_qti_zip
from lms_plugin.content.schema import (
    ItemShape,
    Option,
    Question,
    Quiz,
    register_item_shape,
    unregister_item_shape,
)
from lms_plugin.quiz.grading import grade_question

ROOT = Path(__file__).parents[3]
SHIPPED = sorted((ROOT / "quizzes").glob("*.yaml"))


def load(path: Path) -> Quiz:
    return Quiz.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def settings_of(quiz: Quiz) -> dict[str, Any]:
    return quiz.model_dump(exclude={"questions"})


def via_gift(quiz: Quiz) -> Quiz:
    return quiz_from_gift(read_gift(write_gift(quiz), quiz.id), quiz.id, None)


def via_moodle(quiz: Quiz) -> Quiz:
    questions = read_moodle_xml(write_moodle_xml(quiz))
    return Quiz.model_validate({**settings_of(quiz), "questions": questions})


def via_qti(quiz: Quiz) -> Quiz:
    title, questions = read_qti_zip(write_qti_zip(quiz))
    assert title == quiz.title
    return Quiz.model_validate({**settings_of(quiz), "questions": questions})


ROUTES = {"gift": via_gift, "moodle-xml": via_moodle, "qti": via_qti}


def test_there_are_shipped_banks() -> None:
    assert len(SHIPPED) >= 3


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_bank_round_trip(path: Path, route: str) -> None:
    quiz = load(path)
    assert any(q.type == "scenario" for q in quiz.questions)  # parts are exercised
    assert any(q.content_note for q in quiz.questions)  # and notes
    assert ROUTES[route](quiz) == quiz


def test_gift_keeps_the_quiz_settings_and_the_yaml_reads_back() -> None:
    quiz = load(ROOT / "quizzes" / "skills.yaml")
    quiz = quiz.model_copy(update={"time_limit_minutes": 25, "pass_mark": 70})
    bank = read_gift(write_gift(quiz), "elsewhere")
    back = quiz_from_gift(bank, quiz.id, None)
    assert back.time_limit_minutes == 25 and back.pass_mark == 70
    assert Quiz.model_validate(yaml.safe_load(dump_quiz(back))) == quiz


# --------------------------------------------------------------- banks hypothesis makes

# Words with every character the formats treat specially (GIFT's ~=#{}:\ and //, XML's
# <>&"', Markdown's *_[]) and some beyond ASCII.
WORD = st.text(alphabet=string.ascii_letters + string.digits + "~=#{}:\\/<>&\"'*_[]%.,?!-éü€",
               min_size=1, max_size=8)
LINE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
PARAGRAPH = st.lists(LINE, min_size=1, max_size=2).map("\n".join)
TEXT = st.lists(PARAGRAPH, min_size=1, max_size=3).map("\n\n".join)
SLUG = st.from_regex(r"[a-z0-9][a-z0-9-]{0,6}", fullmatch=True)


@st.composite
def options(draw: st.DrawFn, kind: str) -> list[dict[str, Any]]:
    if kind == "true_false":
        truth = draw(st.booleans())
        return [{"id": "true", "text": "True", "correct": truth, "feedback": draw(LINE)},
                {"id": "false", "text": "False", "correct": not truth, "feedback": draw(LINE)}]
    count = draw(st.integers(2, 6 if kind == "single" else 8))
    if draw(st.booleans()):
        ids = [chr(ord("a") + i) for i in range(count)]
    else:
        ids = draw(st.lists(SLUG, min_size=count, max_size=count, unique=True))
    if kind == "single":
        right = {draw(st.integers(0, count - 1))}
    else:
        right = set(draw(st.lists(st.integers(0, count - 1), min_size=1, unique=True)))
    return [{"id": ids[i], "text": draw(LINE), "correct": i in right, "feedback": draw(LINE)}
            for i in range(count)]


@st.composite
def choice(draw: st.DrawFn, question_id: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["single", "multiple", "true_false"]))
    data: dict[str, Any] = {"id": question_id, "type": kind, "prompt": draw(PARAGRAPH),
                            "options": draw(options(kind))}
    if kind == "multiple":
        # all_or_nothing is the default and comes back as such (no `scoring`).
        data["scoring"] = draw(st.sampled_from([None, "partial"]))
    return data


@st.composite
def question(draw: st.DrawFn, question_id: str) -> dict[str, Any]:
    note = draw(st.none() | LINE)
    if draw(st.integers(0, 3)) == 0:
        parts = [draw(choice(part_id))
                 for part_id in draw(st.lists(SLUG, min_size=2, max_size=5, unique=True))]
        data = {"id": question_id, "type": "scenario", "scenario": draw(TEXT),
                "prompt": draw(LINE), "parts": parts}
    else:
        data = draw(choice(question_id))
        scenario = draw(st.none() | TEXT)
        if scenario:
            data["scenario"] = scenario
    if note:
        data["content_note"] = note
    return data


@st.composite
def banks(draw: st.DrawFn) -> Quiz:
    ids = draw(st.lists(SLUG, min_size=1, max_size=6, unique=True))
    return Quiz.model_validate({
        "id": draw(SLUG), "module": draw(SLUG), "title": draw(LINE),
        "pass_mark": draw(st.integers(1, 100)), "questions_per_attempt": len(ids),
        "attempts_allowed": draw(st.integers(0, 5)),
        "time_limit_minutes": draw(st.none() | st.integers(1, 600)),
        "questions": [draw(question(i)) for i in ids]})


@pytest.mark.parametrize("route", sorted(ROUTES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quiz=banks())
def test_made_up_bank_round_trip(route: str, quiz: Quiz) -> None:
    assert ROUTES[route](quiz) == quiz


# --------------------------------------------------------------- fractions grade as we do


def multiple(right: int, wrong: int, scoring: str | None) -> Question:
    opts = [Option(id=f"o{i}", text=f"Option {i}", correct=i < right, feedback="Why.")
            for i in range(right + wrong)]
    return Question(id="q", type="multiple", prompt="Which?", scoring=scoring,  # type: ignore[arg-type]
                    options=opts)


@pytest.mark.parametrize(("right", "wrong"),
                         [(r, w) for r in range(1, 9) for w in range(0, 9 - r) if r + w >= 2])
def test_partial_credit_fractions_grade_every_choice_as_we_do(right: int, wrong: int) -> None:
    item_question = multiple(right, wrong, "partial")
    quiz = Quiz(id="x", module="x", title="X", questions_per_attempt=1,
                questions=[item_question])
    [item] = flatten(quiz)
    written = [float(a.get("fraction", "")) / 100
               for a in ET.fromstring(write_moodle_xml(quiz)).iter("answer")]  # noqa: S314
    assert written == pytest.approx(fractions(item), abs=1e-7)
    ids = [o.id for o in item.options]
    for size in range(len(ids) + 1):
        for ticked in itertools.combinations(range(len(ids)), size):
            # Moodle: the sum of the ticked options' fractions, kept within 0..1.
            moodle = min(1.0, max(0.0, sum(written[i] for i in ticked)))
            ours = grade_question(item_question, {"q": [ids[i] for i in ticked]}).score
            assert moodle == pytest.approx(ours, abs=1e-6), ticked


def test_fractions_are_moodles_own_values() -> None:
    """Moodle offers 100, 50, 33.33333, 25, 20, 16.66667, 14.28571 and 12.5 percent."""
    quiz = Quiz(id="x", module="x", title="X", questions_per_attempt=1,
                questions=[multiple(right, 1, "partial") for right in (3,)])
    gift = write_gift(quiz)
    assert "~%33.33333%" in gift and "~%-33.33333%" in gift


def test_all_or_nothing_goes_out_with_a_warning_and_comes_back() -> None:
    quiz = Quiz(id="x", module="x", title="X", questions_per_attempt=1,
                questions=[multiple(2, 2, "all_or_nothing")])
    back = quiz.model_copy(update={"questions": [multiple(2, 2, None)]})
    assert "~%-100%" in write_gift(quiz)
    assert "[tag:scoring:all-or-nothing]" in write_gift(quiz)
    assert warnings(quiz, "Moodle") == [
        "q: Moodle gives part marks on this multiple-choice question (right options earn a "
        "share, any wrong tick scores nothing); we mark it all or nothing"]
    assert via_gift(quiz) == back and via_moodle(quiz) == back and via_qti(quiz) == back


@pytest.mark.parametrize(("weights", "problem"), [
    ([0.5, 0.5, 0.0], "each wrong option must take away"),
    ([0.7, 0.3, -0.5], "must each earn an equal share"),
    ([0.0, -1.0], "no option earns any mark"),
])
def test_weights_we_cannot_grade_the_same_are_refused(weights: list[float],
                                                      problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        scoring_for(weights, [])


# --------------------------------------------------------------- what the files hold


def test_moodle_xml_has_what_moodle_reads() -> None:
    quiz = load(ROOT / "quizzes" / "awareness.yaml")
    root = ET.fromstring(write_moodle_xml(quiz))  # noqa: S314 - our own output
    questions = root.findall("question")
    assert questions[0].get("type") == "category"
    assert questions[0].findtext("category/text") == "$course$/top/Awareness quiz"
    items = flatten(quiz)
    assert [q.findtext("idnumber") for q in questions[1:]] == [i.id for i in items]
    by_id = {q.findtext("idnumber"): q for q in questions[1:]}
    scenario = next(q for q in quiz.questions if q.parts and q.content_note)
    assert scenario.parts is not None
    part = by_id[f"{scenario.id}/{scenario.parts[0].id}"]
    text = part.findtext("questiontext/text") or ""
    assert text.startswith(f"Content note: {scenario.content_note}\n\n{scenario.scenario}")
    assert float(part.findtext("defaultgrade") or 0) == pytest.approx(1 / len(scenario.parts))
    true_false = next(q for q in questions if q.get("type") == "truefalse")
    assert sorted(a.findtext("text") or "" for a in true_false.iter("answer")) == [
        "false", "true"]
    single = next(q for q in questions[1:] if q.findtext("single") == "true")
    assert sorted(a.get("fraction") for a in single.iter("answer")) == [
        "0"] * (len(single.findall("answer")) - 1) + ["100"]
    assert {t.findtext("text") for t in single.iter("tag")} >= {"quiz:awareness",
                                                                  "module:awareness"}


def test_qti_package_is_what_canvas_imports() -> None:
    quiz = load(ROOT / "quizzes" / "boundaries.yaml")
    with zipfile.ZipFile(io.BytesIO(write_qti_zip(quiz))) as archive:
        names = set(archive.namelist())
        manifest = archive.read("imsmanifest.xml").decode()
        assessment = ET.fromstring(archive.read("boundaries/boundaries.xml"))  # noqa: S314
    assert names == {"imsmanifest.xml", "boundaries/boundaries.xml",
                     "boundaries/assessment_meta.xml"}
    assert 'type="imsqti_xmlv1p2"' in manifest and 'href="boundaries/boundaries.xml"' in manifest
    ns = {"q": QTI_NS}
    items = assessment.findall(".//q:item", ns)
    assert [i.get("ident") for i in items] == [i.id for i in flatten(quiz)]
    types = {f.findtext("q:fieldentry", "", ns) for i in items
             for f in i.iterfind(".//q:qtimetadatafield", ns)
             if f.findtext("q:fieldlabel", "", ns) == "question_type"}
    assert types == {"multiple_choice_question", "multiple_answers_question",
                     "true_false_question"}
    answers = next(i for i in items if i.find(".//q:response_lid[@rcardinality='Multiple']",
                                              ns) is not None)
    scored = [c for c in answers.iterfind(".//q:respcondition", ns)
              if c.findtext("q:setvar", "", ns) == "100"]
    assert len(scored) == 1 and scored[0].find("q:conditionvar/q:and", ns) is not None


def test_texts_are_escaped_for_each_format() -> None:
    tricky = 'A {brace} ~tilde =equals #hash: colon \\ back <b>&amp;</b> // "q"'
    quiz = Quiz.model_validate({
        "id": "x", "module": "x", "title": "A/B quiz", "questions_per_attempt": 1,
        "questions": [{"id": "q", "type": "single", "prompt": tricky, "options": [
            {"id": "a", "text": tricky, "correct": True, "feedback": tricky},
            {"id": "b", "text": "%50% off", "correct": False, "feedback": "No."}]}]})
    gift = write_gift(quiz)
    assert "\\{brace\\} \\~tilde \\=equals \\#hash\\: colon \\\\ back" in gift
    assert "$CATEGORY: $course$/top/A//B quiz" in gift
    for route in ROUTES.values():
        assert route(quiz) == quiz


@pytest.mark.parametrize(("change", "problem"), [
    ({"text": "Yes"}, "show true/false options as True and False"),
    ({"feedback": "bell \x07"}, "a control character"),
])
def test_what_no_format_can_carry_is_refused_before_writing(change: dict[str, str],
                                                            problem: str) -> None:
    quiz = Quiz.model_validate({
        "id": "x", "module": "x", "title": "X", "questions_per_attempt": 1,
        "questions": [{"id": "q", "type": "true_false", "prompt": "Is it?", "options": [
            {"id": "true", "text": "True", "correct": True, "feedback": "Yes.", **change},
            {"id": "false", "text": "False", "correct": False, "feedback": "No."}]}]})
    with pytest.raises(CannotExport, match=problem):
        check_exportable(quiz)
    for writer in (write_gift, write_moodle_xml, write_qti_zip):
        with pytest.raises(CannotExport):
            writer(quiz)


def test_other_moodle_question_types_are_refused_by_name() -> None:
    xml = (b"<quiz><question type='essay'><name><text>Reflect</text></name>"
           b"<questiontext format='html'><text>Write</text></questiontext></question></quiz>")
    with pytest.raises(ValueError, match="Reflect: its type, essay, cannot be represented"):
        read_moodle_xml(xml)


def test_moodle_weights_we_cannot_grade_the_same_are_refused() -> None:
    quiz = Quiz(id="x", module="x", title="X", questions_per_attempt=1,
                questions=[multiple(2, 1, "partial")])
    xml = write_moodle_xml(quiz).replace(b'fraction="-50"', b'fraction="0"')
    with pytest.raises(ValueError, match="q: each wrong option must take away"):
        read_moodle_xml(xml)


def test_a_question_type_the_formats_cannot_carry_is_refused_by_name() -> None:
    """A type added to the quiz package (quiz/types) has no Moodle or Canvas form until
    someone writes one: export names the question instead of sending it as another type."""
    register_item_shape("ordering", ItemShape(lambda options, scoring: None))
    try:
        bank = load(SHIPPED[0])
        question = next(q for q in bank.questions if not q.parts)
        quiz = bank.model_copy(update={"questions": [
            question.model_copy(update={"id": "or-1", "type": "ordering"})]})
        with pytest.raises(CannotExport, match="or-1.*'ordering'"):
            flatten(quiz)
    finally:
        unregister_item_shape("ordering")
