"""Browsing the catalogue: the filtered, searchable list, activity, course and lesson pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from lms.accounts.queries import list_departments
from lms.catalog import queries
from lms.catalog.browse_forms import (
    CatalogFilterForm,
    quiz_answers,
    template_labels,
)
from lms.catalog.models import Activity, Format
from lms.catalog.services import can_edit
from lms.core.access import authenticated
from lms.core.db import db
from lms.core.quiz import grade, public_view
from lms.framework.queries import list_areas, list_subjects

bp = Blueprint("catalog", __name__)


bp.context_processor(template_labels)


@bp.route("/")
@authenticated
def index() -> Any:
    session = db.session()
    form = CatalogFilterForm(request.args)
    form.set_choices(list_areas(session), list_subjects(session), list_departments(session))
    filters = form.to_filter()
    page_number = request.args.get("page", 1, type=int) or 1
    page = queries.list_catalog_page(session, filters, current_user, page_number)
    return render_template(
        "catalog/index.html", form=form, filters=filters, page=page, args=form.url_args()
    )


def _load(slug: str) -> Activity:
    activity = queries.get_visible_activity(db.session(), slug, current_user)
    if activity is None:
        abort(404)
    return activity


def _render_activity(activity: Activity, answers: dict[int, set[int]] | None = None) -> str:
    session = db.session()
    questions = queries.stored_questions(activity.quiz)
    return render_template(
        "catalog/activity.html",
        activity=activity,
        is_course=activity.format == Format.COURSE,
        sessions=queries.list_upcoming_sessions(session, activity),
        pre_tasks=queries.list_pre_tasks(session, activity),
        quiz=public_view(questions),
        result=grade(questions, answers) if answers is not None else None,
        answers=answers or {},
        quiz_action=url_for("catalog.grade_quiz", slug=activity.slug),
        can_edit=can_edit(current_user, activity),
    )


@bp.route("/<slug>")
@authenticated
def activity(slug: str) -> Any:
    return _render_activity(_load(slug))


@bp.route("/<slug>/kunskapskoll", methods=["GET", "POST"])
@authenticated
def grade_quiz(slug: str) -> Any:
    activity = _load(slug)
    if request.method == "GET" or not activity.quiz:
        return redirect(url_for("catalog.activity", slug=slug))
    return _render_activity(activity, quiz_answers(request.form, len(activity.quiz)))


def _render_lesson(
    course: Activity, lesson_slug: str, answers: dict[int, set[int]] | None = None
) -> str:
    lesson_page = queries.get_lesson_page(course, lesson_slug)
    if course.format != Format.COURSE or lesson_page is None:
        abort(404)
    questions = queries.stored_questions(lesson_page.lesson.quiz)
    return render_template(
        "catalog/lesson.html",
        course=course,
        page=lesson_page,
        lesson=lesson_page.lesson,
        quiz=public_view(questions),
        result=grade(questions, answers) if answers is not None else None,
        answers=answers or {},
        quiz_action=url_for("catalog.grade_lesson_quiz", slug=course.slug, lesson_slug=lesson_slug),
        can_edit=can_edit(current_user, course),
    )


@bp.route("/<slug>/<lesson_slug>")
@authenticated
def lesson(slug: str, lesson_slug: str) -> Any:
    return _render_lesson(_load(slug), lesson_slug)


@bp.route("/<slug>/<lesson_slug>/kunskapskoll", methods=["GET", "POST"])
@authenticated
def grade_lesson_quiz(slug: str, lesson_slug: str) -> Any:
    course = _load(slug)
    if request.method == "GET":
        return redirect(url_for("catalog.lesson", slug=slug, lesson_slug=lesson_slug))
    lesson_page = queries.get_lesson_page(course, lesson_slug)
    count = len(lesson_page.lesson.quiz) if lesson_page else 0
    return _render_lesson(course, lesson_slug, quiz_answers(request.form, count))
