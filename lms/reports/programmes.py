"""Programmes: funded projects with a period, participating organisations and targets.

Reads (`list_programmes`, `get_programme`) are limited to what the reader's coverage meets;
writes are for coordinators: admins and coordinators whose report scope is "all" manage any
programme, an organisation coordinator only programmes entirely within their organisation,
a department coordinator none (they read the reports). Every write that changes the period
or who takes part rebuilds the programme's ESF summaries. Services flush; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from lms.accounts import targets
from lms.accounts.models import Department, User
from lms.catalog.services import slugify
from lms.core.audit import record_event
from lms.core.errors import PermissionDenied, ValidationError
from lms.core.i18n import _l
from lms.core.time import utcnow
from lms.reports.esf_data import Coverage
from lms.reports.models import Programme, ProgrammeDepartment, ProgrammeOrganisation

NAME_MAX = 200
DESCRIPTION_MAX = 5000
SLUG_MAX: int = Programme.__table__.c.slug.type.length  # type: ignore[attr-defined]
# Far above any real programme, well inside a 32-bit integer and a sensible float.
MAX_PARTICIPANTS = 10_000_000
MAX_HOURS = 1_000_000_000
MAX_HOURS_PER_PARTICIPANT = 100_000

ENDS_BEFORE_START = _l("The programme cannot end before it starts.")
_NAME_TAKEN = _l("Another programme already has this name.")

__all__ = [
    "ProgrammeData", "create_programme", "delete_programme", "get_programme",
    "list_programmes", "may_create_programmes",
    "may_manage_programme", "programme_coverage", "programme_slug", "rebuild_summaries",
    "summary_shape", "update_programme",
]  # fmt: skip


@dataclass
class ProgrammeData:
    """What a coordinator sets on a programme (targets None: no target)."""

    name: str
    starts_on: date | None
    ends_on: date | None
    description: str = ""
    target_participants: int | None = None
    target_hours: int | None = None
    target_hours_per_participant: Decimal | float | None = None
    organisation_ids: list[int] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)


# --- reads -----------------------------------------------------------------------------------


def programme_coverage(programme: Programme) -> Coverage:
    """The completions a programme counts: its whole organisations and single departments."""
    return Coverage(
        organisation_ids=frozenset(org.id for org in programme.organisations),
        department_ids=frozenset(dept.id for dept in programme.departments),
    )


def _meets(coverage: Coverage) -> ColumnElement[bool]:
    """Programmes sharing completions with `coverage`: one of their whole organisations is
    covered or holds a covered department, or one of their departments is covered or lies in
    a covered organisation."""
    org_ids, dept_ids = sorted(coverage.organisation_ids), sorted(coverage.department_ids)
    orgs_of_departments = select(Department.organisation_id).where(Department.id.in_(dept_ids))
    whole = select(ProgrammeOrganisation.programme_id).where(
        or_(
            ProgrammeOrganisation.organisation_id.in_(org_ids),
            ProgrammeOrganisation.organisation_id.in_(orgs_of_departments),
        )
    )
    single = (
        select(ProgrammeDepartment.programme_id)
        .join(Department, Department.id == ProgrammeDepartment.department_id)
        .where(or_(Department.id.in_(dept_ids), Department.organisation_id.in_(org_ids)))
    )
    return or_(Programme.id.in_(whole), Programme.id.in_(single))


def _programmes(coverage: Coverage | None) -> Select[Programme]:
    stmt = select(Programme).options(
        selectinload(Programme.organisations),
        selectinload(Programme.departments).selectinload(Department.organisation),
    )
    return stmt if coverage is None else stmt.where(_meets(coverage))


def list_programmes(session: Session, coverage: Coverage | None) -> list[Programme]:
    """The programmes a reader with `coverage` may see (None: all), latest start first."""
    stmt = _programmes(coverage).order_by(Programme.starts_on.desc(), Programme.name)
    return list(session.scalars(stmt))


def get_programme(session: Session, slug: str, coverage: Coverage | None) -> Programme | None:
    """The programme called `slug` if the reader's coverage meets it, else None."""
    if not slug or len(slug) > SLUG_MAX:
        return None
    return session.scalar(_programmes(coverage).where(Programme.slug == slug))


def programme_slug(name: str) -> str:
    """The address a name gives: "Digitalt kompetenslyft" → "digitalt-kompetenslyft"."""
    return slugify(name, max_length=SLUG_MAX)


# --- who may manage --------------------------------------------------------------------------


def may_create_programmes(user: User) -> bool:
    """Admins and coordinators other than department coordinators."""
    return targets.may_create_targeted(user)


def may_manage_programme(user: User, programme: Programme) -> bool:
    """Whether `user` may change or delete `programme` (see the module docstring)."""
    return targets.may_manage_targeted(user, programme.organisations, programme.departments)


def _require_manage(user: User, programme: Programme | None) -> None:
    allowed = (
        may_create_programmes(user) if programme is None else may_manage_programme(user, programme)
    )
    if not allowed:
        raise PermissionDenied(_l("You may not manage this programme."))


# --- validation ------------------------------------------------------------------------------


