"""Reading GIFT written elsewhere: what our banks can hold comes in; anything else is
refused with the line it is on."""

from __future__ import annotations

import pytest

from lms_plugin.content.interchange.gift import GiftFormatError, quiz_from_gift, read_gift

MOODLE_STYLE = """\
// A bank written by hand, in the style of Moodle's GIFT documentation.
$CATEGORY: $course$/top/Peer support//listening

::Open questions::Which question invites a colleague to say more?{
=How has this week been for you?#Open: it leaves room for any answer.
~Are you OK?#Closed: "yes" ends the conversation.
~You're fine, aren't you?#Leading: it tells them what to answer.
}

// [id:tf-1]
Everyone who is struggling shows it at work.{FALSE#Many hide it well.#Right: many hide it.}

::Signs::Which can be signs that someone is struggling?{
~%50%Withdrawing from the team#Yes.
~%50%Changes in sleep or appetite#Yes.
~%-50%Taking a planned holiday#No: that is ordinary.
}
"""


def test_a_bank_written_by_hand_comes_in() -> None:
    bank = read_gift(MOODLE_STYLE, "listening")
    quiz = quiz_from_gift(bank, "listening", None)
    assert quiz.title == "Peer support/listening"  # the category's last level, // is a /
    assert quiz.module == "listening" and quiz.questions_per_attempt == 3
    first, second, third = quiz.questions
    assert first.id == "listening-q01"  # a name that is not an id: a numbered id
    assert first.type == "single" and first.prompt.startswith("Which question invites")
    assert first.options is not None
    assert [(o.id, o.correct) for o in first.options] == [("a", True), ("b", False),
                                                          ("c", False)]
    assert first.options[1].feedback == 'Closed: "yes" ends the conversation.'
    assert second.id == "tf-1" and second.type == "true_false" and second.options
    by_id = {o.id: o for o in second.options}
    assert not by_id["true"].correct and by_id["false"].correct
    assert by_id["true"].feedback == "Many hide it well."  # shown when wrong
    assert by_id["false"].feedback == "Right: many hide it."
    assert third.type == "multiple" and third.scoring == "partial"
    assert bank.lines == [4, 11, 13]


def refused(text: str) -> list[str]:
    with pytest.raises(GiftFormatError) as caught:
        read_gift(text, "quiz")
    return [str(e) for e in caught.value.errors]


@pytest.mark.parametrize(("text", "expected"), [
    ("::E::Describe a time you listened well.{}", "line 3: an essay question"),
    ("What year?{#2024:1}", "line 3: a numerical question"),
    ("Capital of France?{=Paris =paris}", "line 3: a short-answer question"),
    ("Match{=a -> b =c -> d}", "line 3: a matching question"),
    ("Listening is {~hard =a skill#Yes ~rare#No} to learn.",
     "line 3: text after the answers (missing-word format)"),
    ("Just some text to read.", "line 3: text without answers in { } (a description)"),
    ("Pick one{=A#yes ~B#no ####Think about it.}", "line 3: general feedback (####)"),
    ("[html]<p>Pick</p>{=A#yes ~B#no}", "line 3: HTML question text"),
    ("Pick one{=A#yes\n~%50%B#half\n}", "line 4: a partly right answer (%50%)"),
    ("Pick some{\n~%50%A#a\n~%50%B#b\n~C#c\n}", "line 3: each wrong option must take away"),
    ("Pick some{~%70%A#a ~%30%B#b ~%-50%C#c}", "line 3: the right options must each earn"),
    ("Pick one{\n=A#yes\n~B\n}", "line 5: the answer 'B' has no feedback"),
    ("Pick one{=A#yes ~B#no", "line 3: unbalanced braces"),
    ("Is it?{TRUE}", "line 3: a true/false question needs feedback for both answers"),
    ("Pick one{=A#yes}", "line 3: a short-answer question"),
    ("Pick{~%100%A#yes}", "line 3: a choice question needs at least two answers"),
    ("// [id:Not An Id]\nPick one{=A#yes ~B#no}", "line 4: the id 'Not An Id' is not one"),
])
def test_what_cannot_be_represented_is_refused_with_its_line(text: str, expected: str) -> None:
    errors = refused(f"// header\n\n{text}\n")
    assert any(e.startswith(expected) for e in errors), errors


def test_every_problem_is_listed_not_only_the_first() -> None:
    errors = refused("What year?{#2024}\n\nGood{=A#a ~B#b}\n\nEssay{}\n")
    assert [e.split(":")[0] for e in errors] == ["line 1", "line 5"]


def test_schema_rules_are_named_at_the_question() -> None:
    seven = " ".join(f"~O{i}#f" for i in range(6))
    errors = refused(f"// comment\n::q::Pick one{{=A#yes {seven}}}\n")
    assert errors == ["line 2: question q: a single-choice question needs 2 to 6 options"]


def test_two_questions_with_one_id_are_refused() -> None:
    errors = refused("::same::One{=A#a ~B#b}\n\n::same::Two{=A#a ~B#b}\n")
    assert errors == ["line 3: question id 'same' is used twice"]


def test_broken_settings_comment_is_refused() -> None:
    errors = refused("// lms-plugin quiz: {not json\n\nQ{=A#a ~B#b}\n")
    assert errors[0].startswith("line 1: the quiz settings comment is not valid JSON")


def test_an_empty_file_has_no_questions() -> None:
    assert refused("// only a comment\n") == ["line 1: no questions found"]


def test_escapes_and_windows_line_ends() -> None:
    text = ("::q::Is 2\\=2 \\{really\\}?\\nSay\\: yes{\r\n=Yes \\~ sure#Right\\#1\r\n"
            "~No#Wrong\r\n}\r\n")
    [question] = read_gift(text, "quiz").questions
    assert question.prompt == "Is 2=2 {really}?\nSay: yes"
    assert question.options is not None
    assert (question.options[0].text, question.options[0].feedback) == ("Yes ~ sure", "Right#1")
