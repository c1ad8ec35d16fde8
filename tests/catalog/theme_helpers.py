"""Theme month test objects, made through the real services."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog import themes
from lms.catalog.models import Activity, ThemeMonth
from lms.core.access import Permission
from lms.core.jobs import JobContext
from lms.core.outbox import OutboxEmail
from lms.core.time import STOCKHOLM, UTC
from lms.notify.models import Notification
from tests import factories
from tests.catalog import factories as cf

INTRO = """Oktober är **informationssäkerhetens** månad. Börja med nätfisket – det tar fem minuter.

## Varför?

Varje vecka får vi mejl som försöker lura oss.
"""


def at(day: date, hour: int = 6, minute: int = 5) -> datetime:
    """A Stockholm wall-clock time as the aware UTC the services and jobs get."""
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


NOW = at(date(2026, 9, 20), 10, 0)
TODAY = date(2026, 9, 20)


def coordinator(session: Session, **kw: object) -> User:
    return factories.user(session, permissions=Permission.COORDINATOR, **kw)  # type: ignore[arg-type]


def data(
    *,
    title: str = "Informationssäkerhet",
    year: int = 2026,
    month: int = 10,
    slug: str = "",
    intro: str = INTRO,
    departments: Sequence[Department] = (),
) -> themes.ThemeMonthData:
    return themes.ThemeMonthData(
        year=year,
        month=month,
        title=title,
        slug=slug,
        intro=intro,
        departments=list(departments),
    )


def theme(
    session: Session,
    actor: User,
    *,
    activities: Sequence[Activity] | None = None,
    **kw: object,
) -> ThemeMonth:
    """A draft theme month with `activities` curated (one new published activity by default)."""
    created = themes.create_theme_month(session, actor, data(**kw))  # type: ignore[arg-type]
    chosen = (
        activities
        if activities is not None
        else [cf.activity(session, title="Känn igen nätfiske", summary="Fem minuter om nätfiske.")]
    )
    for activity in chosen:
        themes.add_activity(session, actor, created, activity.id)
    return created


def notes(
    session: Session, user: User | None = None, kind: str = "theme_month"
) -> list[Notification]:
    stmt = select(Notification).where(Notification.kind == kind)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(session.scalars(stmt.order_by(Notification.id)))


def mails(
    session: Session, user: User | None = None, kind: str = "theme_month"
) -> list[OutboxEmail]:
    stmt = select(OutboxEmail).where(OutboxEmail.kind == kind)
    if user is not None:
        stmt = stmt.where(OutboxEmail.user_id == user.id)
    return list(session.scalars(stmt.order_by(OutboxEmail.id)))


def job_context(session: Session, app: Flask, now: datetime) -> JobContext:
    return JobContext(session=session, now=now, app=app, log=logging.getLogger("tests"))
