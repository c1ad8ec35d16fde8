"""Self-paced learning: start, knowledge-check attempts, lesson and activity completion, and
`record_completion`, the one idempotent way every source records a completion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, Format, Lesson
from lms.catalog.queries import stored_questions
from lms.core.errors import Conflict, ValidationError
from lms.core.i18n import _l
from lms.core.quiz import GradeResult, grade
from lms.core.time import utcnow
from lms.progress.models import Completion, Enrolment, LessonProgress, QuizAttempt
from lms.progress.signals import completion_recorded
from lms.transfer.services import open_follow_ups, require_pre_tasks

# Formats completed with "Mark as done"; a course completes through its lessons and scheduled
# activities through attendance.
DIRECTLY_COMPLETABLE = frozenset({Format.NANOLESSON, Format.ELEARNING, Format.EXTERNAL})
SOURCES = frozenset({"catalogue", "attendance", "import", "external"})
# Sources whose completions open the activity's follow-ups (imports are history; external
# learning has no activity).
OPENS_FOLLOW_UPS = frozenset({"catalogue", "attendance"})


class QuizNotPassed(Conflict):
    """The knowledge check must be passed before the activity or lesson can be completed."""

    def __init__(self, activity: Activity, lesson: Lesson | None = None) -> None:
        super().__init__(_l("Pass the knowledge check before you mark this as done."))
        self.activity = activity
        self.lesson = lesson


class NotCompletable(Conflict):
    """The activity cannot be started or completed this way (draft, archived, wrong format)."""


def activity_key(activity: Activity) -> str:
    """The occurrence key of a self-paced activity: one completion per person, ever."""
    return f"activity:{activity.id}"


def check_can_progress(session: Session, user: User, activity: Activity) -> None:
    """Raise a domain error when `user` may not start, book or complete `activity` yet.

    Every start, booking and completion path calls this one function: while a required
    pre-task (Transfer of Training) has no accepted response it raises `PreTaskMissing`.
    """
    require_pre_tasks(session, user, activity)


def _require_published(activity: Activity) -> None:
    if not activity.is_published:
        raise NotCompletable(_l("This activity is not published, so it cannot be taken."))


def _ensure_enrolment(session: Session, user: User, activity: Activity) -> Enrolment:
    """The person's enrolment on the activity, created once even under concurrent requests."""
    stmt = select(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.activity_id == activity.id
    )
    enrolment = session.scalar(stmt)
    if enrolment is not None:
        return enrolment
    enrolment = Enrolment(user_id=user.id, activity_id=activity.id, status="enrolled")
    try:
        with session.begin_nested():
            session.add(enrolment)
    except IntegrityError:
        return session.scalars(stmt).one()
    return enrolment


def _mark_started(enrolment: Enrolment, now: datetime) -> None:
    # Writes only on a change, so a repeated request reads and leaves (no write lock taken).
    if enrolment.status in ("enrolled", "withdrawn"):
        enrolment.status = "in_progress"
    if enrolment.started_at is None:
        enrolment.started_at = now


def start_activity(
    session: Session, user: User, activity: Activity, *, now: datetime | None = None
) -> Enrolment:
    """Start a self-paced activity (idempotent): the enrolment is in progress from now on."""
    _require_published(activity)
    check_can_progress(session, user, activity)
    enrolment = _ensure_enrolment(session, user, activity)
    _mark_started(enrolment, now or utcnow())
    session.flush()
    return enrolment


def record_quiz_attempt(
    session: Session,
    user: User,
    activity: Activity,
    answers: Mapping[int, set[int]],
    lesson: Lesson | None = None,
) -> tuple[GradeResult, QuizAttempt]:
    """Grade an answer to the knowledge check of `activity` (or of its `lesson`) and keep it.

    Every attempt is stored with its score; answering also starts the activity.
    """
    questions = stored_questions(lesson.quiz if lesson is not None else activity.quiz)
    if not questions:
        raise ValidationError(_l("There is no knowledge check here."))
    result = grade(questions, answers)
    start_activity(session, user, activity)
    attempt = QuizAttempt(
        user_id=user.id,
        activity_id=activity.id,
        lesson_id=lesson.id if lesson is not None else None,
        score=result.score,
        is_passed=result.passed,
        answers={str(index): sorted(chosen) for index, chosen in answers.items()},
    )
    session.add(attempt)
    session.flush()
    return result, attempt


