"""The personal side of learning: external learning, feedback, my learning and my team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from lms.accounts.models import User
from lms.accounts.queries import is_in_manager_chain, team_ids
from lms.catalog.models import Activity, ActivitySession, activity_owners
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.i18n import _l
from lms.core.time import local_date, start_of_local_day, utcnow
from lms.notify.services import notify
from lms.progress.models import Booking, Completion, Enrolment, ExternalLearning, Feedback
from lms.progress.services import record_completion
from lms.transfer.figures import list_transfer_statuses

MAX_EXTERNAL_HOURS = 40
TITLE_LENGTH: int = ExternalLearning.__table__.c.title.type.length  # type: ignore[attr-defined]
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


# --- external learning -----------------------------------------------------------------------


def _minutes(hours: object) -> int:
    try:
        value = Decimal(str(hours).replace(",", "."))
    except InvalidOperation:
        raise ValidationError(_l("Give the hours as a number."), field="hours") from None
    if not value.is_finite() or value <= 0 or value > MAX_EXTERNAL_HOURS:
        message = _l("The hours must be more than 0 and at most %(max)d.", max=MAX_EXTERNAL_HOURS)
        raise ValidationError(message, field="hours")
    minutes = round(value * 60)
    if minutes < 1:
        raise ValidationError(_l("The hours must be at least one minute."), field="hours")
    return int(minutes)


def report_external_learning(
    session: Session, user: User, *, title: str, learned_on: date, hours: object, description: str
) -> ExternalLearning:
    """Report learning outside the catalogue; it counts once a manager approves it."""
    title = " ".join(title.split())
    if not title:
        raise ValidationError(_l("Give the learning a title."), field="title")
    if len(title) > TITLE_LENGTH:
        message = _l("The title is longer than %(n)d characters.", n=TITLE_LENGTH)
        raise ValidationError(message, field="title")
    if learned_on > local_date(utcnow()):
        raise ValidationError(_l("The date cannot be in the future."), field="learned_on")
    report = ExternalLearning(
        user_id=user.id,
        title=title,
        learned_on=learned_on,
        minutes=_minutes(hours),
        description=description.strip(),
        status=PENDING,
    )
    session.add(report)
    session.flush()
    return report


def decide_external_learning(
    session: Session,
    manager: User,
    report: ExternalLearning,
    *,
    approve: bool,
    comment: str,
    now: datetime,
) -> ExternalLearning:
    """Approve or reject a report of someone in `manager`'s chain; approval credits the hours."""
    reporter = session.get(User, report.user_id)
    if reporter is None or not is_in_manager_chain(session, manager, reporter):
        raise PermissionDenied(_l("Only the person's managers may decide on this report."))
    if report.status != PENDING:
        raise Conflict(_l("This report has already been decided."))
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError(_l("Say why the report is rejected."), field="comment")
    report.status = APPROVED if approve else REJECTED
    report.decided_by_id = manager.id
    report.decided_at = now
    report.decision_comment = comment
    if approve:
        completion = record_completion(
            session,
            reporter,
            occurrence_key=f"external:{report.id}",
            title=report.title,
            minutes=report.minutes,
            source="external",
            completed_at=start_of_local_day(report.learned_on),
            verified_by_id=manager.id,
        )
        report.completion_id = completion.id
    title = (
        _l("Your external learning was approved: %(title)s", title=report.title)
        if approve
        else _l("Your external learning was not approved: %(title)s", title=report.title)
    )
    notify(session, reporter, kind="external_learning_decided", title=title, body=comment,
           link="/mitt-larande/")  # fmt: skip
    session.flush()
    return report


def list_reports_for_manager(session: Session, manager: User) -> list[ExternalLearning]:
    """Pending external learning of `manager`'s direct and indirect reports, oldest first."""
    stmt = (
        select(ExternalLearning)
        .where(ExternalLearning.status == PENDING, ExternalLearning.user_id.in_(team_ids(manager)))
        .options(joinedload(ExternalLearning.user))
        .order_by(ExternalLearning.created_at, ExternalLearning.id)
    )
    return list(session.scalars(stmt))


