"""Upserting a package's programmes by slug, with their organisations, departments and targets.

A programme created, or whose period or participants changed, gets its ESF summaries rebuilt.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import Department, Organisation
from lms.core.audit import record_event
from lms.core.time import utcnow
from lms.packages.framework_importer import set_changed
from lms.packages.records import ProgrammeRecord
from lms.packages.results import PackageInvalid, PackageResult
from lms.reports.models import Programme
from lms.reports.programmes import rebuild_summaries, summary_shape

IMPORT_NOTE = "content import"

__all__ = ["ProgrammeImport"]


class ProgrammeImport:
    """Imports the programme records of one package."""

    def __init__(
        self, session: Session, result: PackageResult, *, actor_id: int | None,
        skip_unknown_departments: bool,
    ) -> None:  # fmt: skip
        self.session, self.result, self.actor_id = session, result, actor_id
        self.skip_unknown = skip_unknown_departments
        self.existing: dict[str, Programme] = {}
        self.organisations: dict[str, Organisation] = {}
        self.departments: dict[tuple[str, str], Department] = {}

    def run(self, records: list[ProgrammeRecord]) -> None:
        if not records:
            return
        self._load(records)
        for record in records:
            self._import(record)
        self.session.flush()

    def _load(self, records: list[ProgrammeRecord]) -> None:
        stmt = (
            select(Programme)
            .where(Programme.slug.in_(sorted({record.slug for record in records})))
            .options(selectinload(Programme.organisations), selectinload(Programme.departments))
        )
        self.existing = {programme.slug: programme for programme in self.session.scalars(stmt)}
        names = {name for r in records for name in r.organisations}
        names |= {organisation for r in records for organisation, _ in r.departments}
        found = self.session.scalars(select(Organisation).where(Organisation.name.in_(names)))
        self.organisations = {organisation.name: organisation for organisation in found}
        wanted = {pair for record in records for pair in record.departments}
        if wanted:
            query = (
                select(Department, Organisation.name)
                .join(Organisation, Organisation.id == Department.organisation_id)
                .where(Department.name.in_(sorted({name for _, name in wanted})))
            )
            for department, organisation in self.session.execute(query):
                self.departments[(organisation, department.name)] = department

    def _import(self, record: ProgrammeRecord) -> None:
        programme = self.existing.get(record.slug)
        created = programme is None
        if programme is None:
            programme = Programme(slug=record.slug)
            self.session.add(programme)
        shape = summary_shape(programme) if not created else None
        changed = set_changed(
            programme, name=record.name, description=record.description,
            starts_on=record.starts_on, ends_on=record.ends_on,
            target_participants=record.target_participants, target_hours=record.target_hours,
            target_hours_per_participant=record.target_hours_per_participant,
        )  # fmt: skip
        changed |= self._set_coverage(programme, record)
        self.result.programmes.count(created, changed)
        if not (created or changed):
            return
        programme.updated_at = utcnow()
        self.session.flush()  # the id, for the audit trail and the summaries
        record_event(
            self.session, actor_id=self.actor_id, action="programme.save",
            object_type="programme", object_id=programme.id, slug=programme.slug,
            note=IMPORT_NOTE,
        )  # fmt: skip
        if created or summary_shape(programme) != shape:
            rebuild_summaries(self.session, programme)

    def _set_coverage(self, programme: Programme, record: ProgrammeRecord) -> bool:
        organisations: list[Organisation] = []
        for name in record.organisations:
            organisation = self.organisations.get(name)
            if organisation is not None:
                organisations.append(organisation)
            else:
                self._unknown(record, name, self.result.unknown_organisations)
        departments: list[Department] = []
        for pair in record.departments:
            department = self.departments.get(pair)
            if department is not None:
                departments.append(department)
            else:
                self._unknown(record, f"{pair[1]} ({pair[0]})", self.result.unknown_departments)
        changed = False
        if {o.id for o in programme.organisations} != {o.id for o in organisations}:
            programme.organisations, changed = organisations, True
        if {d.id for d in programme.departments} != {d.id for d in departments}:
            programme.departments, changed = departments, True
        return changed

    def _unknown(self, record: ProgrammeRecord, name: str, skipped: list[str]) -> None:
        if not self.skip_unknown:  # the reader checks this; a safety net, the caller rolls back
            raise PackageInvalid([f"{record.path}:1: unknown organisation or department {name!r}"])
        skipped.append(name)
