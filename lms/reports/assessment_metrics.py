"""The assessment figures of DESIGN §4 as pure functions over plain rows of one round.

Every figure is a ratio of counts that add up over people, so the rows are counted once per
(department, job role) pair — a `Tally` — and the round, each department and each job role are
sums of those tallies. The figures keep their denominators' people for suppression.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from lms.reports.suppression import Cell, Figures, suppress_breakdown, suppress_group

DepartmentKey = tuple[str, str]  # (organisation name, department name)
Combo = tuple[DepartmentKey | None, str | None]  # (department, job role)
K = TypeVar("K", bound=Hashable)


# One rating as the database returns it: the fields of RatingRow, in its order.
RatingTuple = tuple[int, str, str, int | None, int | None, int | None, int | None]


class RatingRow(NamedTuple):
    """One rating of a counted assessment (a tuple: a round has hundreds of thousands, and
    plain tuples of the same fields, `RatingTuple`, are accepted wherever this is)."""

    user_id: int
    competence: str  # code, "4.2"
    area: str  # code, "4"
    self_level: int | None
    agreed_level: int | None
    motivation: int | None
    expected: int | None  # for the assessment's job role; None: does not apply


class Person(NamedTuple):
    """Someone the round concerns: a respondent or a targeted person who has not answered."""

    user_id: int
    department_key: DepartmentKey | None
    job_role_key: str | None
    applicable: frozenset[str]  # competence codes with an expected level for the role


NOBODY = Person(0, None, None, frozenset())


@dataclass
class Tally:
    """Counts of one group that add up over people (what each list slot holds is beside it)."""

    respondents: int = 0  # people with at least one rating
    need_users: int = 0  # … with at least one need
    high_users: int = 0  # … whose mean motivation over all their ratings is ≥ 4
    population: int = 0  # people to whom at least one competence applies
    # area → [people with a rating in it, … with a need in it, … with mean motivation ≥ 4 in it]
    areas: dict[str, list[int]] = field(default_factory=dict)
    # competence → [ratings, ratings with a need, Σ level, applicable ratings, applicable people]
    competences: dict[str, list[int]] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.respondents += other.respondents
        self.need_users += other.need_users
        self.high_users += other.high_users
        self.population += other.population
        for target, source in ((self.areas, other.areas), (self.competences, other.competences)):
            for code, counts in source.items():
                mine = target.setdefault(code, [0] * len(counts))
                for i, count in enumerate(counts):
                    mine[i] += count


@dataclass(frozen=True)
class RoundFigures:
    """A round's figures: the whole round, per department and per job role (sorted)."""

    overall: Figures
    by_department: dict[DepartmentKey | None, Figures]
    by_job_role: dict[str | None, Figures]
    competence_areas: dict[str, str]  # competence code → area code


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def response_rate(rated: Mapping[K, int], applicable: Mapping[K, int]) -> float | None:
    """Per competence, raters ÷ people it applies to, averaged over competences.

    Competences that apply to nobody are left out; None when nothing applies to anyone.
    """
    rates = [rated.get(code, 0) / count for code, count in applicable.items() if count > 0]
    return math.fsum(rates) / len(rates) if rates else None


def _count_ratings(
    ratings: Iterable[RatingTuple], people: Mapping[int, Person]
) -> tuple[dict[Combo, Tally], dict[int, dict[str, list[int]]], dict[str, str]]:
    """One pass over the ratings: competence counts per combo and per-person area counts.

    The hot loop of the report (hundreds of thousands of rows): a person's tally is looked up
    once per run of their ratings (the database returns them together, though any order is
    counted right), and counts are plain lists.
    """
    tallies: dict[Combo, Tally] = {}
    per_user: dict[int, dict[str, list[int]]] = {}  # area → [Σ motivation, motivations, need]
    areas_of: dict[str, str] = {}
    last_user: int | None = None
    competences: dict[str, list[int]] = {}
    applicable: frozenset[str] = frozenset()
    areas: dict[str, list[int]] = {}
    for user_id, code, area, self_level, agreed, motivation, expected in ratings:
        # lms.assessment.gaps.assessed_level and need(), inlined as this runs per rating.
        level = self_level if agreed is None else agreed
        if level is None:
            continue
        if user_id != last_user:
            last_user = user_id
            competences, applicable, areas = _open(user_id, people, tallies, per_user)
        has_need = expected is not None and expected > level
        counts = competences.get(code)
        if counts is None:
            counts = competences[code] = [0, 0, 0, 0, 0]
            areas_of[code] = area
        counts[0] += 1
        counts[1] += has_need
        counts[2] += level
        counts[3] += code in applicable
        own = areas.get(area)
        if own is None:
            own = areas[area] = [0, 0, 0]
        if motivation is not None:
            own[0] += motivation
            own[1] += 1
        if has_need:
            own[2] = 1
    return tallies, per_user, areas_of


