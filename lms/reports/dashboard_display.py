"""The coordinator dashboard as the page shows it: the ESF report's headline figures (formatted
as on the ESF page), the two line charts against the target line, the top activities, feedback
and Transfer of Training, in words and numbers. Geometry is `dashboard_charts`; nothing here
recomputes an ESF figure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date, format_decimal, format_percent, gettext

from lms.accounts.models import ReportScope, User
from lms.reports import dashboard_charts as charts
from lms.reports.assessment_display import Row, Shown, Table
from lms.reports.dashboard_queries import DashboardData, FeedbackRow
from lms.reports.esf_data import ActivityRow, Coverage
from lms.reports.esf_display import count, format_label, hours, key_figures
from lms.transfer.rules import TransferFigures

TOP_FEEDBACK = 10  # activities in the feedback table
MIN_RESPONSES = 3  # fewer feedback responses on an activity: its averages are not shown


# --- line charts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    sub: str = ""  # a second line (the year under a month)


@dataclass(frozen=True)
class LineChart:
    """A cumulative line against the target line, in SVG user units, with its data table."""

    id: str
    title: str
    desc: str
    line_label: str
    target_label: str | None
    today_label: str
    width: int
    height: int
    box: charts.Box
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    month_marks: list[float]
    line: str  # polyline points
    end: tuple[float, float] | None  # the latest point, marked with a dot
    end_label: str  # its value
    target: tuple[float, float, float, float] | None  # x1, y1, x2, y2
    today_x: float | None
    table: Table


@dataclass(frozen=True)
class Measure:
    """What one chart follows (participants or hours): its words and how its numbers read."""

    key: str
    title: str
    line: str  # the legend of the running total
    column: str  # the table's header of each month's own value
    axis: Callable[[float], str]  # on the axis and at the end of the line
    cell: Callable[[float], str]  # in the table, as the ESF page writes them
    whole: bool  # whole steps on the axis


def measures() -> list[Measure]:
    return [
        Measure(
            key="participants",
            title=gettext("Participants over time"),
            line=gettext("Participants so far"),
            column=gettext("New this month"),
            axis=_count,
            cell=_count,
            whole=True,
        ),
        Measure(
            key="hours",
            title=gettext("Hours over time"),
            line=gettext("Hours so far"),
            column=gettext("This month"),
            axis=_whole_hours,
            cell=hours,
            whole=False,
        ),
    ]


def _count(value: float) -> str:
    return count(round(value))


def _whole_hours(value: float) -> str:
    return format_decimal(round(value), format="#,##0")


def _round(value: float) -> float:
    return round(value, 1)


def _end(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """The last point of a line that has more than its starting point."""
    if len(points) < 2:
        return None
    x, y = points[-1]
    return _round(x), _round(y)


def _month_name(day: date) -> str:
    return str(format_date(day, "LLL")).rstrip(".")


def _month_table(
    measure: Measure, monthly: Sequence[float], target: float | None, period: tuple[date, date]
) -> Table:
    """Each month's own value, the running total and the target line at the month's end."""
    start, end = period
    rows = []
    for month, value, total in zip(
        charts.month_starts(start, end), monthly, charts.cumulative(monthly), strict=True
    ):
        planned = charts.target_by(min(charts.month_end(month), end), target, start, end)
        cells = [measure.cell(value), measure.cell(total)]
        cells.append(measure.cell(planned) if planned is not None else "–")
        rows.append(Row(str(format_date(month, "LLLL y")), [Shown(text) for text in cells]))
    columns = [gettext("Month"), measure.column, gettext("So far"), gettext("Target line")]
    return Table(measure.title, columns, rows)


def _desc(measure: Measure, total: float, target: float | None, by: date, end: date) -> str:
    """The chart in one sentence, for screen readers."""
    if target is None:
        return gettext(
            "%(what)s: %(total)s on %(day)s. The table below has the figures per month.",
            what=measure.line,
            total=measure.axis(total),
            day=format_date(by, "d MMMM y"),
        )
    return gettext(
        "%(what)s: %(total)s on %(day)s, against the target line from 0 at the start to "
        "%(target)s on %(end)s. The table below has the figures per month.",
        what=measure.line,
        total=measure.axis(total),
        day=format_date(by, "d MMMM y"),
        target=measure.axis(target),
        end=format_date(end, "d MMMM y"),
    )


def line_chart(
    measure: Measure,
    monthly: Sequence[float],
    target: float | None,
    *,
    period: tuple[date, date],
    today: date,
) -> LineChart:
    """The chart of `monthly` values cumulated over the period against the target line."""
    start, end = period
    geometry = charts.geometry(
        monthly, target, start=start, end=end, today=today, whole=measure.whole
    )
    drawn = len(geometry.actual) - 1  # months on the line (the first point is the start)
    totals = charts.cumulative(monthly)
    return LineChart(
        id=f"chart-{measure.key}",
        title=measure.title,
        desc=_desc(measure, totals[drawn - 1] if drawn > 0 else 0, target, _by(today, period), end),
        line_label=measure.line,
        target_label=gettext("Target line") if target is not None else None,
        today_label=gettext("today"),
        width=charts.WIDTH,
        height=charts.HEIGHT,
        box=geometry.box,
        y_ticks=[Tick(_round(y), measure.axis(value)) for value, y in geometry.y_ticks],
        x_ticks=[
            Tick(_round(x), _month_name(month), str(month.year))
            for month, x in geometry.labelled_months
        ],
        month_marks=[_round(x) for x in geometry.month_marks],
        line=charts.polyline(geometry.actual),
        end=_end(geometry.actual),
        end_label=measure.axis(totals[drawn - 1]) if drawn > 0 else "",
        target=(*geometry.target[0], *geometry.target[1]) if geometry.target else None,
        today_x=_round(geometry.today_x) if geometry.today_x is not None else None,
        table=_month_table(measure, monthly, target, period),
    )


def _by(today: date, period: tuple[date, date]) -> date:
    """The day the line has come to: today, within the period."""
    start, end = period
    return min(max(today, start), end)


def progress_charts(report: Mapping[str, Any], today: date) -> list[LineChart]:
    """Participants and hours over the programme's period, each against its target line."""
    period = (
        date.fromisoformat(report["period"]["from"]),
        date.fromisoformat(report["period"]["to"]),
    )
    targets = report["targets"] or {}
    monthly = {
        "participants": [float(m["new_participants"]) for m in report["by_month"]],
        "hours": [float(m["hours"]) for m in report["by_month"]],
    }
    return [
        line_chart(
            measure, monthly[measure.key], targets.get(measure.key), period=period, today=today
        )
        for measure in measures()
    ]


