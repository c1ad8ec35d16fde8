"""The start page and the accessibility statement with its problem-report form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.catalog.browse_forms import template_labels
from lms.core.access import Permission, authenticated, public, requires
from lms.core.db import db
from lms.core.pagination import paginate
from lms.core.time import utcnow
from lms.home.forms import AccessibilityReportForm
from lms.home.models import AccessibilityReport
from lms.home.services import report_accessibility_problem
from lms.home.start import build_start_page
from lms.recommend.views import refresh_recommendations

bp = Blueprint("home", __name__)
# The start page lists activities with the catalogue's own format labels.
bp.context_processor(template_labels)


@bp.route("/")
@authenticated
def index() -> Any:
    user, now = current_user._get_current_object(), utcnow()
    refresh_recommendations(user, now)
    page = build_start_page(db.session(), user, now=now)
    return render_template("home/index.html", page=page)


@bp.route("/tillganglighet", methods=["GET", "POST"])
@public
def accessibility() -> Any:
    form = AccessibilityReportForm()
    if form.validate_on_submit():
        report_accessibility_problem(
            db.session(),
            page_url=form.page_url.data or "",
            description=form.description.data or "",
            contact_email=form.contact_email.data,
            user_id=current_user.id if current_user.is_authenticated else None,
            notify_address=current_app.config["LMS"].accessibility_contact,
        )
        db.session.commit()
        flash(_("Thank you! Your report has been sent to us."), "success")
        return redirect(url_for("home.accessibility"))
    return render_template("home/accessibility.html", form=form)


@bp.route("/admin/accessibility-reports")
@requires(Permission.ADMIN)
def accessibility_reports() -> Any:
    stmt = select(AccessibilityReport).order_by(AccessibilityReport.created_at.desc())
    page = paginate(db.session(), stmt, request.args.get("page", 1, type=int) or 1, per_page=25)
    return render_template("admin/accessibility_reports.html", page=page)
