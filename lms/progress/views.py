"""Self-paced learning pages: start, complete, answer knowledge checks; progress on the page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lms.accounts.models import User
from lms.catalog import queries as catalog_queries
from lms.catalog.browse_forms import quiz_answers, template_labels
from lms.catalog.models import Activity, Format, Lesson
from lms.catalog.views import _render_activity, _render_lesson
from lms.core.access import authenticated
from lms.core.db import db, run_with_retry
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.progress import services
from lms.progress.models import Completion
from lms.transfer.messages import domain_error_message

bp = Blueprint("progress", __name__)
# The knowledge-check answers render the catalogue's own pages, which need its labels.
bp.context_processor(template_labels)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _load(slug: str) -> Activity:
    activity = catalog_queries.get_visible_activity(db.session(), slug, _user())
    if activity is None:
        abort(404)
    return activity


def _load_lesson(course: Activity, lesson_slug: str) -> Lesson:
    page = catalog_queries.get_lesson_page(course, lesson_slug)
    if course.format != Format.COURSE or page is None:
        abort(404)
    return page.lesson


def _hours(completion: Completion) -> str:
    return str(format_decimal(completion.hours, format="#,##0.##"))


def _quiz_message(error: services.QuizNotPassed, url: str) -> Markup:
    # Markup.format escapes every argument, so the message and URL cannot inject markup.
    link = Markup('<a href="{}">{}</a>').format(url, _("Go to the knowledge check"))
    return Markup("{} {}").format(str(error.message), link)


@bp.app_template_global()
def progress_for(activity: Activity, lesson: Lesson | None = None) -> Any:
    """The signed-in person's progress on `activity`, for catalogue pages (None when anonymous)."""
    if not current_user.is_authenticated:
        return None
    return services.get_activity_progress(db.session(), _user(), activity, lesson)


@bp.app_template_global()
def progress_quiz_url(activity: Activity, lesson: Lesson | None = None) -> str:
    """Where a knowledge-check form posts, so that the attempt is recorded."""
    if lesson is not None:
        return url_for("progress.lesson_quiz", slug=activity.slug, lesson_slug=lesson.slug)
    return url_for("progress.quiz", slug=activity.slug)


@bp.post("/<slug>/starta")
@authenticated
def start(slug: str) -> Any:
    activity = _load(slug)

    def work() -> None:
        services.start_activity(db.session(), _user(), activity)
        db.session.commit()

    back = url_for("catalog.activity", slug=slug)
    try:
        run_with_retry(work)
    except DomainError as error:
        flash(domain_error_message(error, back), "error")
    return redirect(back)


@bp.post("/<slug>/klar")
@authenticated
def complete(slug: str) -> Any:
    activity = _load(slug)

    def work() -> Completion:
        completion = services.complete_activity(db.session(), _user(), activity, now=utcnow())
        db.session.commit()
        return completion

    try:
        completion = run_with_retry(work)
    except services.QuizNotPassed as error:
        url = url_for("catalog.activity", slug=slug, _anchor="kunskapskoll")
        flash(_quiz_message(error, url), "error")
        return redirect(url)
    except DomainError as error:
        back = url_for("catalog.activity", slug=slug)
        flash(domain_error_message(error, back), "error")
        return redirect(back)
    flash(_("Completed! %(hours)s hours credited.", hours=_hours(completion)), "success")
    return redirect(url_for("catalog.activity", slug=slug))


@bp.post("/<slug>/<lesson_slug>/klar")
@authenticated
def complete_lesson(slug: str, lesson_slug: str) -> Any:
    course = _load(slug)
    lesson = _load_lesson(course, lesson_slug)
    here = url_for("catalog.lesson", slug=slug, lesson_slug=lesson_slug)

    def work() -> Completion | None:
        completion = services.complete_lesson(db.session(), _user(), lesson, now=utcnow())
        db.session.commit()
        return completion

    try:
        completion = run_with_retry(work)
    except services.QuizNotPassed as error:
        flash(_quiz_message(error, here + "#kunskapskoll"), "error")
        return redirect(here + "#kunskapskoll")
    except DomainError as error:
        flash(domain_error_message(error, here), "error")
        return redirect(here)
    if completion is not None:
        flash(_("Course completed! %(hours)s hours credited.", hours=_hours(completion)), "success")
        return redirect(url_for("catalog.activity", slug=slug))
    following = services.next_lesson(db.session(), _user(), course)
    flash(_("Lesson completed."), "success")
    if following is None:
        return redirect(url_for("catalog.activity", slug=slug))
    return redirect(url_for("catalog.lesson", slug=slug, lesson_slug=following.slug))


@bp.post("/<slug>/kunskapskoll")
@authenticated
def quiz(slug: str) -> Any:
    activity = _load(slug)
    answers = quiz_answers(request.form, len(activity.quiz))
    if not _record_attempt(activity, answers):
        return redirect(url_for("catalog.activity", slug=slug))
    return _render_activity(activity, answers)


@bp.post("/<slug>/<lesson_slug>/kunskapskoll")
@authenticated
def lesson_quiz(slug: str, lesson_slug: str) -> Any:
    course = _load(slug)
    lesson = _load_lesson(course, lesson_slug)
    answers = quiz_answers(request.form, len(lesson.quiz))
    if not _record_attempt(course, answers, lesson):
        return redirect(url_for("catalog.lesson", slug=slug, lesson_slug=lesson_slug))
    return _render_lesson(course, lesson_slug, answers)


def _record_attempt(
    activity: Activity, answers: dict[int, set[int]], lesson: Lesson | None = None
) -> bool:
    """Grade and keep the attempt; False (with a message) when it cannot be taken.

    An editor previewing a draft may try its check: it is graded but not recorded."""
    if not activity.is_published:
        return True

    def work() -> None:
        services.record_quiz_attempt(db.session(), _user(), activity, answers, lesson)
        db.session.commit()

    try:
        run_with_retry(work)
    except DomainError as error:
        flash(domain_error_message(error, _page_of(activity, lesson)), "error")
        return False
    return True


def _page_of(activity: Activity, lesson: Lesson | None) -> str:
    if lesson is not None:
        return url_for("catalog.lesson", slug=activity.slug, lesson_slug=lesson.slug)
    return url_for("catalog.activity", slug=activity.slug)
