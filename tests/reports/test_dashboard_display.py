"""The dashboard's chart maths (pure): running totals, the value scale, month ticks, where the
line and the target line go; which programme the dashboard shows first and the top lists; and a
line chart's labels and month table."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from lms.reports import dashboard_charts as charts
from lms.reports.dashboard_display import line_chart, measures
from lms.reports.dashboard_queries import pick_programme, rank_activities
from lms.reports.esf_data import ActivityRow

START, END = date(2023, 9, 1), date(2026, 3, 31)  # 31 months
BOX = charts.Box()


def test_cumulative_adds_up_month_by_month() -> None:
    assert charts.cumulative([2, 0, 3.5]) == [2, 2, 5.5]
    assert charts.cumulative([]) == []


@pytest.mark.parametrize(
    ("maximum", "whole", "top", "step"),
    [
        (1098, False, 1250, 250),
        (28237, False, 30000, 10000),
        (100, False, 100, 20),
        (7, True, 8, 2),
        (3, True, 3, 1),
        (1, True, 1, 1),
        (0.4, False, 0.4, 0.1),
        (0, False, 4, 1),  # nothing at all: a plain 0–4 axis
        (0, True, 4, 1),
    ],
)
def test_nice_scale_holds_the_maximum_in_round_steps(maximum, whole, top, step) -> None:
    scale = charts.nice_scale(maximum, whole=whole)
    assert scale.top == pytest.approx(top) and scale.step == pytest.approx(step)
    assert scale.top >= maximum
    assert scale.ticks[0] == 0 and scale.ticks[-1] == pytest.approx(scale.top)
    assert len(scale.ticks) <= 6


def test_month_starts_and_ends() -> None:
    months = charts.month_starts(date(2023, 11, 15), date(2024, 2, 1))
    assert months == [date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1)]
    assert charts.month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    assert charts.month_end(date(2023, 12, 1)) == date(2023, 12, 31)
    assert len(charts.month_starts(START, END)) == 31


@pytest.mark.parametrize(
    ("months", "every"), [(6, 1), (12, 2), (18, 3), (31, 6), (36, 6), (80, 12)]
)
def test_months_are_labelled_sparsely(months, every) -> None:
    assert charts.months_per_label(months) == every


def test_the_period_axis_runs_from_the_first_morning_to_the_last_evening() -> None:
    assert charts.x_of(START, START, END, BOX) == BOX.left
    assert charts.x_of(date(2026, 4, 1), START, END, BOX) == BOX.right
    assert charts.x_of(date(2030, 1, 1), START, END, BOX) == BOX.right  # clamped
    assert charts.x_of(date(2020, 1, 1), START, END, BOX) == BOX.left
    middle = charts.x_of(date(2024, 12, 16), START, END, BOX)
    assert BOX.left < middle < BOX.right


def _geometry(monthly, target, today, **kw):
    return charts.geometry(monthly, target, start=START, end=END, today=today, **kw)


def test_target_line_goes_from_zero_at_the_start_to_the_target_at_the_end() -> None:
    geometry = _geometry([10.0] * 31, 1000, date(2024, 6, 15))
    assert geometry.scale.top == 1000
    (x1, y1), (x2, y2) = geometry.target  # type: ignore[misc]
    assert (x1, y1) == (BOX.left, BOX.bottom)
    assert (x2, y2) == (BOX.right, BOX.top)


def test_without_a_target_there_is_no_target_line_and_the_data_sets_the_scale() -> None:
    geometry = _geometry([10.0] * 31, None, date(2027, 1, 1))
    assert geometry.target is None
    assert geometry.scale.top == 400  # 310 in all
    assert charts.target_by(date(2024, 1, 1), None, START, END) is None


def test_the_line_starts_at_zero_and_stops_today() -> None:
    monthly = [0.0] * 31
    monthly[0], monthly[2] = 4, 6  # September and November 2023
    today = date(2023, 11, 10)
    geometry = _geometry(monthly, 100, today, whole=True)
    scale = geometry.scale
    assert geometry.actual[0] == (BOX.left, BOX.bottom)
    # September, October at their month ends; November's point is at the end of today.
    assert len(geometry.actual) == 4
    xs = [x for x, _ in geometry.actual]
    assert xs[1] == charts.x_of(date(2023, 10, 1), START, END, BOX)
    assert xs[3] == charts.x_of(date(2023, 11, 11), START, END, BOX) == geometry.today_x
    ys = [y for _, y in geometry.actual]
    assert ys[1] == ys[2] == charts.y_of(4, scale, BOX)
    assert ys[3] == charts.y_of(10, scale, BOX)


def test_a_finished_programme_has_the_whole_line_and_no_today_marker() -> None:
    geometry = _geometry([1.0] * 31, 31, date(2026, 6, 1), whole=True)
    assert geometry.today_x is None
    assert len(geometry.actual) == 32
    assert geometry.actual[-1] == (BOX.right, charts.y_of(31, geometry.scale, BOX))


def test_before_the_start_nothing_is_drawn_but_the_target() -> None:
    geometry = _geometry([0.0] * 31, 50, date(2023, 1, 1))
    assert geometry.actual == [] and geometry.today_x is None and geometry.target is not None


def test_zero_data_and_no_target_still_gives_a_scale_and_a_flat_line() -> None:
    geometry = _geometry([0.0] * 31, None, date(2024, 1, 15))
    assert geometry.scale.top == 4 and geometry.target is None
    assert {y for _, y in geometry.actual} == {BOX.bottom}


def test_month_labels_are_calendar_aligned_and_inside_the_period() -> None:
    geometry = _geometry([0.0] * 31, None, date(2024, 1, 15))
    labelled = [month for month, _ in geometry.labelled_months]
    assert labelled == [date(y, m, 1) for y in (2024, 2025) for m in (1, 7)] + [date(2026, 1, 1)]
    assert len(geometry.month_marks) == 31
    assert all(BOX.left <= x <= BOX.right for x in geometry.month_marks)


def test_a_period_starting_mid_month_marks_only_whole_months() -> None:
    geometry = charts.geometry(
        [1.0, 1.0, 1.0],
        None,
        start=date(2024, 1, 15),
        end=date(2024, 3, 31),
        today=date(2025, 1, 1),
    )
    assert len(geometry.month_marks) == 2  # February and March
    assert geometry.actual[1][0] == charts.x_of(
        date(2024, 2, 1), date(2024, 1, 15), date(2024, 3, 31), BOX
    )


def test_one_value_per_month_is_required() -> None:
    with pytest.raises(ValueError, match="3 values for 31 months"):
        _geometry([1.0, 2.0, 3.0], None, date(2024, 1, 1))


def test_target_by_rises_evenly_over_the_period() -> None:
    assert charts.target_by(END, 1000, START, END) == pytest.approx(1000)
    assert charts.target_by(date(2023, 8, 1), 1000, START, END) == 0
    halfway = START + (END - START) / 2
    assert charts.target_by(halfway, 1000, START, END) == pytest.approx(500, abs=2)


def test_polyline_points_are_short() -> None:
    assert charts.polyline([(52.0, 204.0), (60.456, 180.04)]) == "52,204 60.5,180"


def _programme(pid: int, start: date, end: date) -> SimpleNamespace:
    return SimpleNamespace(id=pid, starts_on=start, ends_on=end)


def test_pick_programme_prefers_running_then_last_ended_then_next() -> None:
    old = _programme(1, date(2020, 1, 1), date(2021, 12, 31))
    recent = _programme(2, date(2022, 1, 1), date(2023, 6, 30))
    running = _programme(3, date(2023, 9, 1), date(2026, 3, 31))
    later = _programme(4, date(2027, 1, 1), date(2027, 12, 31))
    today = date(2024, 5, 1)
    assert pick_programme([old, recent, running, later], today) is running  # type: ignore[arg-type]
    assert pick_programme([old, recent, later], today) is recent  # type: ignore[arg-type]
    assert pick_programme([later], today) is later  # type: ignore[arg-type]
    assert pick_programme([], today) is None


def _activity(activity_id, participants, minutes, title="x") -> ActivityRow:
    return ActivityRow(activity_id, title, participants, minutes, completions=participants)


def test_rank_activities_orders_by_people_and_by_hours_and_keeps_ten() -> None:
    rows = [
        _activity(i, participants=i, minutes=1000 - i * 10, title=f"A{i:02d}") for i in range(1, 16)
    ]
    by_people, by_hours = rank_activities(rows)
    assert [r.activity_id for r in by_people] == list(range(15, 5, -1))
    assert [r.activity_id for r in by_hours] == list(range(1, 11))
    tie = rank_activities(
        [_activity(1, 5, 60, "B"), _activity(2, 5, 60, "A"), _activity(None, 5, 90)]
    )
    assert [r.activity_id for r in tie[0]] == [2, 1]  # outside the catalogue: not ranked


def test_a_chart_before_the_start_has_no_line_and_a_table_of_zeros(app) -> None:
    participants = measures()[0]
    with app.test_request_context():
        chart = line_chart(
            participants, [0.0] * 31, None, period=(START, END), today=date(2023, 1, 1)
        )
    assert chart.end is None and chart.line == "" and chart.target is None
    assert chart.today_x is None and chart.target_label is None
    assert [tick.label for tick in chart.y_ticks] == ["0", "1", "2", "3", "4"]
    assert len(chart.table.rows) == 31
    assert [cell.text for cell in chart.table.rows[-1].cells] == ["0", "0", "–"]


def test_a_running_chart_ends_today_with_its_total(app) -> None:
    hours = measures()[1]
    monthly = [10.0] * 31
    with app.test_request_context():
        chart = line_chart(hours, monthly, 400, period=(START, END), today=date(2024, 2, 10))
    assert chart.end_label == "60"  # September–February
    assert chart.today_x == chart.end[0]  # type: ignore[index]
    assert chart.target == (BOX.left, BOX.bottom, BOX.right, BOX.top)
    first = chart.table.rows[0]
    assert first.header == "september 2023"
    assert [cell.text for cell in first.cells][:2] == ["10,0", "10,0"]
