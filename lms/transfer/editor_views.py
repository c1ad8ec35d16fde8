"""The course owner's pages: editing an activity's tasks and its Transfer of Training figures."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.catalog.forms import MoveForm, show_error
from lms.catalog.lessons import render_preview
from lms.catalog.models import Activity
from lms.catalog.services import require_edit
from lms.core.access import Permission, requires
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.markdown import RenderedMarkdown
from lms.core.time import local_date, utcnow
from lms.transfer import authoring
from lms.transfer import owner_queries as queries
from lms.transfer.editor_forms import (
    KIND_HINTS,
    KIND_LABELS,
    PHASE_LABELS,
    PeriodForm,
    TaskEditForm,
    TaskForm,
)
from lms.transfer.models import TaskPhase, TransferTask

bp = Blueprint("transfer_editor", __name__)
editors = requires(Permission.COURSE_OWNER, Permission.COORDINATOR)


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "kind_hints": KIND_HINTS, "phase_labels": PHASE_LABELS}


def _load(slug: str) -> Activity:
    activity = queries.get_activity(db.session(), slug)
    if activity is None:
        abort(404)
    require_edit(current_user, activity)
    return activity


def _load_task(activity: Activity, task_id: int) -> TransferTask:
    task = queries.get_task(db.session(), activity, task_id)
    if task is None:
        abort(404)
    return task


def _previewing() -> bool:
    return request.method == "POST" and request.form.get("action") == "preview"


def _preview(form: TaskForm) -> RenderedMarkdown | None:
    """The instructions as participants will see them: asked for, or the saved ones."""
    if _previewing() or (request.method == "GET" and form.instructions.data):
        return render_preview(db.session(), form.instructions.data or "")
    return None


def _back_to_list(activity: Activity, phase: str) -> Any:
    anchor = "pre-tasks" if phase == TaskPhase.PRE else "follow-ups"
    return redirect(url_for("transfer_editor.tasks", slug=activity.slug, _anchor=anchor))


def _render_task(activity: Activity, form: TaskForm, task: TransferTask | None) -> str:
    return render_template(
        "transfer/editor_task.html", activity=activity, form=form, task=task, preview=_preview(form)
    )


# --- the task list and the task form ---------------------------------------------------------


@bp.route("/<slug>/uppgifter")
@editors
def tasks(slug: str) -> Any:
    activity = _load(slug)
    session = db.session()
    found = queries.list_tasks(session, activity)
    return render_template(
        "transfer/editor_tasks.html",
        activity=activity,
        pre_tasks=[task for task in found if task.phase == TaskPhase.PRE],
        follow_ups=[task for task in found if task.phase == TaskPhase.FOLLOW_UP],
        answers=queries.count_answers(session, activity),
    )


@bp.route("/<slug>/uppgifter/ny", methods=["GET", "POST"])
@editors
def new_task(slug: str) -> Any:
    activity = _load(slug)
    form = TaskForm()
    if request.method == "GET":
        form.phase.data = request.args.get("fas", TaskPhase.PRE)
    if not _previewing() and form.validate_on_submit():
        try:
            task = authoring.add_task(db.session(), current_user, activity, form.task_data())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The task %(title)s was added.", title=task.title), "success")
            return _back_to_list(activity, task.phase)
    return _render_task(activity, form, None)


@bp.route("/<slug>/uppgifter/<int:task_id>", methods=["GET", "POST"])
@editors
def edit_task(slug: str, task_id: int) -> Any:
    activity = _load(slug)
    task = _load_task(activity, task_id)
    form = TaskEditForm()
    if request.method == "GET":
        form.load(task)
    if not _previewing() and form.validate_on_submit():
        try:
            authoring.update_task(db.session(), current_user, task, form.task_data(task.phase))
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The task %(title)s was saved.", title=task.title), "success")
            return _back_to_list(activity, task.phase)
    return _render_task(activity, form, task)


@bp.route("/<slug>/uppgifter/<int:task_id>/ta-bort", methods=["POST"])
@editors
def delete_task(slug: str, task_id: int) -> Any:
    activity = _load(slug)
    task = _load_task(activity, task_id)
    phase, title = task.phase, task.title
    try:
        authoring.delete_task(db.session(), current_user, task)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The task %(title)s was deleted.", title=title), "success")
    return _back_to_list(activity, phase)


@bp.route("/<slug>/uppgifter/<int:task_id>/flytta", methods=["POST"])
@editors
def move_task(slug: str, task_id: int) -> Any:
    activity = _load(slug)
    task = _load_task(activity, task_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    authoring.move_task(db.session(), current_user, task, form.direction.data)
    db.session.commit()
    return _back_to_list(activity, task.phase)


# --- the Transfer of Training report ---------------------------------------------------------


@bp.route("/<slug>/overforing")
@editors
def report(slug: str) -> Any:
    activity = _load(slug)
    form = PeriodForm(formdata=request.args)
    filtered = bool(request.args) and form.validate()
    period = form.period() if filtered else queries.Period()
    found = queries.get_owner_report(
        db.session(), current_user, activity, today=local_date(utcnow()), period=period
    )
    return render_template(
        "transfer/owner_report.html",
        activity=activity,
        form=form,
        filtered=filtered,
        report=found,
    )
