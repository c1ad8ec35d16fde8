"""Finding the right learning at scale: start page, theme month, entrances, calendar, feeds.

    .venv/bin/python bench/bench_discover.py [--activities 1000] [--people 2000]
        [--repetitions 20] [--postgres URL]

Per backend: a freshly migrated database (the PostgreSQL one is emptied, so its name must
contain "bench") with the real competence framework and subjects, `--activities` published
activities (every fourth with a session, a third aimed at one of eight departments, each in
one or two subjects), `--people` people spread over the eight departments, a published theme
month with 40 curated activities that a third of the people have done one of, and for the
signed-in person (a coordinator, who publishes in (b)) five bookings, five saved activities
and an enrolment in progress.

Then it measures, counting SQL statements (SAVEPOINT and RELEASE excluded):

(a) p50/p95 of each page: start, theme months, the theme month, a subject, a competence
    area, a department, the calendar's month, week and list views, and the two shared feeds;
(b) publishing a theme month for everyone: the announcement to every active person
    (notification + mail per their preference), committed.

Exits non-zero when a page answers anything but 200.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_catalogue import PASSWORD, add_activities, framework_only, measure
from common import backends

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.app import create_app
from lms.catalog.models import (
    Activity,
    ActivitySession,
    SavedActivity,
    SharedFeed,
    ThemeMonth,
    ThemeMonthActivity,
    activity_departments,
    activity_subjects,
)
from lms.catalog.schedule import sync_seats
from lms.catalog.themes import publish_now
from lms.config import load_settings
from lms.core import migrate
from lms.core.access import Permission
from lms.core.db import db
from lms.core.time import local_date, utcnow
from lms.framework.models import Subject
from lms.packages.importer import import_package
from lms.progress.models import Booking, Completion, Enrolment

DEPARTMENTS = 8
EMAIL = "bench@kultur.example.se"
THEME_TOKEN = "bench-theme-feed-token"
DEPARTMENT_TOKEN = "bench-department-feed-token"


def add_people(org: Any, departments: list[Any], count: int) -> list[int]:
    session = db.session()
    now = utcnow()
    session.execute(insert(User.__table__), [
        {"email": f"person{n:05d}@kultur.example.se", "name": f"Person {n}",
         "organisation_id": org.id, "department_id": departments[n % DEPARTMENTS].id,
         "gender": ("woman", "man", "unstated")[n % 3], "created_at": now}
        for n in range(count)
    ])  # fmt: skip
    return list(session.scalars(select(User.id).where(User.email.like("person%"))))


def add_audiences(departments: list[Any]) -> None:
    """Subjects for every activity, and a third aimed at one of the departments."""
    session = db.session()
    ids = list(session.scalars(select(Activity.id).order_by(Activity.id)))
    subjects = list(session.scalars(select(Subject.id).order_by(Subject.id)))
    session.execute(insert(activity_subjects), [
        {"activity_id": i, "subject_id": subjects[(i + k) % len(subjects)]}
        for i in ids for k in range(1 + i % 2)
    ])  # fmt: skip
    session.execute(insert(activity_departments), [
        {"activity_id": i, "department_id": departments[i % DEPARTMENTS].id}
        for i in ids if i % 3 == 0
    ])  # fmt: skip


def add_theme_month(people: list[int]) -> ThemeMonth:
    """This month's theme, 40 activities, a third of the people having done one of them."""
    session = db.session()
    today = local_date(utcnow())
    ids = list(session.scalars(select(Activity.id).order_by(Activity.id).limit(40)))
    theme = ThemeMonth(
        year=today.year, month=today.month, slug="informationssakerhet",
        title="Informationssäkerhet", intro="Månadens tema.", intro_html="<p>Månadens tema.</p>",
        status="published", published_at=utcnow(), announced_at=utcnow(),
    )  # fmt: skip
    session.add(theme)
    session.flush()
    session.execute(insert(ThemeMonthActivity.__table__), [
        {"theme_month_id": theme.id, "activity_id": a, "position": p} for p, a in enumerate(ids)
    ])  # fmt: skip
    done = utcnow() - timedelta(days=3)
    session.execute(insert(Completion.__table__), [
        {"user_id": u, "activity_id": ids[n % len(ids)], "completed_at": done,
         "completed_on": local_date(done),
         "credited_minutes": 30, "source": "catalogue",
         "occurrence_key": f"activity:{ids[n % len(ids)]}"}
        for n, u in enumerate(people) if n % 3 == 0
    ])  # fmt: skip
    session.add(SharedFeed(theme_month_id=theme.id, token=THEME_TOKEN))
    return theme