def _check_name(session: Session, name: str, programme: Programme | None) -> tuple[str, str]:
    """The cleaned name and the slug a new programme gets (the slug of a saved one stays)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_l("A name is required."), field="name")
    if len(name) > NAME_MAX:
        message = _l("The name may be at most %(n)d characters.", n=NAME_MAX)
        raise ValidationError(message, field="name")
    slug = programme.slug if programme is not None else programme_slug(name)
    if not slug:
        message = _l("The name needs at least one letter a–z or digit.")
        raise ValidationError(message, field="name")
    others = select(func.count()).where(
        or_(func.lower(Programme.name) == name.lower(), Programme.slug == slug)
    )
    if programme is not None:
        others = others.where(Programme.id != programme.id)
    if session.scalar(others):
        raise ValidationError(_NAME_TAKEN, field="name")
    return name, slug


def _check_period(data: ProgrammeData) -> tuple[date, date]:
    if data.starts_on is None:
        raise ValidationError(_l("Choose a date."), field="starts_on")
    if data.ends_on is None:
        raise ValidationError(_l("Choose a date."), field="ends_on")
    if data.ends_on < data.starts_on:
        raise ValidationError(ENDS_BEFORE_START, field="ends_on")
    return data.starts_on, data.ends_on


def _whole_target(value: object, maximum: int, field_name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        message = _l("Give a whole number from 1 to %(max)s.", max=f"{maximum:,}".replace(",", " "))
        raise ValidationError(message, field=field_name)
    return value


def _hours_per_participant(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not 0 < number <= MAX_HOURS_PER_PARTICIPANT:
        message = _l("Give a number of hours above 0 and at most %(max)s.", max="100 000")
        raise ValidationError(message, field="target_hours_per_participant")
    return float(round(number, 2)) or 0.01


def _check_description(text: str) -> str:
    text = text.strip()
    if len(text) > DESCRIPTION_MAX:
        message = _l("The description may be at most %(n)d characters.", n=DESCRIPTION_MAX)
        raise ValidationError(message, field="description")
    return text


# --- writes ----------------------------------------------------------------------------------


def summary_shape(programme: Programme) -> tuple[object, ...]:
    """What the ESF summaries depend on: the period and who takes part."""
    return (
        programme.starts_on,
        programme.ends_on,
        frozenset(org.id for org in programme.organisations),
        frozenset(dept.id for dept in programme.departments),
    )


def _apply(session: Session, actor: User, programme: Programme, data: ProgrammeData) -> None:
    """Check everything first, then set it (nothing is changed when a rule refuses)."""
    name, slug = _check_name(session, data.name, programme if programme.id else None)
    starts_on, ends_on = _check_period(data)
    description = _check_description(data.description)
    participants = _whole_target(data.target_participants, MAX_PARTICIPANTS, "target_participants")
    hours = _whole_target(data.target_hours, MAX_HOURS, "target_hours")
    per_participant = _hours_per_participant(data.target_hours_per_participant)
    organisations, departments = targets.load_targets(
        session, actor, data.organisation_ids, data.department_ids
    )
    programme.name, programme.slug, programme.description = name, slug, description
    programme.starts_on, programme.ends_on = starts_on, ends_on
    programme.target_participants, programme.target_hours = participants, hours
    programme.target_hours_per_participant = per_participant
    programme.organisations, programme.departments = organisations, departments
    programme.updated_at = utcnow()


def _flush(session: Session) -> None:
    # The checks answer normal cases; this catches two coordinators saving one name at once.
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise ValidationError(_NAME_TAKEN, field="name") from error


def _record(session: Session, actor: User | None, programme: Programme, action: str) -> None:
    record_event(
        session,
        actor_id=actor.id if actor is not None else None,
        action=f"programme.{action}",
        object_type="programme",
        object_id=programme.id,
        slug=programme.slug,
        name=programme.name,
        starts_on=programme.starts_on,
        ends_on=programme.ends_on,
    )


def rebuild_summaries(session: Session, programme: Programme) -> None:
    """Rebuild the programme's ESF summary tables (after a change of period or coverage)."""
    from lms.reports import esf_summary  # the summaries build on the programme, not v.v.

    esf_summary.rebuild_programme(session, programme)


def create_programme(session: Session, actor: User, data: ProgrammeData) -> Programme:
    """Create a programme (its slug from the name) and build its ESF summaries."""
    _require_manage(actor, None)
    programme = Programme()
    _apply(session, actor, programme, data)
    session.add(programme)
    _flush(session)
    _record(session, actor, programme, "create")
    rebuild_summaries(session, programme)
    return programme


def update_programme(
    session: Session, actor: User, programme: Programme, data: ProgrammeData
) -> Programme:
    """Change a programme (the slug stays: reports and package files use it); the ESF
    summaries are rebuilt when the period or who takes part changed."""
    _require_manage(actor, programme)
    before = summary_shape(programme)
    _apply(session, actor, programme, data)
    _flush(session)
    _record(session, actor, programme, "update")
    if summary_shape(programme) != before:
        rebuild_summaries(session, programme)
    return programme


def delete_programme(session: Session, actor: User, programme: Programme) -> None:
    """Delete a programme and its summaries (completions are untouched)."""
    _require_manage(actor, programme)
    _record(session, actor, programme, "delete")
    session.delete(programme)
    session.flush()
