"""Scoring: what one person's profile is worth to each competence, as plain numbers.

See `lms.recommend.engine` for how the points make up a rank. Pure: plain data in and out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from lms.recommend.data import FORDJUPNING, GRUND, SPETS, Candidate, PlanGoal, Profile

PLAN_TIER = 2000.0
NEED_TIER = 1000.0
TIER_SPAN = 1000.0  # nothing inside a tier adds up to this
NEED_POINTS = 10.0
COLD_NEED = 0.5  # the cold start's stand-in need per expected level
GOAL_POINTS = 30.0
THEME_POINTS = 5.0
POPULAR_POINTS = 2.0
COLD_POPULAR_POINTS = 8.0
NEUTRAL_MOTIVATION = 3

BEGINNER, INTERMEDIATE, ADVANCED = "beginner", "intermediate", "advanced"
FIT: Mapping[str, Mapping[str, float]] = {
    BEGINNER: {GRUND: 1.0, FORDJUPNING: 0.5, SPETS: 0.0},
    INTERMEDIATE: {GRUND: 0.5, FORDJUPNING: 1.0, SPETS: 0.5},
    ADVANCED: {GRUND: 0.25, FORDJUPNING: 0.5, SPETS: 1.0},
}
UNKNOWN_LEVEL_FIT = 0.5


def level_band(assessed: int | None) -> str:
    """Which row of FIT a person's assessed level reads (not assessed = beginner)."""
    if assessed is None or assessed <= 2:
        return BEGINNER
    return INTERMEDIATE if assessed == 3 else ADVANCED


@dataclass(frozen=True, slots=True)
class Signals:
    """What one profile brings to scoring, computed once per `rank` call."""

    cold: bool
    needs: dict[int, float]  # competence → need (cold start: the stand-in)
    points: dict[int, tuple[float, Mapping[str, float]]]  # competence → (points, fit row)
    goals: dict[int, PlanGoal]  # competence → its first plan goal
    chosen: dict[int, PlanGoal]  # activity id → the first goal that chose it
    theme: frozenset[int]
    popular: dict[int, float]  # activity id → popularity points
    # activity level → competence → points × the level's fit (what `_score` multiplies by
    # an activity's weight), worked out once per profile
    by_level: dict[str, dict[int, float]] = field(default_factory=dict)

    def points_at(self, level: str) -> dict[int, float]:
        found = self.by_level.get(level)
        if found is None:
            found = {
                c: p * fit.get(level, UNKNOWN_LEVEL_FIT) for c, (p, fit) in self.points.items()
            }
            self.by_level[level] = found
        return found


def profile_signals(profile: Profile) -> Signals:
    """What the profile brings to scoring: needs, points and fit per competence, goals, theme."""
    cold = not profile.assessed
    needs: dict[int, float] = {}
    for competence_id, expected in profile.expected.items():
        if cold:
            needs[competence_id] = COLD_NEED * expected
        elif (assessed := profile.assessed.get(competence_id)) is not None and expected > assessed:
            needs[competence_id] = float(expected - assessed)
    goals: dict[int, PlanGoal] = {}
    chosen: dict[int, PlanGoal] = {}
    for goal in profile.plan_goals:
        goals.setdefault(goal.competence_id, goal)
        for activity_id in goal.activity_ids:
            chosen.setdefault(activity_id, goal)
    points: dict[int, tuple[float, Mapping[str, float]]] = {}
    for competence_id in needs.keys() | goals.keys():
        motivation = profile.motivation.get(competence_id, NEUTRAL_MOTIVATION)
        need = NEED_POINTS * needs.get(competence_id, 0.0) * (1 + 0.1 * (motivation - 3))
        goal_points = GOAL_POINTS if competence_id in goals else 0.0
        band = BEGINNER if cold else level_band(profile.assessed.get(competence_id))
        points[competence_id] = (need + goal_points, FIT[band])
    theme = profile.theme.activity_ids if profile.theme else frozenset()
    return Signals(cold, needs, points, goals, chosen, theme, _popularity(profile, cold))


def _popularity(profile: Profile, cold: bool) -> dict[int, float]:
    counts = {aid: n for aid, n in profile.popular_in_role.items() if n > 0}
    if not counts:
        return {}
    top = math.log1p(max(counts.values()))
    most = COLD_POPULAR_POINTS if cold else POPULAR_POINTS
    return {aid: most * math.log1p(n) / top for aid, n in counts.items()}


def fit(candidate: Candidate, signals: Signals, competence_id: int) -> float:
    """How well the activity's level fits the person in the competence (0 when unscored)."""
    found = signals.points.get(competence_id)
    return 0.0 if found is None else found[1].get(candidate.level, UNKNOWN_LEVEL_FIT)