def has_passed_quiz(
    session: Session, user: User, activity: Activity, lesson: Lesson | None = None
) -> bool:
    """Whether `user` has at least one passed attempt at this knowledge check."""
    lesson_id = lesson.id if lesson is not None else None
    stmt = (
        select(QuizAttempt.id)
        .where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.activity_id == activity.id,
            QuizAttempt.lesson_id.is_(None)
            if lesson_id is None
            else QuizAttempt.lesson_id == lesson_id,
            QuizAttempt.is_passed.is_(True),
        )
        .limit(1)
    )
    return session.scalar(stmt) is not None


def get_completion(session: Session, user_id: int, occurrence_key: str) -> Completion | None:
    """The person's completion of one occurrence, or None."""
    return session.scalar(
        select(Completion).where(
            Completion.user_id == user_id, Completion.occurrence_key == occurrence_key
        )
    )


def record_completion(
    session: Session,
    user: User,
    *,
    occurrence_key: str,
    activity: Activity | None = None,
    session_id: int | None = None,
    title: str = "",
    minutes: int,
    source: str,
    completed_at: datetime,
    verified_by_id: int | None = None,
    is_pre_task_missing: bool = False,
) -> Completion:
    """Record that `user` completed one occurrence, exactly once; returns the completion.

    The shared entry point of every source (self-paced completion, attendance, imports,
    approved external learning). Keys: "activity:<id>", "session:<id>",
    "import:<activity>:<date>", "external:<id>". `minutes` are the credited minutes,
    `source` one of catalogue/attendance/import/external, `title` defaults to the activity's.

    Idempotent: when the person already has a completion with `occurrence_key` that one is
    returned unchanged (first writer wins; nothing is updated). A concurrent insert of the
    same key is caught inside a SAVEPOINT and the winner's row is returned, so the
    caller's transaction stays usable: the UNIQUE (user_id, occurrence_key) constraint is
    the real guard. The person's department and organisation are stored as they are now,
    so reports keep them if the person moves later. A new catalogue or attendance
    completion opens the activity's follow-up tasks and sends `completion_recorded`. Flushes;
    the caller commits.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown completion source {source!r}")
    if minutes < 0:
        raise ValueError("credited minutes cannot be negative")
    existing = get_completion(session, user.id, occurrence_key)
    if existing is not None:
        return existing
    completion = Completion(
        user_id=user.id,
        activity_id=activity.id if activity is not None else None,
        session_id=session_id,
        occurrence_key=occurrence_key,
        title=title or (activity.title if activity is not None else ""),
        completed_at=completed_at,
        credited_minutes=minutes,
        source=source,
        verified_by_id=verified_by_id,
        department_id=user.department_id,
        organisation_id=user.organisation_id,
        is_pre_task_missing=is_pre_task_missing,
    )
    try:
        with session.begin_nested():
            session.add(completion)
    except IntegrityError:
        winner = get_completion(session, user.id, occurrence_key)
        if winner is None:
            raise
        return winner
    if activity is not None and source in OPENS_FOLLOW_UPS:
        open_follow_ups(
            session, user, activity, completion_id=completion.id, completed_at=completed_at
        )
    completion_recorded.send(None, session=session, completion=completion, user=user)
    return completion


def complete_activity(
    session: Session, user: User, activity: Activity, *, now: datetime
) -> Completion:
    """Complete a nano-lesson, e-learning or external catalogue activity, crediting its minutes.

    Refused for an unpublished activity, a course (complete its lessons) and scheduled
    activities (attendance completes those); a knowledge check must have a passed attempt.
    Repeated or concurrent calls return the one completion.
    """
    _require_published(activity)
    if activity.format == Format.COURSE:
        raise NotCompletable(_l("A course is completed lesson by lesson."))
    if activity.format not in DIRECTLY_COMPLETABLE:
        raise NotCompletable(_l("This activity is completed when you attend a session."))
    check_can_progress(session, user, activity)
    if activity.quiz and not has_passed_quiz(session, user, activity):
        raise QuizNotPassed(activity)
    # The enrolment row first, then the completion: one lock order on every path.
    enrolment = _ensure_enrolment(session, user, activity)
    _mark_completed(enrolment, now)
    return record_completion(
        session,
        user,
        occurrence_key=activity_key(activity),
        activity=activity,
        minutes=activity.minutes,
        source="catalogue",
        completed_at=now,
    )


def _mark_completed(enrolment: Enrolment, now: datetime) -> None:
    _mark_started(enrolment, now)
    if enrolment.status != "completed":
        enrolment.status = "completed"
        enrolment.completed_at = now
    if enrolment.current_lesson_id is not None:
        enrolment.current_lesson_id = None


def complete_lesson(
    session: Session, user: User, lesson: Lesson, *, now: datetime
) -> Completion | None:
    """Complete one lesson of a course; returns the course's completion once all its required
    lessons are complete (credited once, with the course's minutes), else None."""
    course = lesson.course
    _require_published(course)
    check_can_progress(session, user, course)
    if lesson.quiz and not has_passed_quiz(session, user, course, lesson):
        raise QuizNotPassed(course, lesson)
    enrolment = _ensure_enrolment(session, user, course)
    _mark_started(enrolment, now)
    progress = _ensure_lesson_progress(session, user, lesson, now)
    if progress.completed_at is None:
        progress.completed_at = now
    session.flush()
    done = completed_lesson_ids(session, user, course)
    if any(item.is_required and item.id not in done for item in course.lessons):
        following = _next_from(course.lessons, done)
        following_id = following.id if following is not None else None
        if enrolment.current_lesson_id != following_id:
            enrolment.current_lesson_id = following_id
        return None
    _mark_completed(enrolment, now)
    return record_completion(
        session,
        user,
        occurrence_key=activity_key(course),
        activity=course,
        minutes=course.minutes,
        source="catalogue",
        completed_at=now,
    )


def _ensure_lesson_progress(
    session: Session, user: User, lesson: Lesson, now: datetime
) -> LessonProgress:
    stmt = select(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id
    )
    progress = session.scalar(stmt)
    if progress is not None:
        return progress
    progress = LessonProgress(user_id=user.id, lesson_id=lesson.id, started_at=now)
    try:
        with session.begin_nested():
            session.add(progress)
    except IntegrityError:
        return session.scalars(stmt).one()
    return progress


def completed_lesson_ids(session: Session, user: User, course: Activity) -> set[int]:
    """The ids of the course's lessons that `user` has completed."""
    stmt = (
        select(LessonProgress.lesson_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(
            LessonProgress.user_id == user.id,
            Lesson.course_id == course.id,
            LessonProgress.completed_at.is_not(None),
        )
    )
    return set(session.scalars(stmt))


def _next_from(lessons: list[Lesson], done: set[int]) -> Lesson | None:
    """Resume after the furthest completed lesson; else the first required one still open."""
    furthest = max((i for i, lesson in enumerate(lessons) if lesson.id in done), default=-1)
    for lesson in lessons[furthest + 1 :]:
        if lesson.id not in done:
            return lesson
    return next((item for item in lessons if item.is_required and item.id not in done), None)


def next_lesson(session: Session, user: User, course: Activity) -> Lesson | None:
    """The lesson "Continue" leads to: where the person left off; None when nothing is left."""
    return _next_from(list(course.lessons), completed_lesson_ids(session, user, course))


@dataclass(frozen=True)
class ActivityProgress:
    """What the activity page shows about the person: state, credit and the next step."""

    status: str  # not_started, in_progress or completed
    completion: Completion | None = None
    has_quiz: bool = False
    is_quiz_passed: bool = False
    next_lesson: Lesson | None = None
    next_lesson_number: int = 0
    completed_lesson_ids: frozenset[int] = field(default_factory=frozenset)


def get_activity_progress(
    session: Session, user: User, activity: Activity, lesson: Lesson | None = None
) -> ActivityProgress:
    """The person's progress on an activity (and its knowledge check, or the lesson's)."""
    completion = get_completion(session, user.id, activity_key(activity))
    enrolment = session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.activity_id == activity.id)
    )
    quiz = lesson.quiz if lesson is not None else activity.quiz
    done: frozenset[int] = frozenset()
    following = None
    number = 0
    if activity.format == Format.COURSE:
        done = frozenset(completed_lesson_ids(session, user, activity))
        following = _next_from(list(activity.lessons), set(done))
        number = list(activity.lessons).index(following) + 1 if following is not None else 0
    if completion is not None:
        status = "completed"
    elif enrolment is not None and enrolment.status in ("in_progress", "completed"):
        status = "in_progress"
    else:
        status = "not_started"
    return ActivityProgress(
        status=status,
        completion=completion,
        has_quiz=bool(quiz),
        is_quiz_passed=bool(quiz) and has_passed_quiz(session, user, activity, lesson),
        next_lesson=following,
        next_lesson_number=number,
        completed_lesson_ids=done,
    )
