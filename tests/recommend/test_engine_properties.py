"""Properties of the ranking engine over generated catalogues and people: adding a need never
lowers an activity on that competence, the order does not depend on the input order, what
may never be recommended never is, the diversity cap holds and a limit only cuts the list."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lms.recommend.data import LEVELS, Candidate, PlanGoal, Profile, Recommendation, ThemeInfo
from lms.recommend.engine import (
    TOP,
    CandidatePool,
    level_band,
    rank,
    rank_for_goals,
)
from tests.recommend.plain import C11, C12, C21, C41, C42, pool

HYPOTHESIS = settings(
    max_examples=int(os.environ.get("LMS_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    database=None,
)
DIVERSE_TOP, DIVERSITY_CAP = 5, 2  # the figures, not the engine's constants
COMPETENCES = (C11, C12, C21, C41, C42)
DEPARTMENTS = (1, 2)
ROLES = (7, 8)
DEC_3 = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
# Mostly for everyone, so that enough candidates are eligible to rank.
DEPARTMENT_TARGETS = (frozenset(), frozenset(), frozenset(), frozenset({1}), frozenset({1, 2}))
ROLE_TARGETS = (frozenset(), frozenset(), frozenset(), frozenset({7}), frozenset({8}))


def candidate(activity_id: int, fields: tuple[Any, ...]) -> Candidate:
    competences, level, minutes, departments, roles, status, flags, session = fields
    repeatable, scheduled = flags
    return Candidate(
        activity_id,
        competences,
        level=level,
        format="workshop" if scheduled else "elearning",
        minutes=minutes,
        departments=departments,
        job_roles=roles,
        status=status,
        is_repeatable=repeatable,
        is_scheduled=scheduled,
        next_open_session=session if scheduled else None,
    )


CANDIDATE_FIELDS = st.tuples(
    st.dictionaries(st.sampled_from(COMPETENCES), st.sampled_from((0.25, 0.5, 1.0)), min_size=1),
    st.sampled_from(LEVELS),
    st.sampled_from((5, 10, 15, 30, 60)),
    st.sampled_from(DEPARTMENT_TARGETS),
    st.sampled_from(ROLE_TARGETS),
    st.sampled_from(("published", "published", "published", "archived")),
    st.tuples(st.booleans(), st.booleans()),
    st.sampled_from((DEC_3, DEC_3, None)),
)
candidates = st.lists(CANDIDATE_FIELDS, min_size=1, max_size=20).map(
    lambda drawn: [candidate(n, fields) for n, fields in enumerate(drawn, start=1)]
)


def some_ids(count: int) -> st.SearchStrategy[frozenset[int]]:
    return st.frozensets(st.integers(1, count), max_size=4)


@st.composite
def profiles(draw: Any, count: int, assessed: bool | None = None) -> Profile:
    """A person; `assessed` True or False forces a rated person or a cold start."""
    levels = st.integers(1, 5)
    rated = draw(st.dictionaries(st.sampled_from(COMPETENCES), levels))
    if assessed is True and not rated:
        rated = {draw(st.sampled_from(COMPETENCES)): draw(levels)}
    goals = draw(st.lists(st.tuples(st.sampled_from(COMPETENCES), some_ids(count)), max_size=3))
    return Profile(
        user_id=1,
        job_role_id=draw(st.sampled_from((*ROLES, None))),
        job_role_name="Bibliotekarie",
        department_id=draw(st.sampled_from((*DEPARTMENTS, None))),
        expected=draw(st.dictionaries(st.sampled_from(COMPETENCES), levels)),
        assessed={} if assessed is False else rated,
        agreed=draw(st.frozensets(st.sampled_from(COMPETENCES))),
        motivation=draw(st.dictionaries(st.sampled_from(COMPETENCES), levels)),
        plan_goals=tuple(PlanGoal(n, c, 3, chosen) for n, (c, chosen) in enumerate(goals, start=1)),
        completed=draw(some_ids(count)),
        booked=draw(some_ids(count)),
        not_interested=draw(some_ids(count)),
        theme=ThemeInfo("Informationssäkerhet", draw(some_ids(count))),
        popular_in_role=draw(st.dictionaries(st.integers(1, count), st.integers(0, 30))),
    )


@st.composite
def catalogues(draw: Any, assessed: bool | None = None) -> tuple[list[Candidate], Profile]:
    made = draw(candidates)
    return made, draw(profiles(len(made), assessed))


def with_a_new_need(draw: Any, person: Profile) -> tuple[Profile, int] | None:
    """The person with a need added on a competence that had none, their level band in it
    unchanged; None when no competence allows that."""
    open_ones = [
        c
        for c in COMPETENCES
        if c not in person.expected
        or c not in person.assessed
        or person.assessed[c] >= person.expected[c]
    ]
    options = [c for c in open_ones if person.assessed.get(c, 1) < 5]
    if not options:
        return None
    goal_ones = [c for c in options if any(g.competence_id == c for g in person.plan_goals)]
    c = draw(st.sampled_from(options + goal_ones * 2))  # goals add the most interplay
    assessed = dict(person.assessed)
    if c not in assessed:
        assessed[c] = draw(st.integers(1, 2))  # unrated counts as a beginner: stay one
    expected = dict(person.expected)
    expected[c] = draw(st.integers(assessed[c] + 1, 5))
    return replace(person, assessed=assessed, expected=expected), c


@HYPOTHESIS
@given(catalogues(assessed=True), st.data())
def test_adding_a_need_never_lowers_an_activity_on_that_competence(
    catalogue: tuple[list[Candidate], Profile], data: st.DataObject
) -> None:
    """A person who has assessed themselves (not the cold start) gets a need on competence c
    where they had none: expected(c) raised above their assessed level of c, or a first
    rating of 1–2 in c (unrated already counts as a beginner), so their level band in c and
    thus the level fit stay the same. Then, over the full list without diversity
    (limit=None, diversify=False), every activity that develops c and was listed is listed
    again with a score at least as high, and no activity that does not develop c overtakes
    it: whatever ranked below it before still ranks below it.

    (In the cold start the first rating replaces the role-based stand-in needs of every
    competence at once, and a rating can move a person into another level band; neither is
    "adding a need", so neither is generated.)"""
    candidate_list, person = catalogue
    changed = with_a_new_need(data.draw, person)
    assume(changed is not None)
    assert changed is not None
    after_person, c = changed
    assert level_band(person.assessed.get(c)) == level_band(after_person.assessed.get(c))
    catalogue_pool = pool(candidate_list)
    before = rank(person, catalogue_pool, limit=None, diversify=False)
    after = rank(after_person, catalogue_pool, limit=None, diversify=False)
    position_after = {r.activity_id: n for n, r in enumerate(after)}
    score_after = {r.activity_id: r.score for r in after}
    develops_c = {a.activity_id for a in candidate_list if c in a.competences}
    for n, rec in enumerate(before):
        if rec.activity_id not in develops_c:
            continue
        assert score_after[rec.activity_id] >= rec.score
        for below in before[n + 1 :]:
            if below.activity_id not in develops_c:
                assert position_after[below.activity_id] > position_after[rec.activity_id]


@HYPOTHESIS
@given(catalogues(), st.randoms(use_true_random=False))
def test_the_order_does_not_depend_on_the_order_of_the_candidates(
    catalogue: tuple[list[Candidate], Profile], random: Any
) -> None:
    candidate_list, person = catalogue
    shuffled = list(candidate_list)
    random.shuffle(shuffled)
    for diversify in (True, False):
        assert rank(person, pool(shuffled), diversify=diversify) == rank(
            person, pool(candidate_list), diversify=diversify
        )
    assert rank_for_goals(person, pool(shuffled)) == rank_for_goals(person, pool(candidate_list))


def never_recommended(candidate: Candidate, person: Profile) -> bool:
    """The issue's list, written out again independently of the engine."""
    return (
        candidate.status != "published"
        or (candidate.activity_id in person.completed and not candidate.is_repeatable)
        or candidate.activity_id in person.booked
        or candidate.activity_id in person.not_interested
        or bool(candidate.departments and person.department_id not in candidate.departments)
        or bool(candidate.job_roles and person.job_role_id not in candidate.job_roles)
        or (candidate.is_scheduled and candidate.next_open_session is None)
    )


