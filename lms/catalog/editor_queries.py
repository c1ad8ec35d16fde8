"""Reads for the authoring pages: what a person may edit, the form's choices, history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVarTuple

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import Department, JobRole, Organisation, User
from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    ActivityRevision,
    ActivitySession,
    Lesson,
    Status,
)
from lms.core.access import Permission
from lms.framework.models import CompetenceArea, Subject

Ts = TypeVarTuple("Ts")


def _editable(stmt: Select[*Ts], user: User) -> Select[*Ts]:
    """Coordinators may edit everything; course owners what they own; others nothing."""
    if user.has(Permission.COORDINATOR):
        return stmt
    if user.has(Permission.COURSE_OWNER):
        return stmt.where(Activity.owners.any(User.id == user.id))
    return stmt.where(false())


def editable_activities(user: User, status: str | None = None) -> Select[Activity]:
    """The activities `user` may edit, newest change first, optionally of one status."""
    stmt = _editable(select(Activity), user).options(selectinload(Activity.owners))
    if status in set(Status):
        stmt = stmt.where(Activity.status == status)
    return stmt.order_by(Activity.updated_at.desc(), Activity.id.desc())


def count_editable_by_status(session: Session, user: User) -> dict[str, int]:
    stmt = _editable(select(Activity.status, func.count()).select_from(Activity), user)
    rows = session.execute(stmt.group_by(Activity.status)).all()
    counts = {str(row[0]): int(row[1]) for row in rows}
    return {status.value: counts.get(status.value, 0) for status in Status}


def get_activity_for_edit(session: Session, slug: str) -> Activity | None:
    """An activity with everything the edit page shows loaded up front."""
    stmt = (
        select(Activity)
        .where(Activity.slug == slug)
        .options(
            selectinload(Activity.competence_links).selectinload(ActivityCompetence.competence),
            selectinload(Activity.subjects),
            selectinload(Activity.departments),
            selectinload(Activity.job_roles),
            selectinload(Activity.owners),
            selectinload(Activity.lessons),
            selectinload(Activity.sessions),
        )
    )
    return session.scalar(stmt)


@dataclass
class EditorChoices:
    """Everything the activity form lets an author choose from."""

    areas: list[CompetenceArea]
    subjects: list[Subject]
    departments: list[Department]
    job_roles: list[JobRole]
    owners: list[User]


def load_editor_choices(session: Session, keep_owners: list[User] | None = None) -> EditorChoices:
    """The choices for the activity form; current owners stay choosable if they lost the role."""
    areas = session.scalars(
        select(CompetenceArea)
        .options(selectinload(CompetenceArea.competences))
        .order_by(CompetenceArea.position, CompetenceArea.code)
    )
    departments = session.scalars(
        select(Department)
        .join(Organisation)
        .options(selectinload(Department.organisation))
        .order_by(Organisation.name, Department.name)
    )
    authors = Permission.COURSE_OWNER | Permission.COORDINATOR
    owners = list(
        session.scalars(
            select(User)
            .where(
                User.is_active,
                User.permissions.op("&")(int(authors)) != 0,
                # Protected identities are never listed; one already an owner stays (below).
                User.is_protected_identity.is_(False),
            )
            .order_by(User.name, User.email)
        )
    )
    owners += [user for user in keep_owners or [] if user not in owners]
    return EditorChoices(
        areas=list(areas),
        subjects=list(session.scalars(select(Subject).order_by(Subject.position, Subject.name))),
        departments=list(departments),
        job_roles=list(session.scalars(select(JobRole).order_by(JobRole.name))),
        owners=owners,
    )


def list_revisions(session: Session, activity: Activity) -> list[ActivityRevision]:
    stmt = (
        select(ActivityRevision)
        .where(ActivityRevision.activity_id == activity.id)
        .options(selectinload(ActivityRevision.author))
        .order_by(ActivityRevision.number.desc())
    )
    return list(session.scalars(stmt))


def latest_revision_number(session: Session, activity: Activity) -> int:
    stmt = select(func.max(ActivityRevision.number)).where(
        ActivityRevision.activity_id == activity.id
    )
    return session.scalar(stmt) or 0


def get_previous_revision(session: Session, revision: ActivityRevision) -> ActivityRevision | None:
    stmt = (
        select(ActivityRevision)
        .where(
            ActivityRevision.activity_id == revision.activity_id,
            ActivityRevision.number < revision.number,
        )
        .order_by(ActivityRevision.number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def get_lesson(session: Session, course: Activity, slug: str) -> Lesson | None:
    return session.scalar(select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == slug))


def get_session(session: Session, activity: Activity, session_id: int) -> ActivitySession | None:
    return session.scalar(
        select(ActivitySession).where(
            ActivitySession.activity_id == activity.id, ActivitySession.id == session_id
        )
    )
