"""The funder's participant listing: each person's counted hours per month (ESF reporting).

Only for coordinators with the reporting permission (`scope.may_list_people`). It names
people, so it shows names, e-mail, gender and where they belonged at completion, and never
anything from assessments. People with a protected identity are included: the funder's
participant report is the one place they appear (the funder needs every participant).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation, User
from lms.core.pagination import Page
from lms.progress.models import Completion
from lms.reports.esf_data import EsfFilter
from lms.reports.esf_queries import counted

PER_PAGE = 100
STREAM_BATCH = 1000


@dataclass(frozen=True)
class PersonMonth:
    """One person's counted minutes in one month, in one organisation and department (a
    person who moved during the month has a row for each)."""

    user_id: int
    name: str
    email: str
    gender: str  # users.gender: woman, man, non_binary, unstated
    organisation: str | None
    department: str | None
    month: str  # "2024-03"
    minutes: int

    @property
    def hours(self) -> float:
        return self.minutes / 60


def _statement(esf_filter: EsfFilter) -> Select[int, str, str, str, str, str, int, int, int]:
    year = extract("year", Completion.completed_on)
    month = extract("month", Completion.completed_on)
    groups = (User.id, Organisation.id, Department.id, year, month)
    return (
        select(
            User.id,
            User.name,
            User.email,
            User.gender,
            Organisation.name,
            Department.name,
            year,
            month,
            func.sum(Completion.credited_minutes),
        )
        .select_from(Completion)
        .join(User, User.id == Completion.user_id)
        .outerjoin(Organisation, Organisation.id == Completion.organisation_id)
        .outerjoin(Department, Department.id == Completion.department_id)
        .where(counted(esf_filter))
        .group_by(*groups, User.name, User.email, User.gender, Organisation.name, Department.name)
        .order_by(User.name, User.id, year, month, Organisation.name, Department.name)
    )


def _rows(result: Iterable[Any]) -> Iterator[PersonMonth]:
    for user_id, name, email, gender, org, dept, year, month, minutes in result:
        yield PersonMonth(
            user_id=int(user_id),
            name=str(name),
            email=str(email),
            gender=str(gender),
            organisation=str(org) if org is not None else None,
            department=str(dept) if dept is not None else None,
            month=f"{int(year):04d}-{int(month):02d}",
            minutes=int(minutes),
        )


def list_person_months(
    session: Session, esf_filter: EsfFilter, *, offset: int = 0, limit: int | None = None
) -> list[PersonMonth]:
    """Per person and month (and organisation and department at completion) the counted
    minutes, by name, then month; `offset`/`limit` cut out a page."""
    stmt = _statement(esf_filter).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(_rows(session.execute(stmt)))


def count_person_months(session: Session, esf_filter: EsfFilter) -> int:
    """How many rows `list_person_months` has in all."""
    rows = _statement(esf_filter).order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(rows)) or 0)


def page_person_months(
    session: Session, esf_filter: EsfFilter, page: int, per_page: int = PER_PAGE
) -> Page[PersonMonth]:
    """One page of the listing (two queries: the count and the page); a page number out of
    range shows the nearest page."""
    total = count_person_months(session, esf_filter)
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    items = list_person_months(session, esf_filter, offset=(page - 1) * per_page, limit=per_page)
    return Page(items=items, page=page, per_page=per_page, total=total)


def iter_person_months(session: Session, esf_filter: EsfFilter) -> Iterator[PersonMonth]:
    """Every row of the listing, fetched in batches (for the exports)."""
    result = session.execute(_statement(esf_filter).execution_options(yield_per=STREAM_BATCH))
    yield from _rows(result)
