"""`lms-plugin content validate` on the shipped content and on broken files: each message
names the file, the line where it can, and what is wrong. A broken sync changes nothing."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from lms_plugin.content.lesson_checks import MAX_GRADE, citation_problems, lesson_reports
from lms_plugin.content.loader import load_content
from lms_plugin.content.models import ContentVersion
from lms_plugin.extensions import db
from lms_plugin.quiz.validity import bank_report
from tests.conftest import SAMPLE_CONTENT

ROOT = Path(__file__).parents[2]
QUIZ = "quizzes/listening.yaml"
MODULE = "modules/listening/module.yaml"
LESSON = "modules/listening/lessons/01-open-questions.md"


def edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        file = root / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new, 1))
    return apply


def write(path: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / path).write_text(text)


PROGRAMME = "certifications/listener.yaml"
BIBLIOGRAPHY = "modules/sources.yaml"
PFA_ENTRY = ("sources:\n  - id: who-pfa-2011\n    title: \"Psychological first aid\"\n"
             "    publisher: \"World Health Organization\"\n    year: 2011\n"
             "    url: \"https://www.who.int/publications/i/item/9789241548205\"\n")
ROLEPLAY = """id: opening
title: "Opening a conversation"
minutes: 10
setting: "A colleague has been quiet for weeks."
colleague_brief: "You play the colleague. Start guarded."
colleague_lines: ["I'm fine.", "Well, it has been a rough month."]
supporter_task: "Start the conversation and listen."
rubric:
  - {id: private, criterion: "Finds a private moment", competent: "Checks it is a good time."}
  - {id: asks-twice, criterion: "Asks twice", competent: "A second, sincere chance."}
  - {id: listens, criterion: "Listens", competent: "Open questions and reflections."}
"""


def add_roleplay(root: Path, name: str, text: str) -> None:
    (root / "roleplays").mkdir(exist_ok=True)
    (root / "roleplays" / f"{name}.yaml").write_text(text)


def by_id(root: Path, *ids: str) -> None:
    """module.yaml's sources as ids of the bibliography (its sources block is last)."""
    text = (root / MODULE).read_text()
    (root / MODULE).write_text(text[:text.index("sources:")] + "sources:\n"
                               + "".join(f"  - {i}\n" for i in ids))


def add_module(slug: str, audience: str, refresher: bool = False) -> Callable[[Path], None]:
    """A second module, copied from the sample one, for another audience."""
    def apply(root: Path) -> None:
        (root / "modules" / slug / "lessons").mkdir(parents=True)
        (root / "modules" / slug / "module.yaml").write_text(
            (root / MODULE).read_text().replace("order: 1", f"order: 2\naudience: {audience}"
                                                f"\nrefresher: {str(refresher).lower()}")
            .replace("  quiz: listening\n", ""))
        (root / "modules" / slug / "lessons" / "01-only.md").write_text(
            (root / LESSON).read_text().replace("id: listening-", f"id: {slug}-"))
    return apply


BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "unknown key": (edit(MODULE, "order: 1", "order: 1\ncolour: blue"),
                    f"{MODULE}:3: colour: Extra inputs are not permitted"),
    "two correct answers to a single-choice question": (
        edit(QUIZ, 'text: "Are you OK?", correct: false', 'text: "Are you OK?", correct: true'),
        f"{QUIZ}:9: questions[0]: a single-choice question needs exactly one correct option, "
        "not 2"),
    "true/false with other ids": (
        edit(QUIZ, '{id: "true", text: "True", correct: false, feedback: "Research',
             '{id: "yes", text: "True", correct: false, feedback: "Research'),
        'questions[2]: a true/false question has exactly two options, ids "true" and "false"'),
    "option without feedback": (
        edit(QUIZ, ', feedback: "This leads them to one answer."', ""),
        f"{QUIZ}:16: questions[0].options[2].feedback: Field required"),
    "bad id": (edit(QUIZ, "id: q-signs", "id: Q Signs"),
               f"{QUIZ}:17: questions[1].id: String should match pattern"),
    "more questions per attempt than the bank holds": (
        edit(QUIZ, "questions_per_attempt: 4", "questions_per_attempt: 9"),
        "questions_per_attempt (9) is more than the 4 questions in the bank"),
    "quiz for a module that does not exist": (
        edit(QUIZ, "module: listening", "module: nowhere"), "module 'nowhere' does not exist"),
    "YAML that does not parse": (
        edit(QUIZ, "pass_mark: 80", "pass_mark: [80"), f"{QUIZ}:"),
    "lesson without front matter": (
        write(LESSON, "Just text.\n\n## Try it\n\nSomething."),
        f"{LESSON}:1: a lesson starts with YAML front matter"),
    "lesson front matter error, with its line": (
        edit(LESSON, "minutes: 5", "minutes: none"),
        f"{LESSON}:4: minutes: Input should be a valid integer"),
    "lesson without a try-it exercise": (edit(LESSON, "## Try it", "## Practise"),
                                         '"## Try it" exercise'),
    "lesson citing an unknown source": (edit(LESSON, "sources: [who-pfa-2011]", "sources: [nope]"),
                                        "source 'nope' is not listed in module.yaml"),
    "two lessons with one number": (
        lambda root: shutil.copy(root / LESSON,
                                 root / "modules/listening/lessons/01-copy.md"),
        "two lessons are numbered 01"),
    "duplicate lesson id": (
        lambda root: shutil.copy(root / LESSON,
                                 root / "modules/listening/lessons/03-copy.md"),
        "lesson id 'listening-open-questions' is also used by"),
    "badly named lesson file": (
        lambda root: shutil.copy(root / LESSON, root / "modules/listening/lessons/three.md"),
        "lesson files are named NN-<slug>.md"),
    "question about suicide without a content note": (
        edit(QUIZ, '    content_note: "This question is about asking someone whether they are '
             'thinking about suicide."\n', ""),
        f"{QUIZ}: question q-tf: mentions 'suicide' but has no content_note"),
    "lesson about a death without a content note": (
        edit(LESSON, "Open questions invite people to say more.",
             "After a colleague died, open questions invite people to say more."),
        f"{LESSON}: mentions 'died' but has no content_note"),
    "quiz whose keys are the longest options": (
        lambda root: [edit(QUIZ, old, old + text)(root) for old, text in (
            ('"How have things been for you lately?', " I'm here to listen, whenever."),
            ('"Gently say you noticed and ask how they are.',
             " Somewhere private, with time to listen."))],
        f"{QUIZ}: test-taking tricks pass too often: longest option passes"),
    "lesson above reading grade 9": (
        edit(LESSON, "Open questions invite people to say more.",
             "Open-ended interrogatives characteristically facilitate considerably more "
             "comprehensive, self-determined elaboration of interpersonal circumstances by "
             "individuals experiencing psychological difficulties."),
        f"{LESSON}: reads at grade "),
    "lesson minutes far from its words and exercises": (
        edit(LESSON, "minutes: 5", "minutes: 15"),
        f"{LESSON}: minutes: 15 is more than 25% away from the estimate of 5.2"),
    "exercise minutes that do not add up": (
        edit(LESSON, "minutes: 5", "minutes: 5\nexercise_minutes: 20"),
        f"{LESSON}: minutes: 5 is more than 25% away from the estimate of 20.2"),
    "module minutes far from its lessons'": (
        edit(MODULE, "estimated_minutes: 10", "estimated_minutes: 60"),
        f"{MODULE}: estimated_minutes: 60 is more than 25% away from its lessons' 10 minutes"),
    "citation of a source the module does not list": (
        edit(LESSON, "Open questions invite people to say more.",
             "Open questions invite people to say more [@who-2099]."),
        f"{LESSON}: cites [@who-2099], which modules/listening/module.yaml does not list"),
    "a module whose completion quiz belongs to another module": (
        lambda root: (
            (root / "modules" / "pausing" / "lessons").mkdir(parents=True),
            (root / "modules" / "pausing" / "module.yaml").write_text(
                (root / MODULE).read_text().replace("order: 1", "order: 2")),
            (root / "modules" / "pausing" / "lessons" / "01-only.md").write_text(
                (root / LESSON).read_text().replace("id: listening-", "id: pausing-")),
        ),
        "modules/pausing/module.yaml: completion.quiz 'listening' is the quiz of module "
        "'listening' (its `module:`), not of this one"),
    "a module for an audience that does not exist": (
        edit(MODULE, "order: 1", "order: 1\naudience: managers"),
        f"{MODULE}:3: audience: Input should be 'everyone' or 'peer_supporters'"),
    "a lesson for another audience than its module's": (
        edit(LESSON, "minutes: 5", "minutes: 5\naudience: peer_supporters"),
        f"{LESSON}: audience: peer_supporters is not its module's (everyone)"),
    "a lesson for everyone that addresses a peer supporter": (
        edit(LESSON, "Open questions invite people to say more.",
             "Open questions invite people to say more. Then talk to your supervisor."),
        f"{LESSON}: is for everyone but says 'your supervisor', which only fits peer "
        "supporters"),
    "a quiz item for everyone that tests logging supervised hours": (
        edit(QUIZ, '"How have things been for you lately?',
             '"How have things been for you lately? Log your supervised hours after.'),
        f"{QUIZ}: question q-open: is for everyone but says 'log your supervised hours', "
        "which only fits peer supporters"),
    "a refresher for everyone": (
        add_module("again", "everyone", refresher=True),
        "modules/again/module.yaml: a refresher module is for peer_supporters (renewal)"),
    "a peer-supporter module the certification does not require": (
        add_module("deeper", "peer_supporters"),
        f"{PROGRAMME}: module 'deeper' (peer_supporters) is on the peer-supporter path but "
        "not in required_modules"),
    "a source id that is not in the bibliography": (
        lambda root: (write(BIBLIOGRAPHY, PFA_ENTRY)(root), by_id(root, "nope")),
        f"{MODULE}: source 'nope' is not in modules/sources.yaml"),
    "a source written out in full that the bibliography holds": (
        write(BIBLIOGRAPHY, PFA_ENTRY),
        f"{MODULE}: source 'who-pfa-2011' is in modules/sources.yaml: list it by its id only"),
    "an observed skills check naming a role-play with no script": (
        edit(PROGRAMME, "attestations:", "observed_practice:\n  competent_roleplays: 1\n"
             "  roleplays: [nowhere]\nattestations:"),
        f"{PROGRAMME}: observed_practice: role-play 'nowhere' has no roleplays/nowhere.yaml"),
    "a role-play about suicide without a content note": (
        lambda root: add_roleplay(root, "opening", ROLEPLAY.replace(
            "has been quiet for weeks", "has been thinking about suicide")),
        "roleplays/opening.yaml: mentions 'suicide' but has no content_note"),
    "a role-play whose rubric is too short": (
        lambda root: add_roleplay(root, "opening", ROLEPLAY.split("  - {id: asks-twice")[0]),
        "roleplays/opening.yaml:9: rubric: List should have at least 3 items"),
    "a role-play whose id is not its file name": (
        lambda root: add_roleplay(root, "other", ROLEPLAY),
        "roleplays/other.yaml:1: id 'opening' must match the file name"),
    "completion quiz missing": (
        lambda root: (root / QUIZ).unlink(),
        "completion.quiz 'listening' has no quizzes/listening.yaml"),
}


