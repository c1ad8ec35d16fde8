"""The coordinators' view of learning requests: aggregated wishes, answered with an activity.

Coordinators and administrators see how many wished for what, per department, and the texts
written for them; never who asked or any rating (DESIGN §7).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.assessment import requests
from lms.assessment.plan_forms import AnswerForm
from lms.assessment.plan_queries import list_matching_activities
from lms.assessment.request_queries import list_answer_activities, list_request_summary
from lms.catalog.models import Activity
from lms.core.access import Permission, requires
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.forms import show_error
from lms.core.time import utcnow

bp = Blueprint("learning_requests", __name__)
coordinators = requires(Permission.COORDINATOR, Permission.ADMIN)


def _render(posted: AnswerForm | None = None, competence_id: int | None = None) -> str:
    session = db.session()
    summary = list_request_summary(session)
    every = list_answer_activities(session)
    matching = list_matching_activities(session, [entry.competence_id for entry in summary])
    forms = {}
    for entry in summary:
        prefix = f"answer-{entry.competence_id}"
        form = posted if posted is not None and competence_id == entry.competence_id else None
        form = form or AnswerForm(prefix=prefix, formdata=None)
        fitting = {a.id for a in matching.get(entry.competence_id, [])}
        form.setup(
            matching=[(a.id, a.title) for a in matching.get(entry.competence_id, [])],
            others=[(a_id, title) for a_id, title in every if a_id not in fitting],
            departments=[(d.department_id, d.name) for d in entry.departments],
            everyone=_("Everyone who wished (%(n)d)", n=entry.total),
        )
        forms[entry.competence_id] = form
    return render_template("assessment/requests/index.html", summary=summary, forms=forms)


@bp.route("/")
@coordinators
def index() -> Any:
    return _render()


@bp.route("/<int:competence_id>/svara", methods=["POST"])
@coordinators
def answer(competence_id: int) -> Any:
    form = AnswerForm(prefix=f"answer-{competence_id}")
    if form.validate_on_submit():
        activity = db.session.get(Activity, form.activity.data)
        if activity is None:
            form.activity.errors = [_("Choose an activity.")]
        else:
            try:
                answered = requests.answer_requests(
                    db.session(),
                    current_user,
                    competence_id,
                    activity,
                    department_id=form.department_id(),
                    now=utcnow(),
                )
            except DomainError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)d wish was answered; the person who asked has been told.",
                        "%(num)d wishes were answered; the people who asked have been told.",
                        answered,
                    ),
                    "success",
                )
                return redirect(url_for("learning_requests.index"))
    return _render(form, competence_id)
