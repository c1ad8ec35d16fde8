"""The manager's pages: the team's assessments and the conversation (agreed levels, notes)."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.assessment import access, conversation
from lms.assessment import conversation_queries as queries
from lms.assessment.conversation_forms import AgreeForm, HoldForm, NotesForm, agree_form
from lms.assessment.models import Assessment
from lms.core.access import Permission, authenticated, requires
from lms.core.db import db
from lms.core.errors import NotFound
from lms.core.forms import commit_or_show
from lms.core.time import local_date, utcnow

bp = Blueprint("conversation", __name__)
T = TypeVar("T")


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"status_labels": queries.TEAM_STATUS_LABELS}


def _visible(assessment_id: int) -> Assessment:
    try:
        return access.get_visible_assessment(db.session(), current_user, assessment_id)
    except NotFound:
        abort(404)


def _managed(assessment_id: int) -> Assessment:
    """The assessment for a manager in the chain; a draft is not theirs to see yet."""
    try:
        assessment = access.get_managed_assessment(db.session(), current_user, assessment_id)
    except NotFound:
        abort(404)
    if assessment.is_draft:
        abort(404)
    return assessment


def _back(assessment: Assessment, anchor: str) -> Any:
    return redirect(url_for("conversation.show", assessment_id=assessment.id, _anchor=anchor))


def _render_show(assessment: Assessment, **forms: Any) -> str:
    session = db.session()
    areas = queries.conversation_rows(session, assessment)
    managing = access.is_manager_of(session, current_user, assessment)
    if managing:
        notes = NotesForm(formdata=None, notes=assessment.conversation_notes)
        forms = {
            "agree_form": agree_form(areas, formdata=None),
            "notes_form": notes,
            "hold_form": HoldForm(formdata=None),
            **forms,
        }
    return render_template(
        "assessment/conversation/show.html",
        assessment=assessment,
        areas=areas,
        managing=managing,
        reviewer=queries.get_reviewer_name(session, assessment),
        **forms,
    )


@bp.route("/")
@requires(Permission.MANAGER)
def team() -> Any:
    members = queries.list_team(db.session(), current_user, local_date(utcnow()))
    return render_template("assessment/conversation/team.html", members=members)


@bp.route("/<int:assessment_id>")
@authenticated
def show(assessment_id: int) -> Any:
    assessment = _visible(assessment_id)
    if assessment.is_draft:
        if not access.is_owner(current_user, assessment):
            abort(404)
        # The person's own draft: the conversation starts once it is submitted.
        return redirect(url_for("assessment.step", assessment_id=assessment.id, number=1))
    return _render_show(assessment)


@bp.route("/<int:assessment_id>/nivaer", methods=["POST"])
@authenticated
def agree(assessment_id: int) -> Any:
    assessment = _managed(assessment_id)
    form: AgreeForm = agree_form(queries.conversation_rows(db.session(), assessment))
    if form.validate_on_submit():
        levels = form.levels()
        changed = commit_or_show(
            form,
            lambda: conversation.agree_levels(
                db.session(), current_user, assessment, levels, utcnow()
            ),
        )
        if changed is not None:
            flash(_saved_levels_message(changed), "success")
            return _back(assessment, "levels")
    flash(_("Some agreed levels could not be saved. See the marked rows."), "error")
    return _render_show(assessment, agree_form=form)


def _saved_levels_message(changed: int) -> str:
    if not changed:
        return _("No agreed level was changed.")
    return ngettext("%(num)d agreed level was saved.", "%(num)d agreed levels were saved.", changed)


@bp.route("/<int:assessment_id>/anteckningar", methods=["POST"])
@authenticated
def notes(assessment_id: int) -> Any:
    assessment = _managed(assessment_id)
    form = NotesForm()
    if form.validate_on_submit():
        text = form.notes.data or ""
        done = commit_or_show(
            form,
            lambda: conversation.save_conversation_notes(
                db.session(), current_user, assessment, text
            ),
        )
        if done:
            flash(_("The conversation notes were saved."), "success")
            return _back(assessment, "notes-heading")
    return _render_show(assessment, notes_form=form)


@bp.route("/<int:assessment_id>/hallet", methods=["POST"])
@authenticated
def hold(assessment_id: int) -> Any:
    assessment = _managed(assessment_id)
    form = HoldForm()
    if not form.validate_on_submit():
        abort(400)
    marked = commit_or_show(
        form,
        lambda: conversation.mark_conversation_held(
            db.session(), current_user, assessment, utcnow()
        ),
    )
    if marked:
        flash(
            _("The conversation is marked as held. %(name)s was told.", name=assessment.user.name),
            "success",
        )
    elif marked is not None:
        flash(_("The conversation was already marked as held."), "info")
    return _back(assessment, "held")
