"""Course lessons: adding, editing, reordering and deleting the steps of a course."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import (
    Activity,
    Format,
    Lesson,
)
from lms.catalog.services import question_dicts, require_edit, slugify
from lms.catalog.uploads import upload_resolver
from lms.core.audit import record_event
from lms.core.errors import ValidationError
from lms.core.i18n import _l
from lms.core.markdown import RenderedMarkdown, render_markdown

# --- course lessons --------------------------------------------------------------------------


@dataclass
class LessonData:
    title: str
    minutes: int
    is_required: bool = True
    summary: str = ""
    body: str = ""


def render_preview(session: Session, body: str) -> RenderedMarkdown:
    """What `body` will look like once saved: the publishing renderer, uploads resolved."""
    return render_markdown(body, image_url=upload_resolver(session))


def _render_lesson(session: Session, data: LessonData) -> tuple[str, list[Any]]:
    if not data.title.strip():
        raise ValidationError(_l("A title is required."), field="title")
    if data.minutes <= 0:
        raise ValidationError(_l("The duration must be at least one minute."), field="minutes")
    rendered = render_preview(session, data.body)
    if rendered.problems:
        raise ValidationError("; ".join(rendered.problems), field="body")
    quiz = question_dicts(rendered)
    return rendered.html, quiz


def _apply_lesson(lesson: Lesson, data: LessonData, html: str, quiz: list[Any]) -> None:
    lesson.title = data.title.strip()
    lesson.minutes = data.minutes
    lesson.is_required = data.is_required
    lesson.summary = data.summary.strip()
    lesson.body = data.body
    lesson.body_html, lesson.quiz = html, quiz


def _record_lesson_event(session: Session, actor: User, lesson: Lesson, action: str) -> None:
    record_event(
        session,
        actor_id=actor.id,
        action=action,
        object_type="lesson",
        object_id=lesson.id,
        course=lesson.course.slug,
        slug=lesson.slug,
    )


def add_lesson(session: Session, actor: User, course: Activity, data: LessonData) -> Lesson:
    """Add a lesson at the end of a course; its slug is made from the title."""
    require_edit(actor, course)
    if course.format != Format.COURSE:
        raise ValidationError(_l("Only courses have lessons."))
    html, quiz = _render_lesson(session, data)
    taken = {lesson.slug for lesson in course.lessons}
    base = slugify(data.title) or "lektion"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    positions = [lesson.position for lesson in course.lessons]
    lesson = Lesson(course=course, slug=slug, position=max(positions, default=0) + 1)
    _apply_lesson(lesson, data, html, quiz)
    session.add(lesson)
    session.flush()
    _record_lesson_event(session, actor, lesson, "lesson.add")
    return lesson


def update_lesson(session: Session, actor: User, lesson: Lesson, data: LessonData) -> Lesson:
    """Change a lesson's text and facts (its address stays, so progress links keep working)."""
    require_edit(actor, lesson.course)
    html, quiz = _render_lesson(session, data)
    _apply_lesson(lesson, data, html, quiz)
    session.flush()
    _record_lesson_event(session, actor, lesson, "lesson.update")
    return lesson


def _renumber(course: Activity, lessons: list[Lesson]) -> None:
    for position, lesson in enumerate(lessons, start=1):
        lesson.position = position
    course.lessons.sort(key=lambda item: item.position)  # same members, so no SQL


def move_lesson(session: Session, actor: User, lesson: Lesson, offset: int) -> None:
    """Move a lesson one step up (offset -1) or down (+1); at either end nothing moves."""
    require_edit(actor, lesson.course)
    lessons = sorted(lesson.course.lessons, key=lambda item: (item.position, item.id))
    index = lessons.index(lesson)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(lessons):
        return
    lessons[index], lessons[target] = lessons[target], lessons[index]
    _renumber(lesson.course, lessons)
    session.flush()
    _record_lesson_event(session, actor, lesson, "lesson.move")


def delete_lesson(session: Session, actor: User, lesson: Lesson) -> None:
    """Delete a lesson and close the gap in the order."""
    require_edit(actor, lesson.course)
    course = lesson.course
    _record_lesson_event(session, actor, lesson, "lesson.delete")
    course.lessons.remove(lesson)
    session.delete(lesson)
    _renumber(course, sorted(course.lessons, key=lambda item: (item.position, item.id)))
    session.flush()
