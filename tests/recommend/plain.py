"""Plain-data builders for the engine's tests: a small Swedish competence framework, a
librarian and activities, with every field defaulted so a test states only what it is about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from lms.recommend.data import (
    GRUND,
    Candidate,
    CompetenceLabel,
    PlanGoal,
    Profile,
    Recommendation,
    ThemeInfo,
)
from lms.recommend.engine import CandidatePool, build_pool

C11, C12, C21, C31, C41, C42, C51 = 11, 12, 21, 31, 41, 42, 51
LABELS = {
    C11: CompetenceLabel("1.1", "Söka och filtrera information"),
    C12: CompetenceLabel("1.2", "Källkritik och värdering av information"),
    C21: CompetenceLabel("2.1", "Kommunicera med digital teknik"),
    C31: CompetenceLabel("3.1", "Skapa och redigera digitalt innehåll"),
    C41: CompetenceLabel("4.1", "Skydda enheter och information"),
    C42: CompetenceLabel("4.2", "Skydda personuppgifter och integritet"),
    C51: CompetenceLabel("5.1", "Lösa tekniska problem"),
}
LIBRARIAN = 7
LIBRARY = 3  # Stadsbiblioteket
THEME = ThemeInfo("Informationssäkerhet")


def activity(activity_id: int, *competences: int, **fields: Any) -> Candidate:
    """A published 30-minute e-learning at grund level, for everyone, on the competences
    given (weight 1) unless `weights` says otherwise."""
    weights = fields.pop("weights", None) or {c: 1.0 for c in competences}
    defaults: dict[str, Any] = {"level": GRUND, "format": "elearning", "minutes": 30}
    return Candidate(activity_id, weights, **{**defaults, **fields})


def librarian(**fields: Any) -> Profile:
    """A librarian at the city library, expected at 3 in 1.1, 1.2, 4.1 and 4.2 and meeting
    every expectation, unless the fields say otherwise."""
    expected = {C11: 3, C12: 3, C41: 3, C42: 3}
    defaults: dict[str, Any] = {
        "job_role_id": LIBRARIAN,
        "job_role_name": "Bibliotekarie",
        "department_id": LIBRARY,
        "expected": expected,
        "assessed": dict(expected),
    }
    return Profile(1, **{**defaults, **fields})


def needs(**levels: int) -> dict[int, int]:
    """Assessed levels: the librarian's 3s with some replaced, e.g. needs(c42=2)."""
    assessed = {C11: 3, C12: 3, C41: 3, C42: 3}
    assessed.update({int(name[1:]): level for name, level in levels.items()})
    return assessed


def goal(goal_id: int, competence_id: int, *activity_ids: int) -> PlanGoal:
    return PlanGoal(goal_id, competence_id, 3, frozenset(activity_ids))


def pool(candidates: Iterable[Candidate]) -> CandidatePool:
    return build_pool(candidates, LABELS)


def ids(recommendations: Iterable[Recommendation]) -> list[int]:
    return [r.activity_id for r in recommendations]


def themed(*activity_ids: int) -> ThemeInfo:
    return replace(THEME, activity_ids=frozenset(activity_ids))
