"""Knowledge checks: parse the ```quiz YAML of a lesson, grade answers, show questions safely."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Kind = Literal["single", "multiple"]
KINDS: tuple[Kind, ...] = ("single", "multiple")
QUESTION_KEYS = frozenset({"question", "kind", "options"})
OPTION_KEYS = frozenset({"text", "correct", "feedback"})
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool = False
    feedback: str = ""


@dataclass(frozen=True)
class Question:
    text: str
    kind: Kind
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Quiz:
    """A knowledge check as written in a lesson; `line` is where its YAML starts."""

    questions: tuple[Question, ...]
    line: int


@dataclass(frozen=True)
class QuestionResult:
    correct: bool
    feedback: tuple[str, ...]  # the feedback of each chosen option, in option order


@dataclass(frozen=True)
class GradeResult:
    results: tuple[QuestionResult, ...]
    score: float  # correct questions / all questions
    passed: bool  # every question answered correctly


@dataclass(frozen=True)
class PublicQuestion:
    """What the browser may see before submitting: no correct flags, no feedback."""

    text: str
    kind: Kind
    options: tuple[str, ...]


class _QuizError(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def parse_quiz(yaml_text: str, first_line: int) -> tuple[list[Question], list[str]]:
    """Parse and validate quiz YAML; problems read "line N: …" with N in the document."""
    try:
        root = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        reason = getattr(error, "problem", None) or "invalid YAML"
        return [], [f"line {line}: quiz is not valid YAML ({reason})"]
    if root is None or (isinstance(root, SequenceNode) and not root.value):
        return [], [f"line {first_line}: quiz has no questions"]
    if not isinstance(root, SequenceNode):
        return [], [_at(first_line, root, "quiz must be a list of questions")]
    questions: list[Question] = []
    problems: list[str] = []
    for node in root.value:
        try:
            questions.append(_question(node))
        except _QuizError as error:
            problems.append(_at(first_line, error.node, error.message))
    return (questions, []) if not problems else ([], problems)


def _at(first_line: int, node: Node, message: str) -> str:
    return f"line {first_line + node.start_mark.line}: {message}"


Fields = dict[str, tuple[Node, Node]]  # key → (key node, value node)


def _fields(node: Node, allowed: frozenset[str], what: str) -> Fields:
    """The key and value nodes of a mapping; unknown and repeated keys are errors."""
    if not isinstance(node, MappingNode):
        raise _QuizError(node, f"each {what} must be a mapping")
    fields: Fields = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if not isinstance(key, str) or key not in allowed:
            keys = ", ".join(sorted(allowed))
            raise _QuizError(key_node, f"unknown key {key!r} in {what} (allowed: {keys})")
        if key in fields:
            raise _QuizError(key_node, f"key {key!r} appears twice in {what}")
        fields[key] = (key_node, value_node)
    return fields


def _text(fields: Fields, key: str, owner: Node, *, required: bool) -> str:
    key_node, node = fields.get(key, (owner, None))
    if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL_TAG):
        if required:
            raise _QuizError(key_node, f"{key!r} is missing")
        return ""
    if not isinstance(node, ScalarNode):
        raise _QuizError(key_node, f"{key!r} must be text")
    text = str(node.value).strip()
    if required and not text:
        raise _QuizError(key_node, f"{key!r} is empty")
    return text


def _question(node: Node) -> Question:
    fields = _fields(node, QUESTION_KEYS, "question")
    text = _text(fields, "question", node, required=True)
    kind = _text(fields, "kind", node, required=False) or "single"
    if kind not in KINDS:
        raise _QuizError(fields["kind"][0], f"kind must be single or multiple, not {kind!r}")
    options_key, options_node = fields.get("options", (node, None))
    if not isinstance(options_node, SequenceNode) or len(options_node.value) < 2:
        raise _QuizError(options_key, "a question needs a list of at least 2 options")
    options = tuple(_option(option) for option in options_node.value)
    correct = sum(option.correct for option in options)
    if kind == "single" and correct != 1:
        raise _QuizError(
            node, f"a single-choice question needs exactly 1 correct option, not {correct}"
        )
    if kind == "multiple" and correct < 1:
        raise _QuizError(node, "a multiple-choice question needs at least 1 correct option")
    return Question(text=text, kind=kind, options=options)


def _option(node: Node) -> Option:
    fields = _fields(node, OPTION_KEYS, "option")
    correct_key, correct_node = fields.get("correct", (node, None))
    correct = False
    if correct_node is not None:
        if not isinstance(correct_node, ScalarNode) or correct_node.tag != _BOOL_TAG:
            raise _QuizError(correct_key, "'correct' must be true or false")
        correct = correct_node.value.lower() in {"true", "yes", "on"}
    return Option(
        text=_text(fields, "text", node, required=True),
        correct=correct,
        feedback=_text(fields, "feedback", node, required=False),
    )


def grade(questions: Sequence[Question], answers: Mapping[int, set[int]]) -> GradeResult:
    """Grade chosen option indexes per question index; a question is right only if exact."""
    results = tuple(
        _grade_question(question, answers.get(index, set()))
        for index, question in enumerate(questions)
    )
    right = sum(result.correct for result in results)
    score = right / len(results) if results else 0.0
    return GradeResult(results=results, score=score, passed=bool(results) and right == len(results))


def _grade_question(question: Question, chosen: set[int]) -> QuestionResult:
    expected = {index for index, option in enumerate(question.options) if option.correct}
    feedback = tuple(
        option.feedback
        for index, option in enumerate(question.options)
        if index in chosen and option.feedback
    )
    return QuestionResult(correct=set(chosen) == expected, feedback=feedback)


def public_view(questions: Sequence[Question]) -> list[PublicQuestion]:
    """The questions as the form shows them, without anything that gives the answer away."""
    return [
        PublicQuestion(
            text=question.text,
            kind=question.kind,
            options=tuple(option.text for option in question.options),
        )
        for question in questions
    ]
