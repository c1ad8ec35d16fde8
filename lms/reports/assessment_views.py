"""Assessment analytics pages: aggregates per round and between rounds, tables and charts.

Coordinators and admins only, and they see aggregates only: the figures come from the same
builder as `lms report assessment`, small groups suppressed (DESIGN §4, §7)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request

from lms.core.access import Permission, requires
from lms.core.db import db
from lms.reports import assessment_display as display
from lms.reports import assessment_queries as queries
from lms.reports.assessment_report import build_assessment_report, list_round_summaries

bp = Blueprint("assessment_reports", __name__)


def _min_group_size() -> int:
    return int(current_app.config["LMS"].min_group_size)


@bp.route("/")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def index() -> Any:
    smallest = _min_group_size()
    summaries = list_round_summaries(db.session(), smallest)
    return render_template(
        "reports/assessment_index.html",
        summaries=summaries,
        shown=display.round_lines(summaries),
        min_group_size=smallest,
    )


@bp.route("/<int:round_id>")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def show(round_id: int) -> Any:
    session = db.session()
    rounds = queries.list_report_rounds(session)
    round_ = next((r for r in rounds if r.id == round_id), None)
    if round_ is None:
        abort(404)
    others = [r for r in rounds if r.id != round_id]
    # An unknown or unreadable ?jamfor= simply means no comparison.
    compare = next((r for r in others if r.id == request.args.get("jamfor", type=int)), None)
    report = build_assessment_report(session, round_, compare, min_group_size=_min_group_size())
    areas, competences = queries.list_framework_names(session)
    return render_template(
        "reports/assessment_show.html",
        round_=round_,
        compare_round=compare,
        others=others,
        report=report,
        min_group_size=report["min_group_size"],
        **display.page(report, areas, competences),
    )
