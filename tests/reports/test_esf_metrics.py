"""The ESF report builder (pure): months of a period, attainment, and the report dict built from
aggregates — by hand-made examples and by properties over generated completions."""

from __future__ import annotations

import math
import os
from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from lms.reports.esf_data import (
    GENDERS,
    SOURCES,
    EsfAggregates,
    GroupRow,
    MonthRow,
    SourceRow,
    UnitRow,
)
from lms.reports.esf_metrics import attainment, build_report, month_range

HYPOTHESIS = settings(
    max_examples=int(os.environ.get("LMS_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    database=None,
)
TARGETS = {"participants": 4, "hours": 10, "hours_per_participant": 2.5}


def test_month_range_lists_every_month_the_period_touches() -> None:
    assert month_range(date(2023, 11, 30), date(2024, 2, 1)) == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]
    assert month_range(date(2024, 3, 5), date(2024, 3, 5)) == ["2024-03"]
    assert month_range(date(2024, 3, 5), date(2024, 2, 5)) == []


def test_month_range_of_the_demo_programme_has_31_months() -> None:
    months = month_range(date(2023, 9, 1), date(2026, 3, 31))
    assert (len(months), months[0], months[-1]) == (31, "2023-09", "2026-03")


def test_attainment_is_a_fraction_and_none_without_a_target() -> None:
    assert attainment(1224, 1098) == 1224 / 1098
    assert attainment(0, 10) == 0.0
    assert attainment(5, None) is None
    assert attainment(None, 10) is None
    assert attainment(5, 0) is None


def example() -> EsfAggregates:
    """Three people: Anna (woman) 90 min in Biblioteket in March, Bo (man) 30 min in Museet in
    March and 60 min in April, Kim (not stated) 120 min in April without a department."""
    return EsfAggregates(
        participants_by_gender={"woman": 1, "man": 1, "unstated": 1},
        minutes_by_gender={"woman": 90, "man": 90, "unstated": 120},
        departments=(
            UnitRow(1, "Kulturförvaltningen", 11, "Biblioteket", 1, 90),
            UnitRow(1, "Kulturförvaltningen", 12, "Museet", 1, 90),
            UnitRow(1, "Kulturförvaltningen", None, "", 1, 120),
        ),
        organisations=(UnitRow(1, "Kulturförvaltningen", None, "", 3, 300),),
        months=(MonthRow("2024-03", 120, 2), MonthRow("2024-04", 180, 1)),
        sources={"catalogue": SourceRow(150, 3), "external": SourceRow(150, 1)},
        areas=(GroupRow("4", "Digital säkerhet", 150, 3),),
        formats=(GroupRow("nanolesson", "nanolesson", 150, 3), GroupRow("", "", 150, 1)),
    )


def test_report_of_the_example_has_every_figure() -> None:
    report = build_report(
        example(),
        date_from=date(2024, 2, 15),
        date_to=date(2024, 5, 1),
        programme_slug="lyft",
        targets=TARGETS,
    )
    assert report["period"] == {"from": "2024-02-15", "to": "2024-05-01"}
    assert report["programme"] == "lyft"
    assert report["participants"] == {
        "total": 3,
        "women": 1,
        "men": 1,
        "non_binary": 0,
        "not_stated": 1,
    }
    assert report["hours"] == {"total": 5.0, "per_participant": 5 / 3}
    assert report["targets"] == TARGETS
    assert report["attainment"] == {
        "participants": 0.75,
        "hours": 0.5,
        "hours_per_participant": (5 / 3) / 2.5,
    }
    assert report["hours_by_gender"] == {
        "women": 1.5,
        "men": 1.5,
        "non_binary": 0.0,
        "not_stated": 2.0,
    }
    assert report["by_department"] == [
        {
            "organisation": "Kulturförvaltningen",
            "department": "Biblioteket",
            "participants": 1,
            "hours": 1.5,
        },
        {
            "organisation": "Kulturförvaltningen",
            "department": "Museet",
            "participants": 1,
            "hours": 1.5,
        },
        {
            "organisation": "Kulturförvaltningen",
            "department": None,
            "participants": 1,
            "hours": 2.0,
        },
    ]
    assert report["by_organisation"] == [
        {"organisation": "Kulturförvaltningen", "participants": 3, "hours": 5.0}
    ]
    assert report["by_month"] == [
        {"month": "2024-02", "hours": 0.0, "new_participants": 0},
        {"month": "2024-03", "hours": 2.0, "new_participants": 2},
        {"month": "2024-04", "hours": 3.0, "new_participants": 1},
        {"month": "2024-05", "hours": 0.0, "new_participants": 0},
    ]
    assert report["by_source"] == {
        "catalogue": 2.5,
        "attendance": 0.0,
        "import": 0.0,
        "external": 2.5,
    }
    assert report["completions_by_source"] == {
        "catalogue": 3,
        "attendance": 0,
        "import": 0,
        "external": 1,
    }
    assert report["by_area"] == [
        {"area": "4", "name": "Digital säkerhet", "hours": 2.5, "completions": 3}
    ]
    assert report["by_format"] == [
        {"format": "nanolesson", "hours": 2.5, "completions": 3},
        {"format": "", "hours": 2.5, "completions": 1},
    ]
    assert report["department_filter"] is None


def test_report_without_programme_has_no_targets_or_attainment() -> None:
    filtered = {"id": 11, "organisation": "Kulturförvaltningen", "department": "Biblioteket"}
    report = build_report(
        example(),
        date_from=date(2024, 3, 1),
        date_to=date(2024, 4, 30),
        programme_slug=None,
        targets=None,
        department_filter=filtered,
    )
    assert (report["programme"], report["targets"], report["attainment"]) == (None, None, None)
    assert report["department_filter"] == filtered


def test_empty_report_has_zeros_every_month_and_no_hours_per_participant() -> None:
    report = build_report(
        EsfAggregates(),
        date_from=date(2024, 1, 1),
        date_to=date(2024, 12, 31),
        programme_slug="lyft",
        targets={"participants": 10, "hours": None, "hours_per_participant": 3.0},
    )
    assert report["participants"]["total"] == 0
    assert report["hours"] == {"total": 0.0, "per_participant": None}
    assert [m["hours"] for m in report["by_month"]] == [0.0] * 12
    assert report["attainment"] == {
        "participants": 0.0,
        "hours": None,
        "hours_per_participant": None,
    }
    assert report["by_department"] == report["by_area"] == report["by_format"] == []
    assert set(report["by_source"]) == set(SOURCES)


def test_report_keys_are_design_5_plus_the_stable_extras() -> None:
    report = build_report(
        example(), date_from=date(2024, 3, 1), date_to=date(2024, 4, 30),
        programme_slug=None, targets=None,
    )  # fmt: skip
    assert list(report) == [
        "period",
        "programme",
        "participants",
        "hours",
        "targets",
        "by_department",
        "by_month",
        "by_source",
        "attainment",
        "hours_by_gender",
        "by_organisation",
        "by_area",
        "by_format",
        "completions_by_source",
        "department_filter",
    ]


# --- properties over generated completions ----------------------------------------------------

PERIOD_START = date(2024, 1, 1)
DAYS = 400
# (person 0–9, gender of the person by its number, day offset, minutes > 0, source, department)
COMPLETIONS = st.lists(
    st.tuples(
        st.integers(0, 9),
        st.integers(0, DAYS - 1),
        st.integers(1, 600),
        st.sampled_from(SOURCES),
        st.sampled_from((1, 2, None)),
    ),
    max_size=40,
)


def aggregate(completions: list[tuple[int, int, int, str, int | None]]) -> EsfAggregates:
    """What the SQL computes, by brute force over the generated completions."""
    gender_of = {p: GENDERS[p % 4] for p in range(10)}
    people: dict[str, set[int]] = defaultdict(set)
    minutes: dict[str, int] = defaultdict(int)
    months: dict[str, int] = defaultdict(int)
    first: dict[int, date] = {}
    sources: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    units: dict[int | None, list[set[int] | int]] = {}
    for who, offset, mins, source, dept in completions:
        day = PERIOD_START + timedelta(days=offset)
        people[gender_of[who]].add(who)
        minutes[gender_of[who]] += mins
        months[day.strftime("%Y-%m")] += mins
        first[who] = min(first.get(who, day), day)
        sources[source][0] += mins
        sources[source][1] += 1
        unit = units.setdefault(dept, [set(), 0])
        unit[0].add(who)  # type: ignore[union-attr]
        unit[1] += mins  # type: ignore[operator]
    newcomers: dict[str, int] = defaultdict(int)
    for day in first.values():
        newcomers[day.strftime("%Y-%m")] += 1
    return EsfAggregates(
        participants_by_gender={g: len(p) for g, p in people.items()},
        minutes_by_gender=dict(minutes),
        departments=tuple(
            UnitRow(1, "Org", d, str(d), len(u[0]), u[1])  # type: ignore[arg-type]
            for d, u in units.items()
        ),
        months=tuple(
            MonthRow(m, months[m], newcomers.get(m, 0))
            for m in sorted(set(months) | set(newcomers))
        ),
        sources={s: SourceRow(m, c) for s, (m, c) in sources.items()},
    )


def report_of(completions: list[tuple[int, int, int, str, int | None]]) -> dict:
    return build_report(
        aggregate(completions),
        date_from=PERIOD_START,
        date_to=PERIOD_START + timedelta(days=DAYS - 1),
        programme_slug=None,
        targets=TARGETS,
    )


@HYPOTHESIS
@given(COMPLETIONS)
def test_new_participants_over_the_months_add_up_to_the_participants(completions) -> None:
    report = report_of(completions)
    assert sum(m["new_participants"] for m in report["by_month"]) == report["participants"]["total"]


@HYPOTHESIS
@given(COMPLETIONS)
def test_hours_by_source_by_month_and_by_gender_add_up_to_the_total(completions) -> None:
    report = report_of(completions)
    total = report["hours"]["total"]
    assert math.isclose(total, sum(c[2] for c in completions) / 60)
    for split in (report["by_source"], report["hours_by_gender"]):
        assert math.isclose(sum(split.values()), total, abs_tol=1e-9)
    assert math.isclose(sum(m["hours"] for m in report["by_month"]), total, abs_tol=1e-9)
    assert sum(report["completions_by_source"].values()) == len(completions)


@HYPOTHESIS
@given(COMPLETIONS)
def test_participants_are_the_sum_of_the_genders_and_at_most_the_department_sum(completions):
    report = report_of(completions)
    figures = report["participants"]
    genders = figures["women"] + figures["men"] + figures["non_binary"] + figures["not_stated"]
    assert figures["total"] == genders == len({c[0] for c in completions})
    assert figures["total"] <= sum(d["participants"] for d in report["by_department"])
    per = report["hours"]["per_participant"]
    if figures["total"]:
        assert math.isclose(per * figures["total"], report["hours"]["total"])
    else:
        assert per is None


@HYPOTHESIS
@given(COMPLETIONS)
def test_every_month_of_the_period_is_listed_once_in_order(completions) -> None:
    months = [m["month"] for m in report_of(completions)["by_month"]]
    assert months == sorted(set(months))
    assert months == month_range(PERIOD_START, PERIOD_START + timedelta(days=DAYS - 1))


@HYPOTHESIS
@given(
    st.floats(0, 1e6, allow_nan=False),
    st.floats(0, 1e6, allow_nan=False),
    st.floats(0.5, 1e6, allow_nan=False),
)
def test_attainment_grows_with_the_figure_and_reaches_one_at_the_target(a, b, target) -> None:
    low, high = sorted((a, b))
    assert attainment(low, target) <= attainment(high, target)
    assert attainment(target, target) == 1.0


@HYPOTHESIS
@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(0, 2000))
def test_month_range_covers_both_ends_without_gaps(start, days) -> None:
    end = start + timedelta(days=days)
    months = month_range(start, end)
    assert months[0] == start.strftime("%Y-%m") and months[-1] == end.strftime("%Y-%m")
    pairs = [tuple(int(x) for x in m.split("-")) for m in months]
    for (y1, m1), (y2, m2) in pairwise(pairs):
        assert (y2, m2) == ((y1 + 1, 1) if m1 == 12 else (y1, m1 + 1))
