"""My learning, my team's learning, external learning and feedback (blueprint `personal`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.core.access import Permission, authenticated, requires
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.forms import show_error
from lms.core.i18n import _l
from lms.core.time import local_date, utcnow
from lms.progress import personal

bp = Blueprint("personal", __name__)


class ExternalLearningForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=personal.TITLE_LENGTH)])
    learned_on = DateField(_l("Date"), validators=[InputRequired()])
    hours = DecimalField(
        _l("Hours"),
        places=None,
        validators=[InputRequired(), NumberRange(min=0, max=personal.MAX_EXTERNAL_HOURS)],
    )
    description = TextAreaField(_l("What did you learn?"), validators=[Optional()])


class FeedbackForm(FlaskForm):
    rating = RadioField(
        _l("Rating (1 = poor, 5 = excellent)"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validators=[InputRequired(_l("Choose a rating from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=4000)])
    will_apply = BooleanField(_l("I will use this at work"))


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=4000)])


@bp.route("/")
@authenticated
def index() -> Any:
    session = db.session()
    learning = personal.my_learning(session, current_user, today=local_date(utcnow()))
    owned = (
        personal.list_owned_activities(session, current_user)
        if current_user.has(Permission.COURSE_OWNER)
        else []
    )
    summary = personal.feedback_summary(session, [activity.id for activity in owned])
    return render_template(
        "progress/personal_index.html", learning=learning, owned=owned, summary=summary
    )


@bp.route("/extern", methods=["GET", "POST"])
@authenticated
def report_external() -> Any:
    form = ExternalLearningForm()
    if form.validate_on_submit():
        try:
            personal.report_external_learning(
                db.session(), current_user, title=form.title.data or "",
                learned_on=form.learned_on.data, hours=form.hours.data,
                description=form.description.data or "",
            )  # fmt: skip
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Thank you. Your manager will approve or reject the report."), "success")
            return redirect(url_for("personal.index"))
    return render_template("progress/personal_external.html", form=form)


@bp.route("/aterkoppling/<int:completion_id>", methods=["GET", "POST"])
@authenticated
def feedback(completion_id: int) -> Any:
    completion = personal.get_own_completion(db.session(), current_user, completion_id)
    if completion is None:
        abort(404)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            personal.give_feedback(
                db.session(), current_user, completion, rating=int(form.rating.data or 0),
                comment=form.comment.data or "", will_apply=bool(form.will_apply.data),
            )  # fmt: skip
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Thank you for your feedback."), "success")
            return redirect(url_for("personal.index"))
    return render_template("progress/personal_feedback.html", form=form, completion=completion)


@bp.route("/team")
@requires(Permission.MANAGER)
def team() -> Any:
    session = db.session()
    return render_template(
        "progress/personal_team.html",
        members=personal.team_overview(session, current_user),
        reports=personal.list_reports_for_manager(session, current_user),
        form=DecisionForm(),
    )


@bp.route("/team/extern/<int:report_id>", methods=["POST"])
@requires(Permission.MANAGER)
def decide(report_id: int) -> Any:
    report = personal.get_external_learning(db.session(), current_user, report_id)
    if report is None:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    approve = request.form.get("decision") == "approve"
    try:
        personal.decide_external_learning(
            db.session(), current_user, report, approve=approve,
            comment=form.comment.data or "", now=utcnow(),
        )  # fmt: skip
    except DomainError as error:
        if error.status_code == 403:
            abort(403)
        flash(str(error.message), "error")
        return redirect(url_for("personal.team"))
    db.session.commit()
    flash(_("The report is approved.") if approve else _("The report is rejected."), "success")
    return redirect(url_for("personal.team"))
