"""content validate's lesson checks on small made-up lessons: the reading grade of the
text a learner reads (Markdown stripped), honest minutes, and citations that resolve."""

from __future__ import annotations

from lms_plugin.content.lesson_checks import (
    DEFAULT_EXERCISE_MINUTES,
    MAX_GRADE,
    citation_problems,
    lesson_report,
    plain_text,
    readability_errors,
    time_errors,
)
from lms_plugin.content.loader import ContentBundle, Lesson, Module
from lms_plugin.content.schema import LessonFront, ModuleMeta, Source

PLAIN = ("Ask how they are. Listen to the answer. Give them time. " * 20).strip()
DENSE = ("Organisational psychological interventions systematically facilitate considerably "
         "more comprehensive, individualised rehabilitation opportunities for employees "
         "experiencing occupational difficulties. ") * 10


def lesson(body: str, minutes: int = 5, exercise: int | None = None,
           sources: tuple[str, ...] = (), path: str = "modules/m/lessons/01-a.md") -> Lesson:
    front = LessonFront(id="m-a", title="A", minutes=minutes, exercise_minutes=exercise,
                        objectives=["You will be able to listen"], sources=list(sources))
    return Lesson(1, "a", front, body, path)


def bundle(*lessons: Lesson, sources: tuple[str, ...] = ("who-pfa",),
           estimated: int | None = None) -> ContentBundle:
    meta = ModuleMeta(
        title="M", order=1, summary="S",
        estimated_minutes=estimated or sum(ls.meta.minutes for ls in lessons),
        sources=[Source(id=sid, title="T", publisher="P", year=2020, url="https://example.org")
                 for sid in sources])
    return ContentBundle(modules={"m": Module("m", meta, lessons, "v1")})


def test_plain_text_drops_markdown_links_and_citations_and_ends_each_block():
    text = plain_text("## Why ask\n\nAsk **directly** [@who-pfa]. See [the guide](https://x.org)"
                      "\n\n- first\nitem\n- second item\n\n"
                      "| A | B |\n| --- | --- |\n| one | two |\n")
    assert text.splitlines() == ["Why ask.", "Ask directly. See the guide.",
                                 "first item.", "second item.", "A.", "B.", "one.", "two."]
    assert "@" not in text and "https" not in text and "*" not in text


def test_a_plain_lesson_passes_and_a_dense_one_fails_the_grade():
    plain = lesson_report(lesson(PLAIN + "\n\n## Try it\n\nSay it out loud."))
    dense = lesson_report(lesson(DENSE + "\n\n## Try it\n\nSay it out loud.",
                                 path="modules/m/lessons/02-b.md"))
    assert plain.grade <= MAX_GRADE < dense.grade
    errors = readability_errors([plain, dense])
    assert [e.path for e in errors] == ["modules/m/lessons/02-b.md"]
    assert f"reads at grade {dense.grade:.1f}, above grade 9" in errors[0].message


def test_a_list_is_not_read_as_one_long_sentence():
    items = "\n".join(f"- ask how they are doing today at work {n}" for n in range(30))
    assert lesson_report(lesson(items)).grade <= MAX_GRADE


def test_minutes_are_words_at_200_a_minute_plus_exercises():
    words = " ".join(["word"] * 600) + "."
    report = lesson_report(lesson(words + "\n\n## Try it\n\nDo it."))
    assert report.exercise == DEFAULT_EXERCISE_MINUTES
    # 600 words, "Try it" and "Do it": 604 words.
    assert report.words == 604 and round(report.estimate, 2) == round(604 / 200 + 5, 2)
    declared = lesson_report(lesson(words, exercise=12))
    assert declared.exercise == 12 and declared.estimate == 15


def test_time_fails_beyond_a_quarter_either_way_and_checks_the_module():
    body = " ".join(["word"] * 400) + ".\n\n## Try it\n\nDo it."  # 2 + 5 = 7 minutes
    fine, slow, fast = (lesson(body, minutes=m, path=f"modules/m/lessons/0{m}-x.md")
                        for m in (8, 10, 5))
    content = bundle(fine, slow, fast)
    errors = time_errors(content, [lesson_report(x) for x in (fine, slow, fast)])
    assert [e.path for e in errors] == [slow.path, fast.path]
    assert "minutes: 10 is more than 25% away from the estimate of 7.0" in errors[0].message
    off = bundle(fine, estimated=30)
    module_errors = time_errors(off, [lesson_report(fine)])
    assert module_errors[0].path == "modules/m/module.yaml"
    assert "estimated_minutes: 30 is more than 25% away from its lessons' 8" in (
        module_errors[0].message)


def test_unknown_citations_fail_and_unused_sources_warn():
    cites = lesson("A fact [@who-pfa]. Another [@nowhere], and [@nowhere] again.")
    errors, warnings = citation_problems(bundle(cites, sources=("who-pfa", "spare")))
    assert [e.message for e in errors] == [
        "cites [@nowhere], which modules/m/module.yaml does not list under sources"]
    assert [w.message for w in warnings] == [
        "warning: source 'spare' is not cited or listed by any lesson"]
    listed = lesson("No citation here.", sources=("spare",))
    assert citation_problems(bundle(cites, listed, sources=("who-pfa", "spare")))[1] == []
