"""Transfer of Training at scale: the reminder job, the report figures and the pre-task check.

    .venv/bin/python bench/bench_transfer.py [--people 2000] [--per-person 2]
        [--activities 20] [--postgres URL]

Per backend: a freshly migrated database (the PostgreSQL one is emptied, so its name must
contain "bench"), `--activities` published nano-lessons each with a required pre-task and
two follow-ups (a reflection due after 14 days, a manager conversation due after 30),
`--people` people (the first 20 are the others' managers) and `--per-person` completions
each through `record_completion`, which opens the follow-ups. The completions are spread
over the 60 days before "today" (2027-03-01), so the first run of the job meets follow-ups
due today, due in the past week and a week or more overdue, as on the day the job is first
switched on; a quarter of the reflections are done and a third of the manager
conversations marked held.

Then it measures, counting SQL statements (SAVEPOINT and RELEASE excluded):

(a) `send_transfer_reminders` at 08:00 that day, committed (the whole backlog);
(b) the same run again, which must send nothing;
(c) the next day's run (an ordinary day);
(d) `list_transfer_figures` over every activity for the past year (median of 5);
(e) `check_can_progress` (which is `require_pre_tasks`) per call, pre-task done and missing.

Exits non-zero when the second run sends anything or a reminder was created twice.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, func, insert, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import backends

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.app import create_app
from lms.catalog.models import Activity
from lms.config import load_settings
from lms.core import migrate
from lms.core.db import db
from lms.core.jobs import JobContext
from lms.core.time import STOCKHOLM, UTC, utcnow
from lms.notify.models import Notification
from lms.progress.services import check_can_progress, record_completion
from lms.transfer.figures import list_transfer_figures
from lms.transfer.jobs import send_transfer_reminders
from lms.transfer.models import PRE_SCOPE, ResponseStatus, TaskResponse, TransferTask
from lms.transfer.services import PreTaskMissing

TODAY = date(2027, 3, 1)
SPREAD_DAYS = 60
MANAGERS = 20
CHECK_CALLS = 300


def at_eight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, tzinfo=STOCKHOLM).astimezone(UTC)


class Counter:
    """Counts the SQL statements on the app's engine inside `counting()`."""

    def __init__(self) -> None:
        self.statements = 0

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            self.statements += 1

    @contextmanager
    def counting(self) -> Iterator[Counter]:
        self.statements = 0
        event.listen(db.engine, "before_cursor_execute", self._before)
        try:
            yield self
        finally:
            event.remove(db.engine, "before_cursor_execute", self._before)


@dataclass
class Measured:
    seconds: float
    queries: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return sum(self.counts.values())


@dataclass
class Result:
    backend: str
    setup_seconds: float = 0.0
    completions: int = 0
    follow_ups: int = 0
    runs: list[Measured] = field(default_factory=list)  # first, again, next day
    figures: Measured | None = None
    figures_activities: int = 0
    checks: dict[str, tuple[float, float]] = field(default_factory=dict)  # µs, queries
    duplicate_keys: int = 0


# --- data ------------------------------------------------------------------------------------


def add_activities(count: int) -> list[Activity]:
    """Published nano-lessons, each with a required pre-task and two follow-ups."""
    session = db.session()
    now = utcnow()
    session.execute(insert(Activity.__table__), [{
        "slug": f"transfer-{n:03d}", "title": f"Pröva i vardagen {n}",
        "summary": "Kort om att använda det du lärt dig.", "body": "Brödtext.",
        "body_html": "<p>Brödtext.</p>", "quiz": [], "format": "nanolesson", "level": "grund",
        "delivery": "digital", "minutes": 10, "status": "published", "language": "sv",
        "is_repeatable": False, "created_at": now, "updated_at": now, "published_at": now,
    } for n in range(count)])  # fmt: skip
    activities = list(session.scalars(select(Activity).order_by(Activity.id)))
    for activity in activities:
        session.add_all([
            TransferTask(activity_id=activity.id, phase="pre", kind="reflection",
                         title="Inför: förbered dig", is_required=True),
            TransferTask(activity_id=activity.id, phase="follow_up", kind="reflection",
                         title="Efter två veckor", due_days=14, position=1),
            TransferTask(activity_id=activity.id, phase="follow_up", kind="manager",
                         title="Prata med din chef", due_days=30, position=2),
        ])  # fmt: skip
    session.flush()
    return activities


