"""Assessment analytics pages: aggregates per round and between rounds, tables and charts.

Coordinators and admins only, and they see aggregates only: the figures come from the same
builder as `lms report assessment`, small groups suppressed (DESIGN §4, §7). A coordinator
whose report scope is their organisation or department sees the rounds that concern it and
only its people's figures (`lms.reports.scope`); the page says which part it covers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy.orm import Session

from lms.core.access import Permission, requires
from lms.core.db import db
from lms.reports import assessment_display as display
from lms.reports import assessment_queries as queries
from lms.reports.assessment_report import build_assessment_report, list_round_summaries
from lms.reports.esf_data import Coverage
from lms.reports.scope import reader_coverage

bp = Blueprint("assessment_reports", __name__)


def _min_group_size() -> int:
    return int(current_app.config["LMS"].min_group_size)


def _reader_scope(session: Session) -> tuple[Coverage | None, display.Scope | None]:
    """The reader's coverage and how the page states it (None, None: everything)."""
    coverage = reader_coverage(current_user)
    if coverage is None:
        return None, None
    return coverage, display.scope(*queries.list_scope_names(session, coverage))


@bp.route("/")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def index() -> Any:
    session = db.session()
    smallest = _min_group_size()
    coverage, scope = _reader_scope(session)
    summaries = list_round_summaries(session, smallest, coverage)
    return render_template(
        "reports/assessment_index.html",
        summaries=summaries,
        shown=display.round_lines(summaries),
        min_group_size=smallest,
        scope=scope,
    )


@bp.route("/<int:round_id>")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def show(round_id: int) -> Any:
    session = db.session()
    coverage, scope = _reader_scope(session)
    rounds = queries.list_report_rounds(session, coverage)
    round_ = next((r for r in rounds if r.id == round_id), None)
    if round_ is None:  # unknown, or concerning nobody within the reader's scope
        abort(404)
    others = [r for r in rounds if r.id != round_id]
    # An unknown or unreadable ?jamfor= simply means no comparison.
    compare = next((r for r in others if r.id == request.args.get("jamfor", type=int)), None)
    report = build_assessment_report(
        session, round_, compare, min_group_size=_min_group_size(), coverage=coverage
    )
    areas, competences = queries.list_framework_names(session)
    return render_template(
        "reports/assessment_show.html",
        round_=round_,
        compare_round=compare,
        others=others,
        report=report,
        min_group_size=report["min_group_size"],
        scope=scope,
        **display.page(report, areas, competences),
    )
