"""Small-group suppression: primary, complementary (no hidden cell can be recovered by
subtracting shown cells from the total), round-level, deltas, and a property over random
organisations."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.reports.assessment_metrics import Person, RatingRow, compute_round
from lms.reports.suppression import Cell, complementary, delta, suppress_breakdown

ORG = "Kulturförvaltningen"
ROLES = {
    "Bibliotekarie": frozenset({"1.1", "4.2"}),
    "Chef": frozenset({"1.1", "4.2", "6.1"}),
    "Pedagog": frozenset({"1.1", "4.2"}),
}


def organisation(sizes: dict[str, int], needs: dict[str, int] | None = None):
    """People per department, each rating 1.1 (expected 3); the first `needs[dept]` rate 2
    (a need), the others 4; everyone a librarian."""
    people, ratings, user = [], [], 0
    for name, size in sizes.items():
        for n in range(size):
            user += 1
            people.append(Person(user, (ORG, name), "Bibliotekarie", frozenset({"1.1"})))
            level = 2 if n < (needs or {}).get(name, 0) else 4
            ratings.append(RatingRow(user, "1.1", "1", level, None, 4, 3))
    return ratings, people


def shown(figures, key=("round", "", "share_with_needs")):
    return figures[key].shown_value


def test_a_small_department_is_hidden_with_the_next_smallest() -> None:
    # min 5. Departments of 2, 6, 8 and 30 respondents. The 2 are hidden (primary); alone they
    # could be found from the total and the three shown, so the next smallest, 6, is hidden
    # too (2 + 6 = 8 ≥ 5). The 8 and 30 stay shown.
    ratings, people = organisation({"A": 2, "B": 6, "C": 8, "D": 30})
    result = compute_round(ratings, people, 5)
    hidden = {
        key[1]
        for key, figures in result.by_department.items()
        if figures[("round", "", "share_with_needs")].suppressed
    }
    assert hidden == {"A", "B"}
    assert result.by_department[(ORG, "A")][("round", "", "respondents")].value is None
    assert shown(result.by_department[(ORG, "C")]) is not None
    assert shown(result.overall) is not None


def test_hidden_values_cannot_be_recovered_from_total_and_shown_cells() -> None:
    # Two organisations that differ only in how 4 needs are split between the two hidden
    # departments (A: 1 of 2 and B: 3 of 6, or A: 0 of 2 and B: 4 of 6) publish exactly the
    # same figures: whatever is subtracted, A's and B's own shares are not in the output.
    first = compute_round(*organisation({"A": 2, "B": 6, "C": 8}, {"A": 1, "B": 3, "C": 2}), 5)
    second = compute_round(*organisation({"A": 2, "B": 6, "C": 8}, {"A": 0, "B": 4, "C": 2}), 5)
    assert first == second
    # …and the hidden cells really differ: 1/2 vs 0/2 in A.
    assert first.overall[("round", "", "share_with_needs")].value == 6 / 16


def test_a_column_hiding_one_cell_hides_another_even_when_it_is_big() -> None:
    people = {"A": 9, "B": 10, "C": 40}
    assert complementary(people, {"A"}, 5) == {"A", "B"}
    assert complementary(people, {"A", "B"}, 5) == {"A", "B"}
    assert complementary(people, set(), 5) == set()
    # Two small hidden cells that together still hold fewer than 5 take the next one too.
    assert complementary({"A": 1, "B": 2, "C": 7, "D": 50}, {"A", "B"}, 5) == {"A", "B", "C"}


def test_ties_hide_the_earlier_cell_so_equal_columns_hide_the_same() -> None:
    assert complementary({"A": 2, "B": 6, "C": 6}, {"A"}, 5) == {"A", "B"}


def test_a_group_with_too_few_respondents_shows_nothing() -> None:
    # Department A: 4 respondents (< 5) but 20 people in its population: even the response
    # rate, whose denominator is big enough, is hidden.
    ratings, people = organisation({"A": 4, "B": 30, "C": 30})
    people += [Person(1000 + n, (ORG, "A"), "Bibliotekarie", frozenset({"1.1"})) for n in range(16)]
    result = compute_round(ratings, people, 5)
    department = result.by_department[(ORG, "A")]
    assert all(cell.suppressed for cell in department.values())


def test_the_round_with_too_few_respondents_is_hidden_entirely() -> None:
    ratings, people = organisation({"A": 2, "B": 2})
    result = compute_round(ratings, people, 5)
    assert all(cell.suppressed and cell.value is None for cell in result.overall.values())
    for figures in result.by_department.values():
        assert all(cell.suppressed for cell in figures.values())


def test_a_small_area_is_hidden_in_a_big_round() -> None:
    # 30 respondents; only 3 rated 6.1 (the managers): area 6 and 6.1 are hidden, the rest shown.
    ratings, people = organisation({"A": 30})
    ratings += [RatingRow(n, "6.1", "6", 2, None, 4, 3) for n in (1, 2, 3)]
    result = compute_round(ratings, people, 5)
    assert result.overall[("area", "6", "mean_rating")].suppressed
    assert result.overall[("competence", "6.1", "respondents")].suppressed
    assert not result.overall[("area", "1", "mean_rating")].suppressed


def test_cells_without_people_are_neither_shown_nor_hidden() -> None:
    groups = {
        "A": {("round", "", "respondents"): Cell(10, 10), ("area", "6", "respondents"): Cell(0, 0)},
        "B": {("round", "", "respondents"): Cell(10, 10)},
    }
    result = suppress_breakdown(groups, 5)
    assert result["A"][("area", "6", "respondents")] == Cell(0, 0)


def test_a_delta_is_hidden_when_either_side_is() -> None:
    assert delta(Cell(0.24, 50), Cell(0.29, 40), 100).value == pytest.approx(-5)
    assert delta(Cell(None, 3, True), Cell(0.29, 40), 100) == Cell(None, 0, True)
    assert delta(Cell(0.24, 50), Cell(None, 2, True), 100).suppressed
    assert delta(Cell(3.5, 50), Cell(3.0, 40), 1).value == 0.5
    assert delta(Cell(None, 0), Cell(0.29, 40), 100) == Cell(None, 0)


people_per_department = st.lists(st.integers(1, 30), min_size=1, max_size=7)


@st.composite
def organisations(draw):
    """Random departments of 1–30 people, random roles, answers and levels."""
    people, ratings = [], []
    for index, size in enumerate(draw(people_per_department)):
        for _ in range(size):
            user = len(people) + 1
            role = draw(st.sampled_from(sorted(ROLES)))
            people.append(Person(user, (ORG, f"Avdelning {index}"), role, ROLES[role]))
            if draw(st.integers(0, 9)) == 0:
                continue  # did not answer
            for code in sorted(ROLES[role]):
                if draw(st.booleans()):
                    level, motivation = draw(st.integers(1, 5)), draw(st.integers(1, 5))
                    ratings.append(RatingRow(user, code, code[0], level, None, motivation, 3))
    return ratings, people


def assert_protected(groups, min_size: int) -> None:
    columns: dict = {}
    for figures in groups.values():
        for key, cell in figures.items():
            if cell.people > 0:
                columns.setdefault(key, []).append(cell)
    for key, cells in columns.items():
        hidden = [cell for cell in cells if cell.suppressed]
        for cell in cells:
            assert cell.suppressed or cell.people >= min_size, (key, cell)
        shown_any = len(hidden) < len(cells)
        if hidden and shown_any:
            assert sum(cell.people for cell in hidden) >= min_size, (key, hidden)
            assert len(hidden) >= 2, (key, hidden)


@settings(max_examples=150, deadline=None)
@given(organisations(), st.sampled_from([3, 5]))
def test_every_shown_cell_is_big_enough_and_hidden_cells_are_not_alone(data, min_size) -> None:
    ratings, people = data
    result = compute_round(ratings, people, min_size)
    assert_protected(result.by_department, min_size)
    assert_protected(result.by_job_role, min_size)
    for cell in result.overall.values():
        assert cell.suppressed or cell.people == 0 or cell.people >= min_size