def add_people(count: int) -> list[User]:
    """`count` people; everyone after the first MANAGERS has one of them as manager."""
    session = db.session()
    org = accounts.get_or_create_organisation(session, "Kulturförvaltningen")
    dept = accounts.get_or_create_department(session, org, "Benchavdelningen")
    people: list[User] = []
    for n in range(count):
        people.append(accounts.create_user(
            session, email=f"transfer-{n:05d}@kultur.example.se", name=f"Person {n}",
            organisation=org, department=dept,
            manager=people[n % MANAGERS] if n >= MANAGERS else None,
        ))  # fmt: skip
    return people


def add_completions(people: list[User], activities: list[Activity], per_person: int) -> int:
    """Completions spread over the past SPREAD_DAYS, then some follow-ups answered."""
    session = db.session()
    made = 0
    for n, person in enumerate(people):
        for k in range(per_person):
            activity = activities[(n + k * 7) % len(activities)]
            day = TODAY - timedelta(days=1 + made % SPREAD_DAYS)
            completed_at = datetime(day.year, day.month, day.day, 14, tzinfo=STOCKHOLM)
            record_completion(
                session, person, occurrence_key=f"activity:{activity.id}", activity=activity,
                minutes=10, source="catalogue", completed_at=completed_at.astimezone(UTC),
            )  # fmt: skip
            made += 1
    r, t = TaskResponse, TransferTask
    reflections = select(t.id).where(t.phase == "follow_up", t.kind == "reflection")
    conversations = select(t.id).where(t.kind == "manager")
    session.execute(
        update(r)
        .where(r.task_id.in_(reflections), r.id % 4 == 0)
        .values(status=ResponseStatus.DONE, text="Det gick bra.", done_at=at_eight(TODAY))
    )
    session.execute(update(r).where(r.task_id.in_(conversations), r.id % 3 == 0).values(
        status=ResponseStatus.AWAITING_MANAGER, text="Vi har pratat."))  # fmt: skip
    return made