@pytest.fixture
def broken_root(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, root)
    return root


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_each_broken_file_is_named_with_what_is_wrong(broken_root, runner, case):
    breaker, expected = BROKEN[case]
    breaker(broken_root)
    result = runner.invoke(args=["content", "validate", "--root", str(broken_root)])
    assert result.exit_code != 0
    assert expected in result.output, result.output
    assert "nothing was changed" in result.output


def test_sample_content_is_valid(runner):
    result = runner.invoke(args=["content", "validate", "--root", str(SAMPLE_CONTENT)])
    assert result.exit_code == 0, result.output
    assert "1 modules, 2 lessons, 1 quizzes, 4 questions" in result.output
    # The figures are printed for every bank, passing or not.
    assert "quiz listening: simulated passes (2000 tries each, limit 5%): longest option" in (
        result.output)
    assert "true/false keys 1 True, 1 False" in result.output


def test_shipped_content_is_valid(runner):
    result = runner.invoke(args=["content", "validate", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output
    # The reading grade and the time of every lesson are printed.
    assert re.search(r"modules/skills/lessons/04-asking-about-suicide\.md: grade \d+\.\d, "
                     r"\d+ words, [\d.]+ min reading \+ 8 min exercises = [\d.]+ min "
                     r"\(declared 12\)", result.output), result.output


def test_modules_cite_the_shared_bibliography_by_id(runner, broken_root):
    write(BIBLIOGRAPHY, PFA_ENTRY + "  - id: spare\n    title: \"Spare\"\n"
          "    publisher: \"Someone\"\n    year: 2024\n    url: \"https://example.org/\"\n")(
        broken_root)
    by_id(broken_root, "who-pfa-2011")
    result = runner.invoke(args=["content", "validate", "--root", str(broken_root)])
    assert result.exit_code == 0, result.output
    assert "2 sources" in result.output
    # An entry no module lists is reported, without failing.
    assert f"{BIBLIOGRAPHY}: warning: source 'spare' is listed by no module" in result.output
    bundle, errors = load_content(broken_root)
    assert not errors
    source = bundle.modules["listening"].meta.sources[0]
    assert (source.id, source.title) == ("who-pfa-2011", "Psychological first aid")


def test_a_role_play_and_the_observed_skills_check_load(runner, broken_root):
    (broken_root / "roleplays").mkdir()
    write("roleplays/opening.yaml", ROLEPLAY)(broken_root)
    edit(PROGRAMME, "attestations:", "observed_practice:\n  competent_roleplays: 1\n"
         "  roleplays: [opening]\nattestations:")(broken_root)
    result = runner.invoke(args=["content", "validate", "--root", str(broken_root)])
    assert result.exit_code == 0, result.output
    assert "1 role-plays" in result.output
    bundle, _ = load_content(broken_root)
    rubric = bundle.roleplays["opening"].document.rubric
    assert [c.id for c in rubric] == ["private", "asks-twice", "listens"]
    observed = bundle.programmes["listener"].document.observed_practice
    assert observed is not None and observed.roleplays == ["opening"]


def test_shipped_paths_put_peer_supporter_material_on_the_supporter_path():
    bundle, errors = load_content(ROOT)
    assert not errors
    audience = {slug: (m.meta.audience, m.meta.refresher) for slug, m in bundle.modules.items()}
    assert audience["awareness"] == ("everyone", False)
    assert audience["supporting-a-colleague"] == ("everyone", False)
    for slug in ("skills", "boundaries", "peer-role"):
        assert audience[slug] == ("peer_supporters", False), slug
    assert audience["refresher"] == ("peer_supporters", True)
    # Logging supervised hours is tested only in a bank for peer supporters.
    for slug, content in bundle.quizzes.items():
        if "supervised" in str(content.document.model_dump()).lower():
            assert bundle.modules[content.document.module].meta.audience == "peer_supporters", slug
    # Awareness lessons 01-03 address any employee, not a peer supporter.
    for lesson in bundle.modules["awareness"].lessons[:3]:
        assert "as a peer supporter" not in lesson.body.lower(), lesson.path
    # The peer-supporter certification requires the whole path and two observed role-plays.
    peer = bundle.programmes["peer-supporter"].document
    on_path = {s for s, m in bundle.modules.items() if not m.meta.refresher}
    assert {r.module for r in peer.required_modules} == on_path
    assert peer.observed_practice is not None
    assert peer.observed_practice.competent_roleplays == 2
    assert set(peer.observed_practice.roleplays) <= set(bundle.roleplays)
    # Every module cites the shared bibliography: one entry per id, nothing written twice.
    assert set(bundle.bibliography) >= {s.id for m in bundle.modules.values()
                                        for s in m.meta.sources}


def test_shipped_crisis_options_for_deaf_colleagues_are_right():
    bundle, _ = load_content(ROOT)
    lessons = {lesson.meta.id: lesson.body for m in bundle.modules.values()
               for lesson in m.lessons}
    for lesson_id in ("supporting-in-an-emergency", "peer-role-accessibility-and-language"):
        body = " ".join(lessons[lesson_id].split())
        assert "dial 711 then 988" in body, lesson_id  # TTY through relay
        assert "American Sign Language by videophone" in body, lesson_id
        assert "[@lifeline-988-deaf]" in body, lesson_id


def test_a_source_no_lesson_uses_is_a_warning_only(runner, broken_root):
    edit(MODULE, "sources:\n", "sources:\n  - id: unused-guide\n    title: \"A guide\"\n"
         "    publisher: \"Someone\"\n    year: 2024\n    url: \"https://example.org/\"\n")(
        broken_root)
    result = runner.invoke(args=["content", "validate", "--root", str(broken_root)])
    assert result.exit_code == 0, result.output
    assert f"{MODULE}: warning: source 'unused-guide' is not cited or listed" in result.output


def test_every_lesson_reads_at_grade_9_or_below_and_states_honest_minutes():
    bundle, _ = load_content(ROOT)
    reports = lesson_reports(bundle)
    assert len(reports) == sum(len(m.lessons) for m in bundle.modules.values())
    for report in reports:
        assert report.grade <= MAX_GRADE, report.line()
        assert abs(report.declared - report.estimate) <= 0.25 * report.estimate, report.line()


def test_shipped_citations_resolve_and_the_crisis_lessons_cite_their_facts():
    bundle, _ = load_content(ROOT)
    errors, warnings = citation_problems(bundle)
    assert not errors and not warnings, (errors, warnings)
    skills = {lesson.meta.id: lesson for lesson in bundle.modules["skills"].lessons}
    for lesson_id in ("skills-self-harm", "skills-panic-attacks",
                      "skills-unusual-beliefs-and-experiences",
                      "skills-alcohol-drugs-and-overdose", "skills-aggression",
                      "skills-domestic-abuse", "skills-after-a-suicide"):
        lesson = skills[lesson_id]
        assert "[@" in lesson.body and "**Scenario.**" in lesson.body, lesson_id
    # Figures carry a citation, in the lessons that state them.
    for module in bundle.modules.values():
        for lesson in module.lessons:
            for paragraph in lesson.body.split("\n\n"):
                if re.search(r"\d+%|\bbillion\b|\btrillion\b|\b1 in \d", paragraph):
                    assert "[@" in paragraph, (lesson.path, paragraph)


def test_shipped_content_meets_the_programme_brief():
    bundle, errors = load_content(ROOT)
    assert not errors
    assert {"awareness", "skills", "boundaries"} <= set(bundle.modules)
    for slug in ("awareness", "skills", "boundaries"):
        module = bundle.modules[slug]
        words = sum(len(lesson.body.split()) for lesson in module.lessons)
        assert len(module.lessons) >= 5, slug
        assert words >= 2200, (slug, words)
        assert module.meta.sources, slug
        quiz = bundle.quizzes[slug].document
        assert len(quiz.questions) >= 15, slug
        kinds = {q.type for q in quiz.questions}
        assert kinds == {"single", "multiple", "true_false", "scenario"}, (slug, kinds)
        scenario_based = sum(1 for q in quiz.questions if q.scenario)
        assert scenario_based > len(quiz.questions) / 2, (slug, scenario_based)
        for lesson in module.lessons:
            body = lesson.body.lower()
            assert "committed suicide" not in body.replace('not "committed suicide"', ""), (
                lesson.path)
            # One English: international plain words, not regional idioms.
            for idiom in ("signpost", " rota", "fancy a", "tell them off", " gp"):
                assert idiom not in body, (lesson.path, idiom)


def test_shipped_banks_resist_test_taking_tricks():
    bundle, _ = load_content(ROOT)
    for slug, content in bundle.quizzes.items():
        report = bank_report(content.document, attempts=500)
        assert max(report.pass_rates.values()) <= 0.02, (slug, report.pass_rates)
        assert report.key_longest <= report.chance_longest + 1, (slug, report.lines())
        assert report.key_shortest <= report.chance_longest + 1, (slug, report.lines())
        assert abs(report.true_keys - report.false_keys) <= 1, (slug, report.lines())


def _item(quiz, question_id: str, part_id: str | None = None):
    question = next(q for q in quiz.questions if q.id == question_id)
    return next(p for p in question.parts if p.id == part_id) if part_id else question


def _keys(item) -> list[str]:
    return [o.text for o in item.options if o.correct]


def test_the_worst_items_stay_fixed():
    bundle, _ = load_content(ROOT)
    awareness, skills, boundaries = (bundle.quizzes[s].document
                                     for s in ("awareness", "skills", "boundaries"))
    # "Is everything all right?" is a fine opener; asking twice follows it.
    assert '"Is everything all right?"' in _keys(_item(skills, "sk-q02"))
    # A fair answer to the compassion-fatigue item earns credit.
    assert _item(boundaries, "bd-q15").scoring == "partial"
    # Aisha's exhaustion is not labelled burnout; no "no immediate risk" for her mistakes.
    aisha = _item(awareness, "aw-q16", "p1")
    assert not any("burnout" in text.lower() for text in _keys(aisha))
    assert "no immediate risk" not in str(_item(awareness, "aw-q16").model_dump())
    # HR runs Jo's disciplinary, so HR is not the route offered; helping Jo use the right
    # route, with consent, is the peer's part.
    jo = _keys(_item(boundaries, "bd-q17"))[0]
    assert "HR" not in jo and "agreement" in jo
    # "Ending my life tonight" is an emergency whatever she replies.
    dana = _keys(_item(awareness, "aw-q18", "p1"))[0]
    assert "emergency number now" in dana and " if " not in dana
    # The plan-and-means and remote-emergency answers have a lesson behind them.
    lesson = next(lesson for lesson in bundle.modules["skills"].lessons
                  if lesson.meta.id == "skills-asking-about-suicide")
    for words in ("Have you made a plan?", "Make things safer together",
                  "When they are not with you", "Find out where they are"):
        assert words in lesson.body, words
    # Everyone takes awareness: its feedback does not send staff to "your supervisor".
    assert "supervisor" not in str(awareness.model_dump()).lower()


def test_broken_sync_keeps_the_last_good_version_serving(app, runner, broken_root):
    ok = runner.invoke(args=["content", "sync", "--root", str(SAMPLE_CONTENT)])
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        before = {(v.kind, v.slug, v.version) for v in db.session.scalars(
            select(ContentVersion).where(ContentVersion.is_current))}
    BROKEN["two correct answers to a single-choice question"][0](broken_root)
    result = runner.invoke(args=["content", "sync", "--root", str(broken_root)])
    assert result.exit_code != 0
    assert "the version already live keeps serving" in result.output
    with app.app_context():
        after = {(v.kind, v.slug, v.version) for v in db.session.scalars(
            select(ContentVersion).where(ContentVersion.is_current))}
    assert after == before and len(before) == 3


def test_sync_records_a_new_version_only_when_content_changes(app, runner, broken_root):
    assert runner.invoke(args=["content", "sync", "--root", str(broken_root)]).exit_code == 0
    again = runner.invoke(args=["content", "sync", "--root", str(broken_root)])
    assert "3 unchanged" in again.output
    edit(QUIZ, "title: \"Listening quiz\"", "title: \"Listening check\"")(broken_root)
    changed = runner.invoke(args=["content", "sync", "--root", str(broken_root)])
    assert "now serving quiz listening" in changed.output
    with app.app_context():
        versions = db.session.scalars(
            select(ContentVersion).where(ContentVersion.slug == "listening",
                                         ContentVersion.kind == "quiz")).all()
        assert len(versions) == 2 and sum(v.is_current for v in versions) == 1