def get_external_learning(
    session: Session, manager: User, report_id: int
) -> ExternalLearning | None:
    """The report if its reporter is in `manager`'s chain; None for anyone else's, the same as
    for an unknown id, so report ids cannot be probed."""
    report = session.get(ExternalLearning, report_id)
    if report is None:
        return None
    reporter = session.get(User, report.user_id)
    if reporter is None or not is_in_manager_chain(session, manager, reporter):
        return None
    return report


# --- feedback --------------------------------------------------------------------------------


def give_feedback(
    session: Session, user: User, completion: Completion, *, rating: int, comment: str,
    will_apply: bool,
) -> Feedback:  # fmt: skip
    """Say what you thought of one of your completions (once)."""
    if completion.user_id != user.id:
        raise PermissionDenied(_l("You can only give feedback on your own completions."))
    if rating not in range(1, 6):
        raise ValidationError(_l("Choose a rating from 1 to 5."), field="rating")
    if session.scalar(select(Feedback.id).where(Feedback.completion_id == completion.id)):
        raise Conflict(_l("You have already given feedback on this."))
    feedback = Feedback(
        completion_id=completion.id, rating=rating, comment=comment.strip(), will_apply=will_apply
    )
    try:
        with session.begin_nested():  # a double submit loses the race on the unique key
            session.add(feedback)
    except IntegrityError:
        raise Conflict(_l("You have already given feedback on this.")) from None
    return feedback


@dataclass(frozen=True)
class FeedbackSummary:
    """What the people who completed an activity thought of it; no names."""

    count: int
    mean_rating: float
    will_apply_share: float


def feedback_summary(session: Session, activity_ids: list[int]) -> dict[int, FeedbackSummary]:
    """Count, mean rating and share who will apply it, per activity with feedback (one query)."""
    if not activity_ids:
        return {}
    stmt = (
        select(
            Completion.activity_id,
            func.count(Feedback.id),
            func.avg(Feedback.rating),
            func.sum(case((Feedback.will_apply, 1), else_=0)),
        )
        .join(Completion, Completion.id == Feedback.completion_id)
        .where(Completion.activity_id.in_(activity_ids))
        .group_by(Completion.activity_id)
    )
    return {
        int(activity_id): FeedbackSummary(int(n), float(mean), int(applying) / int(n))
        for activity_id, n, mean, applying in session.execute(stmt)
        if activity_id is not None
    }


def list_owned_activities(session: Session, owner: User) -> list[Activity]:
    """The activities `owner` is an owner of, by title."""
    stmt = (
        select(Activity)
        .join(activity_owners, activity_owners.c.activity_id == Activity.id)
        .where(activity_owners.c.user_id == owner.id)
        .order_by(Activity.title)
    )
    return list(session.scalars(stmt))


def get_own_completion(session: Session, user: User, completion_id: int) -> Completion | None:
    """One of `user`'s completions, or None (also for someone else's)."""
    return session.scalar(
        select(Completion).where(Completion.id == completion_id, Completion.user_id == user.id)
    )


# --- my learning and my team -----------------------------------------------------------------


def year_bounds(today: date) -> tuple[datetime, datetime]:
    """The Stockholm calendar year of `today` as UTC instants [start, end)."""
    return (
        start_of_local_day(date(today.year, 1, 1)),
        start_of_local_day(date(today.year + 1, 1, 1)),
    )


@dataclass(frozen=True)
class MyLearning:
    hours_this_year: float
    hours_total: float
    completions: list[Completion]
    has_feedback: set[int]
    # completion id -> pending, done or overdue (Transfer of Training); None: no follow-ups
    transfer_statuses: dict[int, str | None]
    in_progress: list[Enrolment]
    bookings: list[Booking]
    waitlists: list[Booking]
    external: list[ExternalLearning]

    @property
    def pending_external(self) -> list[ExternalLearning]:
        return [report for report in self.external if report.status == PENDING]


