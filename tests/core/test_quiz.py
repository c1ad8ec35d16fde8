"""Knowledge checks: parsing with line-numbered problems, grading and the answer-free view."""

from __future__ import annotations

import dataclasses
import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.core.quiz import Option, PublicQuestion, Question, grade, parse_quiz, public_view

HYPOTHESIS = settings(
    max_examples=int(os.environ.get("LMS_HYPOTHESIS_EXAMPLES", "300")),
    deadline=None,
    database=None,
)

VALID = """\
- question: Vad är säkrast?
  kind: single
  options:
    - text: Samma lösenord överallt
      feedback: Ett läckt lösenord öppnar då allt.
    - text: En lösenordshanterare
      correct: true
      feedback: Rätt – unika lösenord utan att minnas dem.
- question: Vilka är tecken på nätfiske?
  kind: multiple
  options:
    - text: Brådska
      correct: true
      feedback: Rätt – brådska får dig att sluta tänka efter.
    - text: Korrekt svenska
    - text: Länk till annan domän
      correct: true
"""


def questions() -> list[Question]:
    parsed, problems = parse_quiz(VALID, 10)
    assert problems == []
    return parsed


def test_valid_quiz_parses_into_questions() -> None:
    first, second = questions()
    assert first == Question(
        text="Vad är säkrast?",
        kind="single",
        options=(
            Option("Samma lösenord överallt", False, "Ett läckt lösenord öppnar då allt."),
            Option("En lösenordshanterare", True, "Rätt – unika lösenord utan att minnas dem."),
        ),
    )
    assert second.kind == "multiple"
    assert [option.correct for option in second.options] == [True, False, True]
    assert second.options[1].feedback == ""


def test_kind_defaults_to_single() -> None:
    parsed, problems = parse_quiz(
        "- question: Q?\n  options:\n    - text: a\n      correct: true\n    - text: b\n", 1
    )
    assert problems == [] and parsed[0].kind == "single"


def test_scalar_option_text_is_read_as_text() -> None:
    parsed, problems = parse_quiz(
        "- question: År?\n  options:\n    - text: 1990\n      correct: true\n    - text: 2000\n", 1
    )
    assert problems == [] and [o.text for o in parsed[0].options] == ["1990", "2000"]


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        (
            "- kind: single\n  options:\n    - text: a\n      correct: true\n    - text: b\n",
            "line 20: 'question' is missing",
        ),
        (
            "- question: Q?\n  options:\n    - text: a\n      correct: true\n",
            "line 21: a question needs a list of at least 2 options",
        ),
        (
            "- question: Q?\n",
            "line 20: a question needs a list of at least 2 options",
        ),
        (
            "- question: Q?\n  options:\n    - text: a\n      correct: true\n"
            "    - text: b\n      correct: true\n",
            "line 20: a single-choice question needs exactly 1 correct option, not 2",
        ),
        (
            "- question: Q?\n  options:\n    - text: a\n    - text: b\n",
            "line 20: a single-choice question needs exactly 1 correct option, not 0",
        ),
        (
            "- question: Q?\n  kind: multiple\n  options:\n    - text: a\n    - text: b\n",
            "line 20: a multiple-choice question needs at least 1 correct option",
        ),
        (
            "- question: Q?\n  hint: x\n  options:\n    - text: a\n      correct: true\n"
            "    - text: b\n",
            "line 21: unknown key 'hint' in question (allowed: kind, options, question)",
        ),
        (
            "- question: Q?\n  options:\n    - text: a\n      correct: true\n"
            "    - text: b\n      points: 2\n",
            "line 25: unknown key 'points' in option (allowed: correct, feedback, text)",
        ),
        (
            "- question: Q?\n  kind: several\n  options:\n    - text: a\n      correct: true\n"
            "    - text: b\n",
            "line 21: kind must be single or multiple, not 'several'",
        ),
        (
            "- question: Q?\n  options:\n    - text: a\n      correct: ja\n    - text: b\n",
            "line 23: 'correct' must be true or false",
        ),
        (
            "- question: Q?\n  options:\n    - text: a\n      correct: true\n    - feedback: x\n",
            "line 24: 'text' is missing",
        ),
        (
            "- question: Q?\n  options:\n    - a\n    - b\n",
            "line 22: each option must be a mapping",
        ),
        (
            "- question: Q?\n  question: R?\n  options:\n    - text: a\n      correct: true\n"
            "    - text: b\n",
            "line 21: key 'question' appears twice in question",
        ),
        (
            "- question: [Q]\n  options:\n    - text: a\n      correct: true\n    - text: b\n",
            "line 20: 'question' must be text",
        ),
        ("- Bara en sträng\n", "line 20: each question must be a mapping"),
        ("question: Q?\n", "line 20: quiz must be a list of questions"),
        ("", "line 20: quiz has no questions"),
        ("[]\n", "line 20: quiz has no questions"),
    ],
)
def test_invalid_quiz_reports_problem_with_document_line(yaml_text: str, problem: str) -> None:
    parsed, problems = parse_quiz(yaml_text, 20)
    assert parsed == []
    assert problems == [problem]


