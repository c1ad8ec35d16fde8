"""Test objects for the round tests: an organisation with departments, people and rounds."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation, ReportScope, User
from lms.assessment.rounds import RoundData
from lms.core.access import Permission
from lms.core.jobs import JobContext
from lms.core.time import STOCKHOLM, UTC
from lms.notify.models import Notification
from tests import factories


@dataclass
class Org:
    culture: Organisation
    library: Department
    school: Department
    nacka: Organisation
    forum: Department
    diesel: Department


def org(session: Session) -> Org:
    culture = factories.organisation(session, "Kulturförvaltningen")
    nacka = factories.organisation(session, "Nacka kommun")
    return Org(
        culture=culture,
        library=factories.department(session, "Stadsbiblioteket", culture),
        school=factories.department(session, "Kulturskolan", culture),
        nacka=nacka,
        forum=factories.department(session, "Forumbiblioteken", nacka),
        diesel=factories.department(session, "Dieselverkstadens bibliotek", nacka),
    )


def coordinator(session: Session, scope: ReportScope = ReportScope.ALL, **kw: object) -> User:
    """A coordinator whose report scope is `scope` ("all" unless a test is about the scope)."""
    person = factories.user(session, permissions=Permission.COORDINATOR, **kw)  # type: ignore[arg-type]
    person.report_scope = scope
    session.flush()
    return person


def data(
    name: str = "Skattning hösten 2026",
    opens_on: date = date(2026, 11, 20),
    closes_on: date = date(2026, 12, 10),
    organisations: list[Organisation] | None = None,
    departments: list[Department] | None = None,
) -> RoundData:
    return RoundData(
        name=name,
        opens_on=opens_on,
        closes_on=closes_on,
        organisation_ids=[o.id for o in organisations or []],
        department_ids=[d.id for d in departments or []],
    )


def at(day: date, hour: int = 6, minute: int = 10) -> datetime:
    """A Stockholm wall-clock time as the aware UTC the jobs get."""
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


def job_context(session: Session, app: Flask, now: datetime) -> JobContext:
    return JobContext(session=session, now=now, app=app, log=logging.getLogger("tests"))


def notes(
    session: Session, user: User | None = None, kind: str | None = None
) -> list[Notification]:
    stmt = select(Notification).where(Notification.kind.like("assessment%"))
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(session.scalars(stmt.order_by(Notification.id)))
