"""Importing a content package: validate every file first, then upsert by code, name and slug."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, JobRole, Organisation
from lms.catalog.models import Activity
from lms.catalog.signals import activities_changed
from lms.catalog.uploads import upload_resolver
from lms.core.audit import AuditEvent, record_event
from lms.framework.models import Competence, Subject
from lms.packages.activity_importer import ActivityImport
from lms.packages.framework_importer import upsert_framework
from lms.packages.programme_importer import ProgrammeImport
from lms.packages.reader import Known, read_package
from lms.packages.records import Package
from lms.packages.results import PackageInvalid, PackageResult, Tally
from lms.packages.theme_importer import ThemeImport

OBJECT_ID_LENGTH: int = AuditEvent.__table__.c.object_id.type.length  # type: ignore[attr-defined]

__all__ = [
    "PackageInvalid", "PackageResult", "Tally", "import_package", "load_known", "shift_months",
    "upload_folder",
]  # fmt: skip


def upload_folder() -> Path:
    """Where uploaded images live: the folder the catalogue serves them from."""
    return Path(current_app.instance_path) / "uploads"


def load_known(session: Session, *, departments: bool = True) -> Known:
    """The names in the database a package may refer to (departments and organisations only
    when checked)."""
    pairs = select(Organisation.name, Department.name).join(
        Department, Department.organisation_id == Organisation.id
    )
    return Known(
        competences=set(session.scalars(select(Competence.code))),
        subjects=set(session.scalars(select(Subject.slug))),
        job_roles=set(session.scalars(select(JobRole.name))),
        activities=set(session.scalars(select(Activity.slug))),
        departments=set(session.scalars(select(Department.name))) if departments else None,
        organisations=set(session.scalars(select(Organisation.name))) if departments else None,
        organisation_departments=(
            {(org, dept) for org, dept in session.execute(pairs)} if departments else None
        ),
        image_url=upload_resolver(session),
    )


def shift_weeks(package: Package, target: date | None) -> int:
    """Whole weeks that move the package's earliest session to `target` or later (else 0)."""
    starts = [s.starts_local for record in package.activities for s in record.sessions]
    if target is None or not starts:
        return 0
    days = (target - min(starts).date()).days
    return max(0, -(-days // 7))


def shift_months(package: Package, target: date | None) -> int:
    """Whole months that move the package's latest theme month into `target`'s month.

    Negative when the themes lie ahead of `target`: the demo shows the latest one as the
    current theme on any date, the others keep their order and spacing behind it.
    """
    if target is None or not package.themes:
        return 0
    latest = max(theme.month_number for theme in package.themes)
    return target.year * 12 + target.month - 1 - latest


def import_package(
    session: Session,
    directory: Path,
    *,
    actor_id: int | None = None,
    shift_sessions_to: date | None = None,
    shift_themes_to: date | None = None,
    skip_unknown_departments: bool = False,
    uploads: Path | None = None,
) -> PackageResult:
    """Validate the whole package, then create or update what it holds (the caller commits).

    On any problem PackageInvalid lists them all and nothing is written. Importing the
    same package again changes nothing. `shift_sessions_to` (the demo) moves every session
    by whole weeks so that the earliest one is on or after that date, and
    `shift_themes_to` moves the theme months by whole months so that the latest one is in
    that date's month. Banners are stored in `uploads` (default: the instance's). With
    `skip_unknown_departments`, department names no organisation has are left out (a
    package from elsewhere, or content loaded before the organisation) instead of refused,
    and so are a programme's organisation names.
    """
    known = load_known(session, departments=not skip_unknown_departments)
    package, problems = read_package(directory, known)
    if problems:
        raise PackageInvalid(problems)
    result = PackageResult(
        shifted_weeks=shift_weeks(package, shift_sessions_to),
        shifted_months=shift_months(package, shift_themes_to),
    )
    if package.framework is not None:
        framework = package.framework
        result.has_framework = True
        result.competences = len(framework.competences)
        result.job_roles, result.subjects = len(framework.job_roles), len(framework.subjects)
        upsert_framework(session, framework, result.framework)
        session.flush()
    ActivityImport(
        session, result, actor_id=actor_id, weeks=result.shifted_weeks,
        skip_unknown_departments=skip_unknown_departments,
    ).run(package.activities)  # fmt: skip
    ThemeImport(
        session, result, actor_id=actor_id, months=result.shifted_months,
        skip_unknown_departments=skip_unknown_departments,
        upload_folder=uploads or upload_folder(),
    ).run(package.themes)  # fmt: skip
    ProgrammeImport(
        session, result, actor_id=actor_id, skip_unknown_departments=skip_unknown_departments
    ).run(package.programmes)
    result.unknown_owners = sorted(set(result.unknown_owners))
    result.unknown_departments = sorted(set(result.unknown_departments))
    result.unknown_organisations = sorted(set(result.unknown_organisations))
    if result.changed:
        record_event(
            session,
            actor_id=actor_id,
            action="content.import",
            object_type="package",
            object_id=directory.resolve().name[:OBJECT_ID_LENGTH],
            **result.counts(),
        )
        session.flush()
    if result.changed_activity_ids:
        activities_changed.send(None, session=session, activity_ids=result.changed_activity_ids)
    return result
