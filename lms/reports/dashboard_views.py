"""The coordinator dashboard: participants and hours over time against targets, top activities,
feedback, Transfer of Training rates, links to assessment analytics (issue 10).

Coordinators and admins, each within their report scope: the programmes they may see, and in
each only the completions of their organisation or department."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from lms.core.access import Permission, requires
from lms.core.db import db
from lms.core.time import local_date, utcnow
from lms.reports import dashboard_display as display
from lms.reports.dashboard_queries import load_dashboard, pick_programme
from lms.reports.programmes import list_programmes, may_create_programmes, may_manage_programme
from lms.reports.scope import reader_coverage

bp = Blueprint("report_dashboard", __name__)


@bp.route("/")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def index() -> Any:
    session = db.session()
    coverage = reader_coverage(current_user)
    programmes = list_programmes(session, coverage)
    today = local_date(utcnow())
    slug = request.args.get("program", "")
    # An unknown programme, or one outside the reader's scope, is not found (never a default).
    chosen = next((p for p in programmes if p.slug == slug), None) if slug else None
    if slug and chosen is None:
        abort(404)
    programme = chosen or pick_programme(programmes, today)
    if programme is None:
        return render_template(
            "reports/dashboard/empty.html", may_create=may_create_programmes(current_user)
        )
    data = load_dashboard(session, programme, coverage, today=today)
    return render_template(
        "reports/dashboard/index.html",
        programme=programme,
        programmes=programmes,
        may_manage=may_manage_programme(current_user, programme),
        scope_note=display.scope_note(current_user, coverage),
        **display.page(data, today),
    )
