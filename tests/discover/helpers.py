"""Discover test objects: theme months, completions and activities inserted in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import count

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    ActivitySession,
    ThemeMonth,
    ThemeMonthActivity,
    ThemeStatus,
    Upload,
    activity_departments,
    activity_subjects,
)
from lms.core.time import utcnow
from lms.progress.models import Completion
from tests.catalog import factories as cf

_seq = count(1)


def theme(
    session: Session,
    *,
    year: int = 2026,
    month: int = 10,
    slug: str = "informationssakerhet",
    title: str = "Informationssäkerhet",
    intro_html: str = "<p>I oktober lär vi oss att skydda information.</p>",
    status: str = ThemeStatus.PUBLISHED,
    activities: Sequence[Activity] = (),
    departments: Sequence[Department] = (),
    banner: Upload | None = None,
    banner_alt: str = "",
) -> ThemeMonth:
    """A theme month with its activities curated in the given order."""
    created = ThemeMonth(
        year=year,
        month=month,
        slug=slug,
        title=title,
        intro=intro_html,
        intro_html=intro_html,
        status=status,
        publish_on=utcnow().date() if status == ThemeStatus.SCHEDULED else None,
        published_at=utcnow() if status == ThemeStatus.PUBLISHED else None,
        banner=banner,
        banner_alt=banner_alt,
        departments=list(departments),
    )
    created.activity_links = [
        ThemeMonthActivity(activity_id=a.id, position=n) for n, a in enumerate(activities)
    ]
    session.add(created)
    session.flush()
    return created


def curate(session: Session, theme_month: ThemeMonth, activity_ids: Sequence[int]) -> None:
    """Add many activities to a theme month at once."""
    start = len(theme_month.activity_links)
    session.execute(
        insert(ThemeMonthActivity.__table__),
        [
            {"theme_month_id": theme_month.id, "activity_id": i, "position": start + n}
            for n, i in enumerate(activity_ids)
        ],
    )


def upload(session: Session, name: str = "0123456789ab-hosttema.png") -> Upload:
    created = Upload(
        name=name, original_name="hösttema.png", content_type="image/png", size_bytes=10, sha256="0"
    )
    session.add(created)
    session.flush()
    return created


def completion(session: Session, user: User, activity: Activity | int, minutes: int = 30) -> None:
    activity_id = activity if isinstance(activity, int) else activity.id
    session.add(
        Completion(
            user_id=user.id,
            activity_id=activity_id,
            occurrence_key=f"activity:{activity_id}",
            completed_at=utcnow() - timedelta(days=3),
            credited_minutes=minutes,
            source="catalogue",
            department_id=user.department_id,
            organisation_id=user.organisation_id,
        )
    )
    session.flush()


def bulk_activities(
    session: Session,
    n: int,
    *,
    prefix: str | None = None,
    levels: Sequence[str] = ("grund", "fördjupning", "spets"),
    subject: str | None = None,
    competence: str = "4.1",
    department: Department | None = None,
    with_sessions: bool = True,
) -> list[int]:
    """`n` published activities inserted with core insert() (fast), with a competence, every
    third with a coming session, optionally in a subject and aimed at a department."""
    fw = cf.framework(session)
    prefix = prefix or f"bulk{next(_seq)}"
    now = utcnow()
    rows = [
        {
            "slug": f"{prefix}-{k:05d}",
            "title": f"Digital vardag {prefix} {k}",
            "summary": "Kort och konkret.",
            "body": "",
            "body_html": "",
            "quiz": [],
            "format": "workshop" if k % 3 == 0 else "nanolesson",
            "level": levels[k % len(levels)],
            "delivery": "digital",
            "minutes": 10 + k % 50,
            "status": "published",
            "language": "sv",
            "is_repeatable": False,
            "created_at": now,
            "updated_at": now,
            "published_at": now,
        }
        for k in range(n)
    ]
    session.execute(insert(Activity.__table__), rows)
    ids = list(
        session.scalars(
            select(Activity.id).where(Activity.slug.like(f"{prefix}-%")).order_by(Activity.slug)
        )
    )
    competence_id = fw.competences[competence].id
    session.execute(
        insert(ActivityCompetence.__table__),
        [{"activity_id": i, "competence_id": competence_id, "weight": 1.0} for i in ids],
    )
    if subject is not None:
        subject_id = fw.subjects[subject].id
        session.execute(
            insert(activity_subjects), [{"activity_id": i, "subject_id": subject_id} for i in ids]
        )
    if department is not None:
        session.execute(
            insert(activity_departments),
            [{"activity_id": i, "department_id": department.id} for i in ids],
        )
    if with_sessions:
        session.execute(
            insert(ActivitySession.__table__),
            [
                {
                    "activity_id": i,
                    "starts_at": now + timedelta(days=2 + k % 20),
                    "ends_at": now + timedelta(days=2 + k % 20, hours=1),
                    "place": "Sal 2",
                    "capacity": 20,
                    "is_cancelled": False,
                }
                for k, i in enumerate(ids)
                if k % 3 == 0
            ],
        )
    return ids