def test_bad_yaml_reports_its_line() -> None:
    parsed, problems = parse_quiz("- question: Q?\n  options: [a, b\n- question: R?\n", 7)
    assert parsed == []
    [problem] = problems
    assert problem.startswith("line 9: quiz is not valid YAML")


def test_bad_indentation_is_a_yaml_problem() -> None:
    _parsed, problems = parse_quiz("- question: Q?\n options:\n", 1)
    assert problems and "not valid YAML" in problems[0]


def test_every_broken_question_is_reported_and_nothing_is_kept() -> None:
    text = "- question: A?\n- question: B?\n  options: []\n"
    parsed, problems = parse_quiz(text, 1)
    assert parsed == []
    assert [problem.split(":")[0] for problem in problems] == ["line 1", "line 3"]


def test_grade_all_correct_passes_with_chosen_feedback() -> None:
    result = grade(questions(), {0: {1}, 1: {0, 2}})
    assert result.passed and result.score == 1.0
    assert [r.correct for r in result.results] == [True, True]
    assert result.results[0].feedback == ("Rätt – unika lösenord utan att minnas dem.",)
    assert result.results[1].feedback == ("Rätt – brådska får dig att sluta tänka efter.",)


def test_grade_partial_answer_to_multiple_is_wrong() -> None:
    result = grade(questions(), {0: {1}, 1: {0}})
    assert not result.passed and result.score == 0.5
    assert [r.correct for r in result.results] == [True, False]


def test_grade_wrong_answers_give_the_feedback_of_what_was_chosen() -> None:
    result = grade(questions(), {0: {0}, 1: {0, 1, 2}})
    assert result.score == 0.0 and not result.passed
    assert result.results[0].feedback == ("Ett läckt lösenord öppnar då allt.",)
    assert result.results[1].feedback == ("Rätt – brådska får dig att sluta tänka efter.",)


def test_grade_two_choices_on_single_is_wrong() -> None:
    result = grade(questions(), {0: {0, 1}, 1: {0, 2}})
    assert [r.correct for r in result.results] == [False, True]
    assert len(result.results[0].feedback) == 2


def test_grade_missing_and_out_of_range_answers_are_wrong() -> None:
    result = grade(questions(), {1: {0, 2, 99}})
    assert [r.correct for r in result.results] == [False, False]
    assert result.results[0].feedback == ()


def test_grade_without_questions_does_not_pass() -> None:
    result = grade([], {})
    assert result.score == 0.0 and not result.passed


def test_public_view_has_no_answers() -> None:
    view = public_view(questions())
    assert view[0] == PublicQuestion(
        text="Vad är säkrast?",
        kind="single",
        options=("Samma lösenord överallt", "En lösenordshanterare"),
    )
    assert {f.name for f in dataclasses.fields(PublicQuestion)} == {"text", "kind", "options"}
    dumped = repr(view)
    assert "Rätt" not in dumped and "correct" not in dumped and "True" not in dumped


# --- properties ------------------------------------------------------------------------------

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö ?", min_size=1, max_size=20).map(
    lambda text: text.strip() or "x"
)


@st.composite
def question_data(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(st.sampled_from(["single", "multiple"]))
    count = draw(st.integers(min_value=2, max_value=5))
    if kind == "single":
        right = {draw(st.integers(min_value=0, max_value=count - 1))}
    else:
        right = draw(st.sets(st.integers(min_value=0, max_value=count - 1), min_size=1))
    options = []
    for index in range(count):
        option: dict[str, object] = {"text": draw(words)}
        if index in right:
            option["correct"] = True
        if draw(st.booleans()):
            option["feedback"] = draw(words)
        options.append(option)
    return {"question": draw(words), "kind": kind, "options": options}


@HYPOTHESIS
@given(st.lists(question_data(), min_size=1, max_size=5), st.data())
def test_written_quizzes_parse_back_and_grade_consistently(
    data: list[dict[str, object]], draw: st.DataObject
) -> None:
    parsed, problems = parse_quiz(yaml.safe_dump(data, allow_unicode=True), 1)
    assert problems == [] and len(parsed) == len(data)
    right = {
        index: {i for i, option in enumerate(question.options) if option.correct}
        for index, question in enumerate(parsed)
    }
    assert grade(parsed, right).passed
    answers = {
        index: draw.draw(st.sets(st.integers(min_value=0, max_value=len(q.options) - 1)))
        for index, q in enumerate(parsed)
    }
    result = grade(parsed, answers)
    expected = [answers[index] == right[index] for index in range(len(parsed))]
    assert [r.correct for r in result.results] == expected
    assert result.passed == all(expected)
    assert result.score == pytest.approx(sum(expected) / len(parsed))
    for view in public_view(parsed):
        assert set(dataclasses.asdict(view)) == {"text", "kind", "options"}
