"""The departments an ESF report may be narrowed to: those within every coverage (the
programme's and the reader's), for the report pages' department filter."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session, contains_eager

from lms.accounts.models import Department, Organisation
from lms.reports.esf_data import Coverage


def _within(coverage: Coverage) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if coverage.organisation_ids:
        parts.append(Department.organisation_id.in_(sorted(coverage.organisation_ids)))
    if coverage.department_ids:
        parts.append(Department.id.in_(sorted(coverage.department_ids)))
    return or_(*parts) if parts else false()


def list_departments(session: Session, coverages: Sequence[Coverage]) -> list[Department]:
    """Departments inside all `coverages` (none: every department), by organisation and name,
    with their organisation loaded (one query)."""
    stmt = (
        select(Department)
        .join(Department.organisation)
        .options(contains_eager(Department.organisation))
        .where(*(_within(coverage) for coverage in coverages))
        .order_by(Organisation.name, Department.name, Department.id)
    )
    return list(session.scalars(stmt))