def _open(
    user_id: int,
    people: Mapping[int, Person],
    tallies: dict[Combo, Tally],
    per_user: dict[int, dict[str, list[int]]],
) -> tuple[dict[str, list[int]], frozenset[str], dict[str, list[int]]]:
    """Where a person's ratings are counted: their combo's competence counts, what applies to
    them, and their own area counts."""
    person = people.get(user_id, NOBODY)
    combo = (person.department_key, person.job_role_key)
    tally = tallies.get(combo)
    if tally is None:
        tally = tallies[combo] = Tally()
    return tally.competences, person.applicable, per_user.setdefault(user_id, {})


def _count_people(
    tallies: dict[Combo, Tally],
    per_user: Mapping[int, Mapping[str, list[int]]],
    people: Mapping[int, Person],
) -> None:
    """Fold each respondent's area counts, then the population, into the combos' tallies."""
    for user_id, areas in per_user.items():
        person = people.get(user_id, NOBODY)
        tally = tallies[(person.department_key, person.job_role_key)]
        tally.respondents += 1
        motivation_sum = motivation_count = need = 0
        for area, (total, rated, has_need) in areas.items():
            high = rated > 0 and total >= 4 * rated  # mean ≥ 4, in whole numbers
            mine = tally.areas.setdefault(area, [0, 0, 0])
            mine[0] += 1
            mine[1] += has_need
            mine[2] += high
            motivation_sum, motivation_count = motivation_sum + total, motivation_count + rated
            need |= has_need
        tally.need_users += need
        tally.high_users += motivation_count > 0 and motivation_sum >= 4 * motivation_count
    shapes = Counter((p.department_key, p.job_role_key, p.applicable) for p in people.values())
    for (department, role, applicable), count in shapes.items():
        tally = tallies.get((department, role)) or tallies.setdefault((department, role), Tally())
        tally.population += count if applicable else 0
        for code in applicable:
            tally.competences.setdefault(code, [0] * 5)[4] += count


def figures_of(tally: Tally, competence_areas: Mapping[str, str]) -> Figures:
    """The figures of one group from its tally (cells with no people are left out)."""
    figures: Figures = {
        ("round", "", "respondents"): Cell(tally.respondents, tally.respondents),
        ("round", "", "response_rate"): Cell(
            response_rate(
                {code: c[3] for code, c in tally.competences.items()},
                {code: c[4] for code, c in tally.competences.items()},
            ),
            tally.population,
        ),
        ("round", "", "share_with_needs"): Cell(
            ratio(tally.need_users, tally.respondents), tally.respondents
        ),
        ("round", "", "high_motivation"): Cell(
            ratio(tally.high_users, tally.respondents), tally.respondents
        ),
    }
    level_totals: dict[str, list[int]] = {}
    for code, (count, needs, level_sum, _rated, _applicable) in sorted(tally.competences.items()):
        if count == 0:
            continue
        totals = level_totals.setdefault(competence_areas[code], [0, 0])
        totals[0] += count
        totals[1] += level_sum
        figures[("competence", code, "share_with_needs")] = Cell(needs / count, count)
        figures[("competence", code, "mean_rating")] = Cell(level_sum / count, count)
        figures[("competence", code, "respondents")] = Cell(count, count)
    for code, (users, needs, high) in sorted(tally.areas.items()):
        count, level_sum = level_totals[code]
        figures[("area", code, "share_with_needs")] = Cell(needs / users, users)
        figures[("area", code, "mean_rating")] = Cell(level_sum / count, users)
        figures[("area", code, "high_motivation")] = Cell(high / users, users)
        figures[("area", code, "respondents")] = Cell(users, users)
    return figures


def _sum_by(tallies: Mapping[Combo, Tally], index: int) -> dict[Hashable, Tally]:
    groups: dict[Hashable, Tally] = {}
    for combo, tally in tallies.items():
        groups.setdefault(combo[index], Tally()).add(tally)
    return groups


def _sorted_groups(groups: dict[Hashable, Tally]) -> list[Hashable]:
    """Groups with people in name order, the group without a name (None) last."""
    concerned = [key for key, tally in groups.items() if tally.respondents or tally.population]
    return sorted(concerned, key=_name_order)


def _name_order(key: Hashable) -> tuple[bool, tuple[str, ...]]:
    parts = key if isinstance(key, tuple) else () if key is None else (str(key),)
    return key is None, tuple(str(part).casefold() for part in parts)


def compute_round(
    ratings: Iterable[RatingTuple],
    people: Iterable[Person],
    min_group_size: int,
    *,
    breakdowns: bool = True,
) -> RoundFigures:
    """Every figure of a round, with small groups suppressed (breakdowns only when asked)."""
    by_id = {person.user_id: person for person in people}
    tallies, per_user, areas_of = _count_ratings(ratings, by_id)
    _count_people(tallies, per_user, by_id)
    overall = Tally()
    for tally in tallies.values():
        overall.add(tally)
    result = RoundFigures(
        overall=suppress_group(figures_of(overall, areas_of), min_group_size),
        by_department={},
        by_job_role={},
        competence_areas=dict(sorted(areas_of.items())),
    )
    if breakdowns:
        for index, target in ((0, result.by_department), (1, result.by_job_role)):
            groups = _sum_by(tallies, index)
            raw = {key: figures_of(groups[key], areas_of) for key in _sorted_groups(groups)}
            target.update(suppress_breakdown(raw, min_group_size))  # type: ignore[arg-type]
    return result