@HYPOTHESIS
@given(catalogues())
def test_never_recommended_activities_never_appear(
    catalogue: tuple[list[Candidate], Profile],
) -> None:
    candidate_list, person = catalogue
    excluded = {a.activity_id for a in candidate_list if never_recommended(a, person)}
    catalogue_pool = pool(candidate_list)
    listed = [r.activity_id for r in rank(person, catalogue_pool, limit=None)]
    for found in rank_for_goals(person, catalogue_pool, per_goal=30).values():
        listed += [r.activity_id for r in found]
    assert not excluded & set(listed)


def plan_choices(person: Profile) -> set[int]:
    return {a for goal in person.plan_goals for a in goal.activity_ids}


def assert_diverse(ranked: list[Recommendation], person: Profile) -> None:
    """At most DIVERSITY_CAP of the top DIVERSE_TOP share a sub-competence. Two kinds of
    pick are never pushed down by the cap: activities the person chose in their plan (they
    come first; they do use up their competence's allowance) and theme or popular picks
    (no competence). The cap gives way only when nothing else is left: from the first pick
    over the cap on, every pick in the whole list is on a sub-competence that already had
    DIVERSITY_CAP picks before it."""
    chosen = plan_choices(person)
    counts: dict[int, int] = {}
    for n, rec in enumerate(ranked[:DIVERSE_TOP]):
        if rec.competence_id is None:
            continue
        if rec.activity_id not in chosen and counts.get(rec.competence_id, 0) >= DIVERSITY_CAP:
            for later in ranked[n:]:
                assert later.activity_id not in chosen and later.competence_id is not None
                assert counts.get(later.competence_id, 0) >= DIVERSITY_CAP
            return
        counts[rec.competence_id] = counts.get(rec.competence_id, 0) + 1


@HYPOTHESIS
@given(catalogues())
def test_the_diversity_cap_holds_and_a_limit_only_cuts_the_list(
    catalogue: tuple[list[Candidate], Profile],
) -> None:
    candidate_list, person = catalogue
    catalogue_pool: CandidatePool = pool(candidate_list)
    everything = rank(person, catalogue_pool, limit=None)
    assert_diverse(everything, person)
    for limit in (1, DIVERSE_TOP, TOP):
        assert rank(person, catalogue_pool, limit=limit) == everything[:limit]


@HYPOTHESIS
@given(catalogues())
def test_plan_choices_come_first_and_reasons_are_at_most_four(
    catalogue: tuple[list[Candidate], Profile],
) -> None:
    candidate_list, person = catalogue
    ranked = rank(person, pool(candidate_list), limit=None)
    chosen = [r.activity_id in plan_choices(person) for r in ranked]
    assert chosen == sorted(chosen, reverse=True)
    assert all(r.reasons and len(r.reasons) <= 4 and r.score > 0 for r in ranked)