def my_learning(session: Session, user: User, *, today: date) -> MyLearning:
    """Everything of the My learning page, in a constant number of queries."""
    start, end = year_bounds(today)
    in_year = and_(Completion.completed_at >= start, Completion.completed_at < end)
    year_minutes, total_minutes = session.execute(
        select(
            func.coalesce(func.sum(case((in_year, Completion.credited_minutes), else_=0)), 0),
            func.coalesce(func.sum(Completion.credited_minutes), 0),
        ).where(Completion.user_id == user.id)
    ).one()
    completions = list(
        session.scalars(
            select(Completion)
            .where(Completion.user_id == user.id)
            .options(selectinload(Completion.activity))
            .order_by(Completion.completed_at.desc(), Completion.id.desc())
        )
    )
    has_feedback = set(
        session.scalars(
            select(Feedback.completion_id)
            .join(Completion, Completion.id == Feedback.completion_id)
            .where(Completion.user_id == user.id)
        )
    )
    in_progress = list(
        session.scalars(
            select(Enrolment)
            .where(Enrolment.user_id == user.id, Enrolment.status.in_(("enrolled", "in_progress")))
            .options(joinedload(Enrolment.activity))
            .order_by(Enrolment.enrolled_at)
        )
    )
    upcoming = list(
        session.scalars(
            select(Booking)
            .join(ActivitySession, ActivitySession.id == Booking.session_id)
            .where(
                Booking.user_id == user.id,
                Booking.status.in_(("booked", "waitlisted")),
                ActivitySession.ends_at >= start_of_local_day(today),
            )
            .options(joinedload(Booking.session).joinedload(ActivitySession.activity))
            .order_by(ActivitySession.starts_at)
        )
    )
    external = list(
        session.scalars(
            select(ExternalLearning)
            .where(ExternalLearning.user_id == user.id)
            .order_by(ExternalLearning.learned_on.desc(), ExternalLearning.id.desc())
        )
    )
    return MyLearning(
        hours_this_year=int(year_minutes) / 60,
        hours_total=int(total_minutes) / 60,
        completions=completions,
        has_feedback=has_feedback,
        transfer_statuses=list_transfer_statuses(
            session, [completion.id for completion in completions], today=today
        ),
        in_progress=in_progress,
        bookings=[b for b in upcoming if b.status == "booked"],
        waitlists=[b for b in upcoming if b.status == "waitlisted"],
        external=external,
    )


@dataclass(frozen=True)
class TeamMember:
    user: User
    hours_this_year: float
    completions: int
    upcoming_bookings: int
    pending_approvals: int


def team_overview(
    session: Session, manager: User, *, now: datetime | None = None
) -> list[TeamMember]:
    """Each direct and indirect report of `manager` with their figures (one query).

    People with a protected identity are included: their own managers need the conversation.
    """
    now = now or utcnow()
    start, end = year_bounds(local_date(now))
    in_year = and_(Completion.completed_at >= start, Completion.completed_at < end)
    done = (
        select(
            Completion.user_id.label("user_id"),
            func.sum(case((in_year, Completion.credited_minutes), else_=0)).label("minutes"),
            func.count(Completion.id).label("n"),
        )
        .group_by(Completion.user_id)
        .subquery("done")
    )
    booked = (
        select(Booking.user_id.label("user_id"), func.count(Booking.id).label("n"))
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .where(Booking.status == "booked", ActivitySession.starts_at >= now)
        .group_by(Booking.user_id)
        .subquery("booked")
    )
    pending = (
        select(
            ExternalLearning.user_id.label("user_id"), func.count(ExternalLearning.id).label("n")
        )
        .where(ExternalLearning.status == PENDING)
        .group_by(ExternalLearning.user_id)
        .subquery("pending")
    )
    stmt = (
        select(
            User,
            func.coalesce(done.c.minutes, 0),
            func.coalesce(done.c.n, 0),
            func.coalesce(booked.c.n, 0),
            func.coalesce(pending.c.n, 0),
        )
        .outerjoin(done, done.c.user_id == User.id)
        .outerjoin(booked, booked.c.user_id == User.id)
        .outerjoin(pending, pending.c.user_id == User.id)
        .where(User.id.in_(team_ids(manager)), User.is_active.is_(True))
        .options(joinedload(User.department), joinedload(User.job_role))
        .order_by(User.name, User.id)
    )
    return [
        TeamMember(user, int(minutes) / 60, int(n_done), int(n_booked), int(n_pending))
        for user, minutes, n_done, n_booked, n_pending in session.execute(stmt)
    ]
