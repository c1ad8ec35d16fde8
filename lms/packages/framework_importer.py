"""Upserting a package's framework: areas and competences by code, roles by name, subjects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import JobRole
from lms.framework.models import Competence, CompetenceArea, RoleExpectation, Subject
from lms.packages.records import AreaRecord, FrameworkRecord, JobRoleRecord
from lms.packages.results import Tally


def set_changed(obj: Any, **values: Any) -> bool:
    """Set the attributes that differ; True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def upsert_framework(session: Session, framework: FrameworkRecord, tally: Tally) -> None:
    """Create or update everything the framework file names; leave the rest as it is."""
    competences = {c.code: c for c in session.scalars(select(Competence))}
    areas = {a.code: a for a in session.scalars(select(CompetenceArea))}
    for position, record in enumerate(framework.areas):
        area = areas.get(record.code)
        if area is None:
            area = CompetenceArea(code=record.code, name=record.name, position=position)
            session.add(area)
        tally.count(area.id is None, set_changed(area, name=record.name, position=position))
        _upsert_competences(session, area, record, competences, tally)
    subjects = {s.slug: s for s in session.scalars(select(Subject))}
    for position, item in enumerate(framework.subjects):
        subject = subjects.get(item.slug)
        if subject is None:
            subject = Subject(slug=item.slug, name=item.name, position=position)
            session.add(subject)
        tally.count(subject.id is None, set_changed(subject, name=item.name, position=position))
    session.flush()  # ids for the expectations
    _upsert_job_roles(session, framework.job_roles, competences, tally)


def _upsert_competences(
    session: Session,
    area: CompetenceArea,
    record: AreaRecord,
    competences: dict[str, Competence],
    tally: Tally,
) -> None:
    for position, item in enumerate(record.competences):
        competence = competences.get(item.code)
        created = competence is None
        if competence is None:
            competence = competences[item.code] = Competence(code=item.code)
            session.add(competence)
        values = {
            "area": area, "name": item.name, "digcomp": item.digcomp,
            "description": item.description, "levels": item.levels, "position": position,
        }  # fmt: skip
        if not created and competence.area_id == area.id:
            values.pop("area")  # compare by id: no lazy load of the old area
        tally.count(created, set_changed(competence, **values))


def _upsert_job_roles(
    session: Session,
    records: list[JobRoleRecord],
    competences: dict[str, Competence],
    tally: Tally,
) -> None:
    roles = {role.name: role for role in session.scalars(select(JobRole))}
    created = {record.name for record in records} - set(roles)
    for name in sorted(created):
        roles[name] = JobRole(name=name)
        session.add(roles[name])
    session.flush()
    ids = [roles[record.name].id for record in records]
    current: dict[int, dict[int, RoleExpectation]] = {}
    stmt = select(RoleExpectation).where(RoleExpectation.job_role_id.in_(ids))
    for expectation in session.scalars(stmt):
        current.setdefault(expectation.job_role_id, {})[expectation.competence_id] = expectation
    for record in records:
        role = roles[record.name]
        expected = {competences[code].id: level for code, level in record.expected.items()}
        changed = _replace_expectations(session, role, expected, current.get(role.id, {}))
        tally.count(record.name in created, changed)


def _replace_expectations(
    session: Session, role: JobRole, expected: dict[int, int], current: dict[int, RoleExpectation]
) -> bool:
    changed = False
    for competence_id, expectation in current.items():
        if competence_id not in expected:
            session.delete(expectation)
            changed = True
    for competence_id, level in expected.items():
        found = current.get(competence_id)
        if found is None:
            session.add(
                RoleExpectation(job_role_id=role.id, competence_id=competence_id, level=level)
            )
            changed = True
        elif found.level != level:
            found.level = level
            changed = True
    return changed
