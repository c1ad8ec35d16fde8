"""The employee's pages: my competence over time and the self-assessment, one step per answer."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from lms.assessment import access
from lms.assessment import self_queries as queries
from lms.assessment.models import Assessment
from lms.assessment.rounds_base import is_open
from lms.assessment.self_assessment import (
    no_role_message,
    save_answer,
    start_assessment,
    submit_assessment,
)
from lms.assessment.self_forms import AnswerForm, ConfirmForm
from lms.core.access import authenticated
from lms.core.db import db
from lms.core.errors import DomainError, NotFound
from lms.core.events import log_event
from lms.core.forms import show_error
from lms.core.time import local_date, utcnow

bp = Blueprint("assessment", __name__)
STEP_TEMPLATE = "assessment/self/step.html"


@bp.errorhandler(CSRFError)
def _expired(error: CSRFError) -> Any:
    """A form sent after the session ended (or the page grew stale) saves nothing, and says so.

    The answers saved automatically before are kept; the browser keeps the unsaved one.
    """
    log_event("csrf.refused", logging.WARNING)
    signed_in = current_user.is_authenticated
    message = (
        _("The page had expired, so your last change was not saved. Check it and save again.")
        if signed_in
        else _("You had been logged out, so your last change was not saved. Log in again.")
    )
    if request.endpoint == "assessment.autosave":
        return jsonify(errors={"session": [message]}, logged_out=not signed_in), 400
    flash(message, "error")
    back = request.path if request.endpoint == "assessment.step" else url_for(".index")
    return redirect(back if signed_in else url_for("accounts.login", next=back))


def _own(assessment_id: int) -> Assessment:
    try:
        return access.get_own_assessment(db.session(), current_user, assessment_id)
    except NotFound:
        abort(404)


def _locked_redirect(assessment: Assessment) -> Any | None:
    """Where to send someone from the form of an assessment that can no longer be changed."""
    if not assessment.is_draft:
        flash(_("You have submitted this assessment. Here it is as submitted."), "info")
        return redirect(url_for("conversation.show", assessment_id=assessment.id))
    if not is_open(assessment.round, local_date(utcnow())):
        flash(_("The assessment round has closed, so answers can no longer be changed."), "error")
        return redirect(url_for(".index"))
    return None


def _applicable() -> list[queries.ApplicableCompetence]:
    # A draft follows the person's current job role; submitting records it on the assessment.
    return queries.list_applicable(db.session(), current_user.job_role_id)


@bp.route("/")
@authenticated
def index() -> Any:
    session = db.session()
    applicable = _applicable()
    rounds = queries.list_my_rounds(
        session, current_user, local_date(utcnow()), [item.id for item in applicable]
    )
    return render_template(
        "assessment/self/index.html",
        rounds=rounds,
        total=len(applicable),
        history=queries.list_my_history(session, current_user),
        form=ConfirmForm(),
    )


@bp.route("/omgang/<int:round_id>/starta", methods=["POST"])
@authenticated
def start(round_id: int) -> Any:
    round_ = access.get_round(db.session(), round_id)
    if round_ is None:
        abort(404)
    try:
        assessment = start_assessment(db.session(), current_user, round_, local_date(utcnow()))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for(".index"))
    db.session.commit()
    return redirect(url_for(".step", assessment_id=assessment.id, number=1))


@bp.route("/<int:assessment_id>/steg/<int:number>", methods=["GET", "POST"])
@authenticated
def step(assessment_id: int, number: int) -> Any:
    assessment = _own(assessment_id)
    if (locked := _locked_redirect(assessment)) is not None:
        return locked
    items = _applicable()
    if not items:
        flash(str(no_role_message()), "error")
        return redirect(url_for(".index"))
    if not 1 <= number <= len(items):
        abort(404)
    item = items[number - 1]
    form = AnswerForm()
    form.setup(item)
    ratings = queries.list_ratings(db.session(), assessment)
    if request.method == "GET":
        form.load(ratings.get(item.id))
    elif form.validate_on_submit() and _save(form, assessment, item.id):
        return redirect(_next_page(assessment, number, len(items)))
    return render_template(
        STEP_TEMPLATE,
        assessment=assessment,
        item=item,
        items=items,
        number=number,
        form=form,
        ratings=ratings,
        answered=sum(queries.is_answered(ratings.get(i.id)) for i in items),
    )


def _save(form: AnswerForm, assessment: Assessment, default_competence: int) -> bool:
    """Save the posted answer; a refusal goes next to its field and saves nothing."""
    error = _save_answer(form, assessment, form.competence_id(default_competence), utcnow())
    if error is not None:
        show_error(form, error)
    return error is None


def _save_answer(
    form: AnswerForm, assessment: Assessment, competence_id: int, now: datetime
) -> DomainError | None:
    """Save one answer and commit; the refusal (nothing saved) is returned."""
    try:
        save_answer(
            db.session(),
            current_user,
            assessment,
            competence_id,
            self_level=form.self_level.data,
            motivation=form.motivation.data,
            comment=form.comment.data or "",
            now=now,
        )
    except DomainError as error:
        db.session.rollback()
        return error
    db.session.commit()
    return None


def _next_page(assessment: Assessment, number: int, total: int) -> str:
    if request.form.get("action") == "previous" and number > 1:
        return url_for(".step", assessment_id=assessment.id, number=number - 1)
    if request.form.get("action") == "summary" or number >= total:
        return url_for(".summary", assessment_id=assessment.id)
    return url_for(".step", assessment_id=assessment.id, number=number + 1)


@bp.route("/<int:assessment_id>/utkast", methods=["POST"])
@authenticated
def autosave(assessment_id: int) -> Any:
    """Save one answer of the step form as it changes (assessment.js); answers JSON."""
    assessment = _own(assessment_id)
    form = AnswerForm()
    if not form.validate():
        return jsonify(errors=form.errors), 400
    now = utcnow()
    error = _save_answer(form, assessment, form.competence_id(0), now)
    if error is not None:
        return jsonify(errors={error.field or "form": [str(error.message)]}), error.status_code
    return jsonify(saved=True, saved_at=format_datetime(now, "HH:mm"), saved_at_utc=now.isoformat())


@bp.route("/<int:assessment_id>/granska")
@authenticated
def summary(assessment_id: int) -> Any:
    assessment = _own(assessment_id)
    if (locked := _locked_redirect(assessment)) is not None:
        return locked
    items = _applicable()
    ratings = queries.list_ratings(db.session(), assessment)
    return render_template(
        "assessment/self/summary.html",
        assessment=assessment,
        items=items,
        ratings=ratings,
        missing=[i for i in items if not queries.is_answered(ratings.get(i.id))],
        form=ConfirmForm(),
    )


@bp.route("/<int:assessment_id>/skicka", methods=["POST"])
@authenticated
def submit(assessment_id: int) -> Any:
    assessment = _own(assessment_id)
    if (locked := _locked_redirect(assessment)) is not None:
        return locked
    try:
        submit_assessment(db.session(), current_user, assessment, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for(".summary", assessment_id=assessment.id))
    db.session.commit()
    if current_user.manager_id is not None:
        flash(_("Your self-assessment was submitted and your manager has been told."), "success")
    else:
        flash(_("Your self-assessment was submitted."), "success")
    return redirect(url_for(".index"))
