"""The ranking engine: a person's needs matched to activities, pure functions over plain data.

Every candidate lands in one of three tiers; a tier is worth more than anything inside it can
add, so the tiers never mix:

1. PLAN: activities the person chose for a development-plan goal, always first.
2. NEED: activities that develop a competence with a need, or a plan goal's competence.
3. EXTRA: theme-month and popular-in-role picks that meet no need.

Inside a tier the points add up:

- need credit, for each competence c the activity develops with weight w:
  ``w × NEED_POINTS × need(c) × motivation(c) × FIT[level band of c][activity level]``.
  need(c) = expected − assessed when > 0 (DESIGN §4). In the cold start (nothing assessed)
  ``COLD_NEED × expected`` stands in and every competence counts as a beginner's.
  motivation(c) = 1 + 0.1 × (m − 3), 0.8 to 1.2 (missing = 3), so one more level of need
  always outweighs any difference in motivation.
- goal credit: ``w × GOAL_POINTS × fit`` when c is a plan goal's competence.
- THEME_POINTS for the current theme month; up to POPULAR_POINTS (COLD_POPULAR_POINTS in the
  cold start) for completions by others in the same job role, on a log scale against the
  role's most completed activity.

Level fit (FIT): an assessed level of 1–2 (or none) is a beginner, who is best served by
grund; 3 by fördjupning; 4–5 by spets. Spets for a beginner fits 0: it earns no need or goal
credit, so it is never pushed up for a gap it is too far above.

Ties break on fewer minutes, then on activity id: the same input always gives the same order.
With `diversify`, at most DIVERSITY_CAP of the first DIVERSE_TOP picks share a primary
competence (the one that contributed most). Activities chosen in the plan count towards the
cap but are never pushed down by it; the cap gives way only when nothing else is left.

Speed: only activities that touch a competence with a need or goal, the plan's, the theme's
and the popular ones are scored (via `CandidatePool.by_competence`), each into a plain tuple;
reasons are built for the returned few only.

The points per competence come from `lms.recommend.scoring`, the reasons from
`lms.recommend.reasons`; like this module they import nothing but `lms.recommend.data`.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lms.recommend.data import Candidate, CompetenceLabel, Profile, Recommendation
from lms.recommend.reasons import reasons_for
from lms.recommend.scoring import (
    NEED_TIER,
    PLAN_TIER,
    THEME_POINTS,
    TIER_SPAN,
    Signals,
    level_band,
    profile_signals,
)

__all__ = [
    "TOP",
    "CandidatePool",
    "build_pool",
    "is_eligible",
    "level_band",
    "rank",
    "rank_for_goals",
]

TOP = 20  # how many `rank` returns by default (the cache depth)
DIVERSE_TOP = 5
DIVERSITY_CAP = 2
_SLACK = 30  # extra picks taken before diversifying, so the top can usually be filled

# (−score, minutes, activity id, primary competence or -1): sorting these ranks them.
_Entry = tuple[float, int, int, int]


@dataclass(frozen=True)
class CandidatePool:
    """The catalogue as the engine sees it, built once and shared by every profile."""

    candidates: Mapping[int, Candidate]  # activity id → candidate
    labels: Mapping[int, CompetenceLabel]  # competence id → code and name
    by_competence: Mapping[int, tuple[int, ...]]  # competence id → activity ids
    # Ids that anyone may be recommended as far as the activity itself goes: published, and
    # for a scheduled activity with an open session (the person-dependent rules come later).
    open_ids: frozenset[int]


def build_pool(
    candidates: Iterable[Candidate], labels: Mapping[int, CompetenceLabel]
) -> CandidatePool:
    """A pool of candidates with its competence index (activity ids in ascending order)."""
    by_id = {c.activity_id: c for c in candidates}
    index: dict[int, list[int]] = {}
    for activity_id in sorted(by_id):
        for competence_id in by_id[activity_id].competences:
            index.setdefault(competence_id, []).append(activity_id)
    open_ids = frozenset(aid for aid, candidate in by_id.items() if _is_open(candidate))
    return CandidatePool(by_id, dict(labels), {c: tuple(ids) for c, ids in index.items()}, open_ids)


def _is_open(candidate: Candidate) -> bool:
    return candidate.status == "published" and not (
        candidate.is_scheduled and candidate.next_open_session is None
    )


def is_eligible(candidate: Candidate, profile: Profile) -> bool:
    """Whether the activity may be recommended to the person at all."""
    aid = candidate.activity_id
    if not _is_open(candidate) or aid in profile.booked or aid in profile.not_interested:
        return False
    if aid in profile.completed and not candidate.is_repeatable:
        return False
    return _targets(candidate, profile)


def _targets(candidate: Candidate, profile: Profile) -> bool:
    """Whether the activity is aimed at the person's department and job role (none = all)."""
    if candidate.departments and profile.department_id not in candidate.departments:
        return False
    return not (candidate.job_roles and profile.job_role_id not in candidate.job_roles)