def add_own_learning(user: User) -> None:
    session = db.session()
    sessions = list(session.scalars(select(ActivitySession).order_by(ActivitySession.id).limit(5)))
    for activity_session in sessions:
        sync_seats(session, activity_session)
        session.add(
            Booking(user_id=user.id, session_id=activity_session.id, status="booked", seat=1)
        )
    ids = list(session.scalars(select(Activity.id).order_by(Activity.id.desc()).limit(6)))
    session.add_all(SavedActivity(user_id=user.id, activity_id=a) for a in ids[:5])
    session.add(Enrolment(user_id=user.id, activity_id=ids[5], status="in_progress"))


def announce_everyone(app: Any) -> tuple[float, int, int]:
    """Publish a theme month for everyone now: seconds, people told, SQL statements."""
    session = db.session()
    actor = session.scalar(select(User).where(User.email == EMAIL))
    assert actor is not None
    today = local_date(utcnow())
    theme = ThemeMonth(year=today.year, month=today.month, slug="ai-manaden", title="AI-månaden",
                       intro="AI i vardagen.", intro_html="<p>AI i vardagen.</p>")  # fmt: skip
    session.add(theme)
    session.flush()
    first = session.scalar(select(Activity.id).order_by(Activity.id))
    session.add(ThemeMonthActivity(theme_month_id=theme.id, activity_id=first, position=0))
    session.commit()
    statements: list[str] = []

    def _count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", _count)
    started = time.perf_counter()
    with app.test_request_context():
        told = publish_now(session, actor, theme, utcnow())
        session.commit()
    seconds = time.perf_counter() - started
    event.remove(db.engine, "before_cursor_execute", _count)
    return seconds, told, len(statements)


def run(backend: str, url: str, folder: Path, args: argparse.Namespace) -> None:
    migrate.upgrade(url)
    app = create_app(load_settings(environ={}, env="test", database_url=url,
                                   instance_path=folder, secret_key="b" * 40))  # fmt: skip
    with app.app_context():
        session = db.session()
        import_package(session, framework_only(folder))
        org = accounts.get_or_create_organisation(session, "Kulturförvaltningen")
        departments = [
            accounts.get_or_create_department(session, org, f"Avdelning {n + 1}")
            for n in range(DEPARTMENTS)
        ]
        me = accounts.create_user(session, email=EMAIL, name="Bench Person", organisation=org,
                                  department=departments[0], password=PASSWORD,
                                  permissions=Permission.COORDINATOR)  # fmt: skip
        session.commit()
        add_activities(args.activities)
        add_audiences(departments)
        people = add_people(org, departments, args.people)
        add_theme_month(people)
        add_own_learning(me)
        session.add(SharedFeed(department_id=departments[0].id, token=DEPARTMENT_TOKEN))
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
        session.commit()
        subject = session.scalar(select(Subject.slug).order_by(Subject.id))
        today = local_date(utcnow())
        urls = (
            "/",
            "/teman",
            f"/teman/{today:%Y-%m}/informationssakerhet",
            f"/amnen/{subject}",
            "/omraden/4",
            f"/avdelningar/{departments[0].id}",
            "/kalender/",
            "/kalender/?vy=vecka",
            "/kalender/?vy=lista",
            f"/kalender/flode/{THEME_TOKEN}.ics",
            f"/kalender/flode/{DEPARTMENT_TOKEN}.ics",
        )
        results = measure(app, args.repetitions, urls, EMAIL)
        seconds, told, statements = announce_everyone(app)
    db.session.remove()
    db.engine.dispose()
    print(f"\n{backend}: {args.activities} activities, {args.people + 1} people")
    print(f"{'url':<52} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for path, p50, p95, queries in results:
        print(f"{path:<52} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {queries:8d}")
    print(f"announce a theme month to {told} people: {seconds:.2f} s, {statements} statements")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=1000)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database name has 'bench'")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for backend, url, own in backends(Path(tmp), args.postgres):
            run(backend, url, own, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
