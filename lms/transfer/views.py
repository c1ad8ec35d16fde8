"""The learner's and the manager's pages: Mina uppgifter, answering a task, confirming one."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.access import Permission, authenticated, requires
from lms.core.db import db, run_with_retry
from lms.core.errors import DomainError
from lms.core.forms import show_error
from lms.core.markdown import render_markdown
from lms.core.security import is_safe_next
from lms.core.time import local_date, utcnow
from lms.transfer import queries, services
from lms.transfer.forms import AnswerForm, ConfirmForm
from lms.transfer.models import PRE_SCOPE, ResponseStatus, TaskResponse, TransferTask

bp = Blueprint("transfer", __name__)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _safe(target: str | None) -> str | None:
    return target if target and is_safe_next(target) else None


@lru_cache(maxsize=512)
def _instructions_html(text: str) -> str:
    return render_markdown(text).html


@bp.app_template_filter("task_markdown")
def task_markdown(text: str | None) -> Markup:
    """A task's instructions as sanitized HTML (render_markdown cleans it with nh3)."""
    return Markup(_instructions_html(text or ""))  # noqa: S704 (sanitized by render_markdown)


@bp.app_template_global()
def pre_task_states(activity: Activity) -> list[queries.PreTaskState] | None:
    """The activity's pre-tasks with the signed-in person's state (None when anonymous)."""
    if not current_user.is_authenticated:
        return None
    return queries.list_pre_task_states(db.session(), _user(), activity)


def _answer_form(task: TransferTask, response: TaskResponse | None) -> AnswerForm:
    # The keyword values fill the form on GET only; a POST takes what was submitted.
    return AnswerForm(
        text=response.text if response else "",
        checked=list(response.checked) if response else [],
        next=_safe(request.args.get("next")) or "",
    ).for_task(task)


def _save(form: AnswerForm, answer: Callable[[], TaskResponse]) -> TaskResponse | None:
    """Run one answer service and commit; None (with the error shown) when it is refused."""

    def work() -> TaskResponse:
        saved = answer()
        db.session.commit()
        return saved

    try:
        return run_with_retry(work)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return None


def _values(form: AnswerForm) -> dict[str, Any]:
    return {"text": form.text.data or "", "checked": form.checked.data or [], "now": utcnow()}


def _saved_message(response: TaskResponse) -> str:
    if response.status == ResponseStatus.DONE:
        return _("Saved. The task is done.")
    if response.status == ResponseStatus.AWAITING_MANAGER:
        return _("Saved. Your manager is asked to confirm that you have talked.")
    return _("Saved. Tick the rest when you have done them.")


@bp.get("/")
@authenticated
def index() -> Any:
    now = utcnow()
    tasks = queries.list_my_tasks(db.session(), _user(), today=local_date(now), now=now)
    return render_template("transfer/my_tasks.html", tasks=tasks)


@bp.route("/fore/<int:task_id>", methods=["GET", "POST"])
@authenticated
def pre_task(task_id: int) -> Any:
    task = queries.get_pre_task(db.session(), task_id)
    if task is None:
        abort(404)
    response = queries.get_pre_response(db.session(), _user(), task)
    form = _answer_form(task, response)
    back = _safe(form.next.data) or url_for("catalog.activity", slug=task.activity.slug)
    if form.validate_on_submit():
        values = _values(form)
        saved = _save(form, lambda: services.answer_pre_task(db.session(), _user(), task, **values))
        if saved is not None:
            flash(_saved_message(saved), "success")
            return redirect(back)
    state = queries.pre_task_state(response)
    return render_template(
        "transfer/pre_task.html", task=task, response=response, state=state, form=form, back=back
    )


def _answer(task: TransferTask, response: TaskResponse, form: AnswerForm) -> TaskResponse:
    """The author's answer: a pre-task keeps one row per person, a follow-up its own."""
    values = _values(form)
    if response.scope == PRE_SCOPE:
        return services.answer_pre_task(db.session(), _user(), task, **values)
    return services.answer_follow_up(db.session(), _user(), response, **values)


@bp.route("/svar/<int:response_id>", methods=["GET", "POST"])
@authenticated
def response(response_id: int) -> Any:
    view = queries.get_response_view(db.session(), _user(), response_id)
    if view is None:
        abort(404)  # missing or not the viewer's to read: the same answer for both
    if request.method == "POST" and not view.is_author:
        abort(403)
    found, task = view.response, view.response.task
    form = _answer_form(task, found)
    if form.validate_on_submit():
        saved = _save(form, lambda: _answer(task, found, form))
        if saved is not None:
            flash(_saved_message(saved), "success")
            return redirect(_safe(form.next.data) or url_for("transfer.index"))
    here = url_for("transfer.response", response_id=response_id)
    return render_template(
        "transfer/response.html",
        view=view,
        response=found,
        task=task,
        form=form,
        state=queries.task_state(found, local_date(utcnow())),
        confirm_form=ConfirmForm(next=_safe(request.args.get("next")) or here),
    )


@bp.post("/svar/<int:response_id>/bekrafta")
@authenticated
def confirm(response_id: int) -> Any:
    view = queries.get_response_view(db.session(), _user(), response_id)
    if view is None:
        abort(404)
    form = ConfirmForm()
    back = _safe(form.next.data) or url_for("transfer.response", response_id=response_id)
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.note.errors), "error")
        return redirect(back)
    found = view.response

    def work() -> None:
        services.confirm_task(db.session(), _user(), found, note=form.note.data or "", now=utcnow())
        db.session.commit()

    try:
        run_with_retry(work)
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 403:
            abort(403)
        flash(str(error.message), "error")
        return redirect(back)
    flash(_("Confirmed. %(name)s has been told.", name=found.user.name), "success")
    return redirect(back)


@bp.get("/team")
@requires(Permission.MANAGER)
def team() -> Any:
    tasks = queries.list_team_tasks(db.session(), _user(), today=local_date(utcnow()))
    return render_template("transfer/team.html", team=tasks)
