"""Reads for the competence framework: areas with competences, subjects, role expectations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import JobRole
from lms.framework.models import CompetenceArea, RoleExpectation, Subject


def list_areas(session: Session) -> list[CompetenceArea]:
    """Every area in order, with its competences loaded (two queries)."""
    stmt = (
        select(CompetenceArea)
        .options(selectinload(CompetenceArea.competences))
        .order_by(CompetenceArea.position, CompetenceArea.code)
    )
    return list(session.scalars(stmt))


def list_subjects(session: Session) -> list[Subject]:
    return list(session.scalars(select(Subject).order_by(Subject.position, Subject.name)))


def get_job_role(session: Session, role_id: int) -> JobRole | None:
    return session.get(JobRole, role_id)


def list_job_roles(session: Session) -> list[JobRole]:
    return list(session.scalars(select(JobRole).order_by(JobRole.name)))


def list_expected_levels(session: Session, role: JobRole) -> dict[int, int]:
    """The expected level per competence id for a job role; absent ones do not apply."""
    rows = session.execute(
        select(RoleExpectation.competence_id, RoleExpectation.level).where(
            RoleExpectation.job_role_id == role.id
        )
    )
    return {competence_id: level for competence_id, level in rows}
