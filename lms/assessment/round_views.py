"""The coordinators' round pages: create and edit rounds, progress per department (counts).

A reader finds only the rounds their report scope meets (any other is 404, like an unknown
id) and counts only its people; who may change which round is decided in
`lms.assessment.rounds`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import targets
from lms.accounts.queries import list_departments, list_organisations
from lms.accounts.scope import reader_coverage
from lms.assessment import round_queries as queries
from lms.assessment import rounds
from lms.assessment.models import AssessmentRound
from lms.assessment.round_forms import PHASE_LABELS, RoundForm
from lms.assessment.rounds_base import phase
from lms.core.access import Permission, requires
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.forms import commit_or_show
from lms.core.time import local_date, utcnow

bp = Blueprint("rounds", __name__)
coordinators = requires(Permission.COORDINATOR, Permission.ADMIN)


def percent(share: float | None) -> str:
    """A share as "42 %" in the reader's language; "–" when there is nobody to count."""
    return "–" if share is None else str(format_percent(share))


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "phase_labels": PHASE_LABELS,
        "phase_of": phase,
        "percent": percent,
        "today": local_date(utcnow()),
        "may_create_rounds": lambda: rounds.may_create_rounds(current_user),
        "may_manage_round": lambda round_: rounds.may_manage_round(current_user, round_),
    }


def _load(round_id: int, *, manage: bool = False) -> AssessmentRound:
    """The round the reader's scope meets (404 otherwise); with `manage`, 403 unless they may
    change it."""
    round_ = queries.get_round(db.session(), round_id, reader_coverage(current_user))
    if round_ is None:
        abort(404)
    if manage and not rounds.may_manage_round(current_user, round_):
        abort(403)
    return round_


def _form(round_: AssessmentRound | None) -> RoundForm:
    form = RoundForm()
    session = db.session()
    locked = round_ is not None and round_.announced_at is not None
    organisations, departments = targets.choosable(
        current_user, list_organisations(session), list_departments(session)
    )
    form.setup(organisations, departments, start_locked=locked)
    if round_ is not None and request.method == "GET":
        form.load(round_)
    return form


def _save(form: RoundForm, round_: AssessmentRound | None) -> AssessmentRound | None:
    """Create or update with one service call and commit; a refusal goes next to its field."""
    data = form.round_data(round_)

    def save() -> AssessmentRound:
        if round_ is None:
            return rounds.create_round(db.session(), current_user, data)
        return rounds.update_round(db.session(), current_user, round_, data)

    return commit_or_show(form, save, show=form.show_error)


@bp.route("/")
@coordinators
def index() -> Any:
    session = db.session()
    coverage = reader_coverage(current_user)
    found = queries.list_rounds(session, coverage)
    totals = queries.count_round_totals(session, found, coverage)
    return render_template("assessment/rounds/index.html", rounds=found, totals=totals)


@bp.route("/ny", methods=["GET", "POST"])
@coordinators
def new() -> Any:
    if not rounds.may_create_rounds(current_user):
        abort(403)
    form = _form(None)
    if form.validate_on_submit() and (saved := _save(form, None)) is not None:
        flash(_("The round was created. Its people are told when it opens."), "success")
        return redirect(url_for("rounds.show", round_id=saved.id))
    return render_template("assessment/rounds/new.html", form=form)


@bp.route("/<int:round_id>/redigera", methods=["GET", "POST"])
@coordinators
def edit(round_id: int) -> Any:
    round_ = _load(round_id, manage=True)
    form = _form(round_)
    if form.validate_on_submit() and _save(form, round_) is not None:
        flash(_("Your changes were saved."), "success")
        return redirect(url_for("rounds.show", round_id=round_.id))
    started = queries.count_assessments(db.session(), round_)
    return render_template("assessment/rounds/edit.html", round=round_, form=form, started=started)


@bp.route("/<int:round_id>/ta-bort", methods=["POST"])
@coordinators
def delete(round_id: int) -> Any:
    round_ = _load(round_id, manage=True)
    name = round_.name
    try:
        rounds.delete_round(db.session(), current_user, round_)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("rounds.edit", round_id=round_id))
    db.session.commit()
    flash(_("The round %(name)s was deleted.", name=name), "success")
    return redirect(url_for("rounds.index"))


@bp.route("/<int:round_id>")
@coordinators
def show(round_id: int) -> Any:
    round_ = _load(round_id)
    coverage = reader_coverage(current_user)
    progress = queries.count_progress(db.session(), round_, coverage)
    return render_template(
        "assessment/rounds/show.html",
        round=round_,
        progress=progress,
        scoped=coverage is not None,
    )