def _score(candidate: Candidate, signals: Signals) -> _Entry:
    """The candidate's sort entry: its tier plus the points inside the tier."""
    aid = candidate.activity_id
    credit = 0.0
    best, primary = 0.0, -1
    points = signals.points_at(candidate.level)
    for competence_id, weight in candidate.competences.items():
        found = points.get(competence_id)
        if found is not None:
            part = weight * found
            credit += part
            if part > best or (part == best and part > 0 and competence_id < primary):
                best, primary = part, competence_id
    inside = credit
    if aid in signals.theme:
        inside += THEME_POINTS
    inside += signals.popular.get(aid, 0.0)
    inside = min(inside, TIER_SPAN - 1)
    goal = signals.chosen.get(aid)
    if goal is not None:
        inside += PLAN_TIER
        primary = goal.competence_id
    elif credit > 0:
        inside += NEED_TIER
    # rounded, so that equal sums reached in another order tie (and fewer minutes decide)
    return (-round(inside, 9), candidate.minutes, aid, primary)


def _scored(profile: Profile, pool: CandidatePool, signals: Signals, ids: set[int]) -> list[_Entry]:
    """Sort entries for the eligible ones among `ids` (`is_eligible`, checked in the order
    that rules most out first: the pool's open ids, then the person's own lists)."""
    taken = profile.booked | profile.not_interested
    done = profile.completed
    candidates = pool.candidates
    entries = []
    for aid in ids & pool.open_ids:
        if aid in taken:
            continue
        candidate = candidates[aid]
        if aid in done and not candidate.is_repeatable:
            continue
        if (candidate.departments or candidate.job_roles) and not _targets(candidate, profile):
            continue
        entries.append(_score(candidate, signals))
    return entries


def _candidate_ids(pool: CandidatePool, signals: Signals) -> set[int]:
    ids: set[int] = set(signals.chosen) | signals.theme | signals.popular.keys()
    for competence_id in signals.points:
        ids.update(pool.by_competence.get(competence_id, ()))
    return ids


def rank(
    profile: Profile, pool: CandidatePool, *, limit: int | None = TOP, diversify: bool = True
) -> list[Recommendation]:
    """The person's recommendations, best first: at most `limit` (None = every one that
    scores), each with its score, primary competence and reasons."""
    signals = profile_signals(profile)
    entries = [
        entry
        for entry in _scored(profile, pool, signals, _candidate_ids(pool, signals))
        if entry[0] < 0
    ]
    wanted = len(entries) if limit is None else min(limit, len(entries))
    ordered = _ordered(entries, wanted, diversify)
    return [_recommendation(entry, profile, pool, signals) for entry in ordered]


def _ordered(entries: list[_Entry], wanted: int, diversify: bool) -> list[_Entry]:
    if not diversify:
        return heapq.nsmallest(wanted, entries)
    best = heapq.nsmallest(wanted + _SLACK, entries)
    everything = len(best) == len(entries)
    top, rest = _diversify(best, give_way=everything)
    if len(top) < min(DIVERSE_TOP, wanted) and not everything:
        # too little variety among the best: look through all of them before giving way
        top, rest = _diversify(sorted(entries), give_way=True)
    return (top + rest)[:wanted]


def _diversify(ordered: list[_Entry], *, give_way: bool) -> tuple[list[_Entry], list[_Entry]]:
    """The first DIVERSE_TOP picks, at most DIVERSITY_CAP per primary competence, and the rest
    in score order. Plan choices count towards their competence's cap but are never pushed
    down; picks without a competence (theme, popular) are not capped. With `give_way` (when
    `ordered` holds every entry) the cap gives way rather than leave the top short."""
    top: list[_Entry] = []
    rest: list[_Entry] = []
    counts: Counter[int] = Counter()
    for entry in ordered:
        competence_id = entry[3]
        capped = competence_id >= 0 and -entry[0] < PLAN_TIER
        if len(top) < DIVERSE_TOP and not (capped and counts[competence_id] >= DIVERSITY_CAP):
            top.append(entry)
            counts[competence_id] += 1
        else:
            rest.append(entry)
    if give_way and len(top) < DIVERSE_TOP and rest:  # nothing else left: the cap gives way
        missing = DIVERSE_TOP - len(top)
        top, rest = top + rest[:missing], rest[missing:]
    return top, rest


def rank_for_goals(
    profile: Profile, pool: CandidatePool, *, per_goal: int = 5
) -> dict[int, list[Recommendation]]:
    """For each plan goal, its competence's eligible activities, best first; the activities
    already chosen for the goal are among them (and first)."""
    signals = profile_signals(profile)
    result: dict[int, list[Recommendation]] = {}
    for goal in profile.plan_goals:
        ids = set(pool.by_competence.get(goal.competence_id, ())) | goal.activity_ids
        best = heapq.nsmallest(per_goal, _scored(profile, pool, signals, ids))
        result[goal.goal_id] = [
            _recommendation(entry, profile, pool, signals, goal.competence_id) for entry in best
        ]
    return result


def _recommendation(
    entry: _Entry,
    profile: Profile,
    pool: CandidatePool,
    signals: Signals,
    competence_id: int | None = None,
) -> Recommendation:
    candidate = pool.candidates[entry[2]]
    primary = entry[3] if entry[3] >= 0 else None
    return Recommendation(
        candidate.activity_id,
        -entry[0],
        primary if competence_id is None else competence_id,
        reasons_for(candidate, profile, pool.labels, signals, primary),
    )