# --- top activities ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityLine:
    title: str
    slug: str | None  # None: not in the catalogue (no link)
    participants: str
    hours: str


def _activity_line(row: ActivityRow, slugs: Mapping[int, str]) -> ActivityLine:
    return ActivityLine(
        title=_title(row.activity_id, row.title),
        slug=slugs.get(row.activity_id) if row.activity_id is not None else None,
        participants=count(row.participants),
        hours=hours(row.minutes / 60),
    )


def _title(activity_id: int | None, title: str) -> str:
    return title if activity_id is not None else gettext("Training outside the catalogue")


def top_lines(
    ranked: tuple[Sequence[ActivityRow], Sequence[ActivityRow]], slugs: Mapping[int, str]
) -> tuple[list[ActivityLine], list[ActivityLine]]:
    by_people, by_hours = ranked
    return (
        [_activity_line(row, slugs) for row in by_people],
        [_activity_line(row, slugs) for row in by_hours],
    )


# --- feedback ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackLine:
    label: str
    slug: str | None
    responses: str
    mean: str  # "" when too few responses
    will_apply: str
    too_few: bool


@dataclass(frozen=True)
class FeedbackView:
    responses: int
    mean: str
    will_apply: str
    by_format: list[FeedbackLine]
    by_activity: list[FeedbackLine]


def _line(label: str, slug: str | None, rows: Sequence[FeedbackRow]) -> FeedbackLine:
    responses = sum(r.responses for r in rows)
    too_few = responses < MIN_RESPONSES
    return FeedbackLine(
        label=label,
        slug=slug,
        responses=count(responses),
        mean="" if too_few else _mean(rows),
        will_apply="" if too_few else _share(rows),
        too_few=too_few,
    )


def _mean(rows: Sequence[FeedbackRow]) -> str:
    responses = sum(r.responses for r in rows)
    if not responses:
        return "–"
    return format_decimal(sum(r.rating_sum for r in rows) / responses, format="0.0")


def _share(rows: Sequence[FeedbackRow]) -> str:
    responses = sum(r.responses for r in rows)
    if not responses:
        return "–"
    return format_percent(sum(r.will_apply for r in rows) / responses)


def feedback_view(rows: Sequence[FeedbackRow]) -> FeedbackView:
    """Totals, per format and per activity (the ten with most responses)."""
    formats: dict[str, list[FeedbackRow]] = defaultdict(list)
    for row in rows:
        formats[row.format].append(row)
    by_format = sorted(formats.items(), key=lambda item: -sum(r.responses for r in item[1]))
    return FeedbackView(
        responses=sum(r.responses for r in rows),
        mean=_mean(rows),
        will_apply=_share(rows),
        by_format=[_line(format_label(key), None, group) for key, group in by_format],
        by_activity=[
            _line(_title(row.activity_id, row.title), row.slug, [row])
            for row in rows[:TOP_FEEDBACK]
        ],
    )


# --- Transfer of Training ----------------------------------------------------------------------


@dataclass(frozen=True)
class TransferView:
    figures: TransferFigures
    pre_task_rate: str
    follow_up_rate: str


def transfer_view(figures: TransferFigures) -> TransferView:
    def rate(value: float | None) -> str:
        return "–" if value is None else format_percent(value)

    return TransferView(figures, rate(figures.pre_task_rate), rate(figures.follow_up_rate))


# --- the page ---------------------------------------------------------------------------------


def scope_note(user: User, coverage: Coverage | None) -> str:
    """Which part of the programme the reader sees."""
    if coverage is None:
        return gettext("Your report scope: the whole programme")
    if user.report_scope == ReportScope.DEPARTMENT and user.department is not None:
        return gettext("Your report scope: %(unit)s", unit=user.department.name)
    return gettext("Your report scope: %(unit)s", unit=user.organisation.name)


def page(data: DashboardData, today: date) -> dict[str, Any]:
    """Everything the dashboard lays out (the numbers are the report's and the queries')."""
    by_people, by_hours = top_lines(data.top_activities, data.slugs)
    return {
        "report": data.report,
        "key_figures": key_figures(data.report),
        "progress_charts": progress_charts(data.report, today),
        "top_by_participants": by_people,
        "top_by_hours": by_hours,
        "outside": _activity_line(data.outside, {}) if data.outside is not None else None,
        "feedback": feedback_view(data.feedback),
        "transfer": transfer_view(data.transfer),
    }