def add_done_pre_tasks(people: list[User], activities: list[Activity]) -> None:
    """The first half of the people have done every pre-task; the others none."""
    session = db.session()
    pre = list(session.scalars(select(TransferTask.id).where(TransferTask.phase == "pre")))
    now = utcnow()
    session.execute(insert(TaskResponse.__table__), [{
        "task_id": task_id, "user_id": person.id, "scope": PRE_SCOPE, "status": "done",
        "text": "Klart.", "checked": [], "done_at": now, "submitted_at": now,
        "manager_note": "", "created_at": now, "updated_at": now,
    } for person in people[: len(people) // 2] for task_id in pre])  # fmt: skip


# --- measuring -------------------------------------------------------------------------------


def measure_job(app: Flask, counter: Counter, now: datetime) -> Measured:
    session = db.session()
    ctx = JobContext(session, now, app, logging.getLogger("bench.transfer"))
    with counter.counting():
        started = time.perf_counter()
        counts = send_transfer_reminders(ctx)
        session.commit()
        seconds = time.perf_counter() - started
    return Measured(seconds, counter.statements, counts)


def measure_figures(counter: Counter) -> tuple[Measured, int]:
    session = db.session()
    start = at_eight(TODAY) - timedelta(days=365)
    times, queries, found = [], 0, 0
    for _ in range(5):
        with counter.counting():
            started = time.perf_counter()
            figures = list_transfer_figures(session, today=TODAY, start=start, end=at_eight(TODAY))
            times.append(time.perf_counter() - started)
        queries, found = counter.statements, len(figures)
    return Measured(statistics.median(times), queries), found


def per_call(counter: Counter, calls: list[Callable[[], object]]) -> tuple[float, float]:
    """Median microseconds and mean statements of each call (a raised PreTaskMissing counts)."""
    times = []
    statements = 0
    for call in calls:
        with counter.counting():
            started = time.perf_counter()
            with suppress(PreTaskMissing):
                call()
            times.append(time.perf_counter() - started)
        statements += counter.statements
    return statistics.median(times) * 1e6, statements / len(calls)


def measure_checks(
    counter: Counter, people: list[User], activities: list[Activity]
) -> dict[str, tuple[float, float]]:
    session = db.session()
    half = len(people) // 2
    done = [(people[n % half], activities[n % len(activities)]) for n in range(CHECK_CALLS)]
    missing = [(people[half + n % half], activities[n % len(activities)])
               for n in range(CHECK_CALLS)]  # fmt: skip

    def calls(pairs: list[tuple[User, Activity]]) -> list[Callable[[], object]]:
        return [lambda u=u, a=a: check_can_progress(session, u, a) for u, a in pairs]

    per_call(counter, calls(done[:20]))  # warm up
    return {"pre-task done": per_call(counter, calls(done)),
            "pre-task missing": per_call(counter, calls(missing))}  # fmt: skip


def run(backend: str, url: str, folder: Path, args: argparse.Namespace) -> Result:
    migrate.upgrade(url)
    settings = load_settings(
        environ={}, env="test", database_url=url, instance_path=folder, secret_key="x" * 40
    )
    app = create_app(settings)
    result = Result(backend)
    counter = Counter()
    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        activities = add_activities(args.activities)
        people = add_people(args.people)
        result.completions = add_completions(people, activities, args.per_person)
        add_done_pre_tasks(people, activities)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        result.setup_seconds = time.perf_counter() - started
        result.follow_ups = session.scalar(
            select(func.count()).select_from(TaskResponse).where(TaskResponse.scope != PRE_SCOPE)
        ) or 0  # fmt: skip
        for day in (TODAY, TODAY, TODAY + timedelta(days=1)):
            result.runs.append(measure_job(app, counter, at_eight(day)))
        result.figures, result.figures_activities = measure_figures(counter)
        result.checks = measure_checks(counter, people, activities)
        keys = Notification.dedupe_key
        result.duplicate_keys = session.scalar(
            select(func.count() - func.count(func.distinct(keys)))
            .select_from(Notification).where(keys.like("follow-up-%"))
        ) or 0  # fmt: skip
        session.commit()
        db.session.remove()
    db.engine.dispose()
    return result


# --- report ----------------------------------------------------------------------------------


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    first = results[0]
    print(f"\n{args.people} people, {args.activities} activities (1 pre-task, 2 follow-ups), "
          f"{first.completions} completions, {first.follow_ups} follow-ups")  # fmt: skip
    print(f"{'backend':<11} {'measure':<34} {'sent':>6} {'seconds':>8} {'queries':>8}")
    for r in results:
        labels = ("reminders, first run (backlog)", "reminders, same run again",
                  "reminders, next day")  # fmt: skip
        for label, measured in zip(labels, r.runs, strict=True):
            detail = " ".join(f"{k}={v}" for k, v in measured.counts.items())
            print(f"{r.backend:<11} {label:<34} {measured.sent:>6} {measured.seconds:>8.2f}"
                  f" {measured.queries:>8}  {detail}")  # fmt: skip
        assert r.figures is not None
        print(
            f"{r.backend:<11} {'figures, all activities, a year':<34} "
            f"{r.figures_activities:>6} {r.figures.seconds:>8.3f} {r.figures.queries:>8}"
        )
        for label, (micros, queries) in r.checks.items():
            print(f"{r.backend:<11} {'check_can_progress, ' + label:<34} {'':>6}"
                  f" {micros:>6.0f}µs {queries:>8.1f}")  # fmt: skip
        print(f"{r.backend:<11} setup {r.setup_seconds:.1f} s")


def problems(results: list[Result]) -> list[str]:
    found = []
    for r in results:
        if r.runs[1].sent:
            found.append(f"{r.backend}: the second run sent {r.runs[1].counts}")
        if r.duplicate_keys:
            found.append(f"{r.backend}: {r.duplicate_keys} notifications with a repeated key")
        if not r.runs[0].counts.get("due") or not r.runs[0].counts.get("managers"):
            found.append(f"{r.backend}: the first run missed a kind: {r.runs[0].counts}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--per-person", type=int, default=2, help="completions per person")
    parser.add_argument("--activities", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database name has 'bench'")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend, url, own in backends(Path(tmp), args.postgres):
            results.append(run(backend, url, own, args))
    print_table(results, args)
    found = problems(results)
    for problem in found:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
