"""Development plans: goals, chosen activities, learning requests and the follow-up talk.

Every route loads the assessment through `access.get_visible_assessment`: the person and their
manager chain get the page, anyone else the same 404 as for a missing id.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from lms.assessment import access, plans, requests
from lms.assessment.models import Assessment, DevelopmentPlan, PlanGoal
from lms.assessment.plan_forms import (
    GOAL_STATUS_LABELS,
    AddGoalForm,
    FollowUpDateForm,
    FollowUpForm,
    GoalForm,
    LinkActivityForm,
    MoveForm,
    RequestForm,
    build_plan_forms,
)
from lms.assessment.plan_queries import get_plan, get_plan_page
from lms.assessment.request_queries import list_my_requests
from lms.catalog.forms import FORMAT_LABELS, LEVEL_LABELS
from lms.catalog.models import Activity
from lms.core.access import authenticated
from lms.core.db import db
from lms.core.errors import NotFound
from lms.core.forms import commit_or_flash, commit_or_show
from lms.core.time import utcnow

bp = Blueprint("plans", __name__)


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "goal_status_labels": GOAL_STATUS_LABELS,
        "format_labels": FORMAT_LABELS,
        "level_labels": LEVEL_LABELS,
    }


# --- loading and answering -------------------------------------------------------------------


def _assessment(assessment_id: int) -> Assessment:
    try:
        return access.get_visible_assessment(db.session(), current_user, assessment_id)
    except NotFound:
        abort(404)


def _plan(assessment: Assessment) -> DevelopmentPlan:
    plan = get_plan(db.session(), assessment.id)
    if plan is None:
        abort(404)
    return plan


def _goal(assessment_id: int, goal_id: int) -> tuple[Assessment, PlanGoal]:
    assessment = _assessment(assessment_id)
    goal = next((g for g in _plan(assessment).goals if g.id == goal_id), None)
    if goal is None:
        abort(404)
    return assessment, goal


def _back(assessment: Assessment, anchor: str | None = None) -> Any:
    return redirect(url_for("plans.show", assessment_id=assessment.id, _anchor=anchor))


def _render(assessment: Assessment, **posted: FlaskForm) -> str:
    session = db.session()
    is_owner = access.is_owner(current_user, assessment)
    page = get_plan_page(session, assessment, now=utcnow(), for_owner=is_owner)
    return render_template(
        "assessment/plans/show.html",
        page=page,
        forms=build_plan_forms(page, {key.replace("_", "-"): f for key, f in posted.items()}),
        is_owner=is_owner,
        is_manager=access.is_manager_of(session, current_user, assessment),
    )


# --- the plan ----------------------------------------------------------------------------------


@bp.route("/<int:assessment_id>")
@authenticated
def show(assessment_id: int) -> Any:
    return _render(_assessment(assessment_id))


@bp.route("/<int:assessment_id>/skapa", methods=["POST"])
@authenticated
def create(assessment_id: int) -> Any:
    assessment = _assessment(assessment_id)
    if commit_or_flash(lambda: plans.create_plan(db.session(), current_user, assessment, utcnow())):
        flash(_("The development plan is ready, with a goal for each need."), "success")
    return _back(assessment)


@bp.route("/<int:assessment_id>/mal", methods=["POST"])
@authenticated
def add_goal(assessment_id: int) -> Any:
    assessment = _assessment(assessment_id)
    plan = _plan(assessment)
    form = AddGoalForm(prefix="add")
    competence_id = form.competence.data
    if form.validate_on_submit() and commit_or_show(
        form, lambda: plans.add_goal(db.session(), current_user, plan, competence_id, utcnow())
    ):
        flash(_("The goal was added."), "success")
        return _back(assessment, "add-goal")
    return _render(assessment, add=form)


@bp.route("/<int:assessment_id>/mal/<int:goal_id>", methods=["POST"])
@authenticated
def update_goal(assessment_id: int, goal_id: int) -> Any:
    assessment, goal = _goal(assessment_id, goal_id)
    form = GoalForm(prefix=f"goal-{goal_id}")
    if form.validate_on_submit() and commit_or_show(
        form, lambda: plans.update_goal(db.session(), current_user, goal, form.goal_data())
    ):
        flash(_("The goal was saved."), "success")
        return _back(assessment, f"goal-{goal_id}")
    return _render(assessment, **{f"goal-{goal_id}": form})


@bp.route("/<int:assessment_id>/mal/<int:goal_id>/ta-bort", methods=["POST"])
@authenticated
def remove_goal(assessment_id: int, goal_id: int) -> Any:
    assessment, goal = _goal(assessment_id, goal_id)
    if commit_or_flash(lambda: plans.remove_goal(db.session(), current_user, goal)):
        flash(_("The goal was taken out of the plan."), "success")
    return _back(assessment, "goals")


@bp.route("/<int:assessment_id>/mal/<int:goal_id>/flytta", methods=["POST"])
@authenticated
def move_goal(assessment_id: int, goal_id: int) -> Any:
    assessment, goal = _goal(assessment_id, goal_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    direction = form.direction.data or ""
    commit_or_flash(lambda: plans.move_goal(db.session(), current_user, goal, direction))
    return _back(assessment, f"goal-{goal_id}")


# --- a goal's activities and wishes ------------------------------------------------------------


@bp.route("/<int:assessment_id>/mal/<int:goal_id>/aktiviteter", methods=["POST"])
@authenticated
def link_activity(assessment_id: int, goal_id: int) -> Any:
    assessment, goal = _goal(assessment_id, goal_id)
    form = LinkActivityForm(prefix=f"link-{goal_id}")
    if form.validate_on_submit():
        activity = db.session.get(Activity, form.activity.data)
        if activity is None:
            form.activity.errors = [_("Choose an activity.")]
        elif commit_or_show(
            form, lambda: plans.link_activity(db.session(), current_user, goal, activity)
        ):
            flash(_("The activity was chosen for the goal."), "success")
            return _back(assessment, f"goal-{goal_id}")
    return _render(assessment, **{f"link-{goal_id}": form})


@bp.route(
    "/<int:assessment_id>/mal/<int:goal_id>/aktiviteter/<int:activity_id>/ta-bort",
    methods=["POST"],
)
@authenticated
def unlink_activity(assessment_id: int, goal_id: int, activity_id: int) -> Any:
    assessment, goal = _goal(assessment_id, goal_id)
    if commit_or_flash(
        lambda: plans.unlink_activity(db.session(), current_user, goal, activity_id)
    ):
        flash(_("The activity was taken off the goal."), "success")
    return _back(assessment, f"goal-{goal_id}")


@bp.route("/<int:assessment_id>/mal/<int:goal_id>/onska", methods=["POST"])
@authenticated
def request(assessment_id: int, goal_id: int) -> Any:
    assessment, goal = _goal(assessment_id, goal_id)
    form = RequestForm(prefix=f"request-{goal_id}")
    text = form.text.data or ""
    if form.validate_on_submit() and commit_or_show(
        form,
        lambda: requests.create_request(
            db.session(),
            current_user,
            assessment,
            goal.competence_id,
            text,
            goal=goal,
            now=utcnow(),
        ),
    ):
        flash(_("The wish was sent to the coordinators."), "success")
        return _back(assessment, f"goal-{goal_id}")
    return _render(assessment, **{f"request-{goal_id}": form})


# --- the follow-up talk ------------------------------------------------------------------------


@bp.route("/<int:assessment_id>/uppfoljning/datum", methods=["POST"])
@authenticated
def follow_up_date(assessment_id: int) -> Any:
    assessment = _assessment(assessment_id)
    form = FollowUpDateForm(prefix="follow-up-date")
    day = form.follow_up_on.data
    if (
        form.validate_on_submit()
        and day is not None
        and commit_or_show(
            form,
            lambda: plans.set_follow_up_date(db.session(), current_user, assessment, day, utcnow()),
        )
    ):
        flash(_("The date of the follow-up talk was saved."), "success")
        return _back(assessment, "follow-up")
    return _render(assessment, follow_up_date=form)


@bp.route("/<int:assessment_id>/uppfoljning", methods=["POST"])
@authenticated
def follow_up(assessment_id: int) -> Any:
    assessment = _assessment(assessment_id)
    form = FollowUpForm(prefix="follow-up")
    notes = form.notes.data or ""
    if form.validate_on_submit() and commit_or_show(
        form,
        lambda: plans.record_follow_up(db.session(), current_user, assessment, notes, utcnow()),
    ):
        flash(_("The follow-up talk was recorded."), "success")
        return _back(assessment, "follow-up")
    return _render(assessment, follow_up=form)


# --- my wishes ---------------------------------------------------------------------------------


@bp.route("/onskemal")
@authenticated
def my_requests() -> Any:
    return render_template(
        "assessment/plans/my_requests.html",
        requests=list_my_requests(db.session(), current_user),
    )
