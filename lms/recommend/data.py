"""The engine's plain input and output: no database, no Flask, only frozen dataclasses.

`loading` builds these from the database; `engine.rank` turns a `Profile` and a
`CandidatePool` into ranked `Recommendation`s, each with the `Reason`s that explain it;
`explain` words a reason in Swedish or English. Ids are database ids, but nothing here
knows that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Activity levels as the catalogue stores them (lms.catalog.models.Level values).
GRUND = "grund"
FORDJUPNING = "fördjupning"
SPETS = "spets"
LEVELS = (GRUND, FORDJUPNING, SPETS)


@dataclass(frozen=True, slots=True)
class CompetenceLabel:
    """How a reason names a sub-competence: "4.2 Skydda personuppgifter och integritet"."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One activity as the engine sees it."""

    activity_id: int
    competences: Mapping[int, float]  # competence id → weight (0 < weight ≤ 1)
    level: str  # GRUND | FORDJUPNING | SPETS
    format: str  # lms.catalog.models.Format value
    minutes: int
    departments: frozenset[int] = frozenset()  # target department ids; empty = everyone
    job_roles: frozenset[int] = frozenset()  # target job role ids; empty = everyone
    status: str = "published"  # draft | published | archived
    is_repeatable: bool = False
    is_scheduled: bool = False  # lecture, workshop, coaching, network: taken at a session
    # For a scheduled activity: the start of its next future, not cancelled session that still
    # has a free seat; None when every session is past, cancelled or full.
    next_open_session: datetime | None = None


@dataclass(frozen=True, slots=True)
class PlanGoal:
    """A goal in the person's development plan."""

    goal_id: int
    competence_id: int
    target_level: int | None = None
    activity_ids: frozenset[int] = frozenset()  # activities chosen for the goal


@dataclass(frozen=True, slots=True)
class ThemeInfo:
    """The theme month running now (for the person's department)."""

    title: str
    activity_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Profile:
    """One person, as far as recommending goes.

    `assessed` and `motivation` come from the person's latest counted assessment
    (assessed = agreed level when set, else self level: DESIGN §4); both are empty for a
    person never assessed (the cold start). `expected` holds the job role's expected levels;
    a competence absent from it does not apply to the role.
    """

    user_id: int
    job_role_id: int | None = None
    job_role_name: str | None = None  # "Bibliotekarie"
    department_id: int | None = None
    expected: Mapping[int, int] = field(default_factory=dict)
    assessed: Mapping[int, int] = field(default_factory=dict)
    agreed: frozenset[int] = frozenset()  # competences whose assessed level the manager agreed
    motivation: Mapping[int, int] = field(default_factory=dict)
    plan_goals: tuple[PlanGoal, ...] = ()
    completed: frozenset[int] = frozenset()
    booked: frozenset[int] = frozenset()  # booked, waitlisted or started, not completed
    not_interested: frozenset[int] = frozenset()
    theme: ThemeInfo | None = None
    # activity id → completions by people in the same job role (the cold-start signal)
    popular_in_role: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an activity is recommended, as data: `explain.describe` words it.

    Kinds and their params:
    - "plan_goal": competence_code, competence_name
    - "gap": competence_code, competence_name, assessed, expected, role, agreed (0/1)
    - "expected": competence_code, competence_name, expected, role (cold start: not assessed)
    - "motivation": competence_code, competence_name, motivation
    - "theme": theme
    - "popular_in_role": role, count
    - "level_fit": level
    - "short": minutes
    - "next_session": starts_at (ISO 8601, UTC)
    """

    kind: str
    params: Mapping[str, str | int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Reason:
        params = data.get("params") or {}
        assert isinstance(params, Mapping)
        return cls(str(data["kind"]), {str(k): v for k, v in params.items()})


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One ranked activity: its score (higher is better), the sub-competence it is mainly
    recommended for (None for a theme or popularity pick) and its reasons, strongest first."""

    activity_id: int
    score: float
    competence_id: int | None
    reasons: tuple[Reason, ...]
