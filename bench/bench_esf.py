"""ESF report speed: a programme over 2,000,000 completions of 100,000 people.

    .venv/bin/python bench/bench_esf.py [--small] [--repetitions 10] [--postgres URL]
        [--no-sqlite] [--explain]

Per backend: a freshly migrated database (the PostgreSQL one is emptied, so its name must
contain "bench") with the real competence framework and the synthetic organisation of
bench/esf_data.py (10 organisations, 200 departments, 100,000 people, 1,500 activities,
2,000,000 completions 2023-06 – 2026-06; `--small`: a twentieth of each). The programme
"Digitalt kompetenslyft" (2023-09-01 – 2026-03-31) covers nine organisations whole and five
departments of the tenth.

Then it measures, counting SQL statements (SAVEPOINT/RELEASE excluded):
(a) rebuild_programme (three INSERT … SELECT over the completions);
(b) build_esf_report for the programme from its summary: whole, an organisation
    coordinator's scope, a department coordinator's scope, a department filter —
    p50/p95 of `--repetitions` runs after one warm-up (target < 1 s on PostgreSQL);
(c) the same report straight from the completions (what it costs without summaries), and a
    report for an arbitrary period (2024-01-15 – 2024-06-30), which always reads raw rows;
(d) incremental upkeep per completion: the summary receivers' own time when 200 completions
    are recorded through record_completion and taken back (p50/p95 ms);
and checks that the summary's aggregates equal the raw ones. `--explain` prints the query
plans of the summary reads and of the upkeep's lookups (PostgreSQL).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import esf_data
from bench_catalogue import framework_only
from common import backends

from lms.accounts.models import Department, Organisation, User
from lms.app import create_app
from lms.catalog.models import Activity
from lms.config import load_settings
from lms.core import migrate
from lms.core.db import db
from lms.core.time import utcnow
from lms.packages.importer import import_package
from lms.progress.models import Completion
from lms.progress.services import record_completion
from lms.progress.signals import completion_recorded, completion_removed
from lms.reports import esf_summary
from lms.reports.esf_data import Coverage, EsfFilter
from lms.reports.esf_queries import raw_aggregates
from lms.reports.esf_report import build_esf_report
from lms.reports.models import (
    Programme,
    ProgrammeActivityHours,
    ProgrammeMonthHours,
    ProgrammeParticipant,
)
from lms.reports.programmes import programme_coverage

STARTS, ENDS = date(2023, 9, 1), date(2026, 3, 31)
UPKEEP_SAMPLES = 200
Row = tuple[str, float, float, int]


def timed(work: Callable[[], Any], repetitions: int) -> tuple[float, float, int, Any]:
    """p50 and p95 seconds and SQL statements of `work` (after one warm-up run)."""
    statements: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    result = work()
    db.session().rollback()
    event.listen(db.engine, "before_cursor_execute", _count)
    times = []
    for _ in range(repetitions):
        statements.clear()
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
        db.session().rollback()  # each run reads afresh, like a request
    event.remove(db.engine, "before_cursor_execute", _count)
    p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
    return statistics.median(times), p95, len(statements), result


def make_programme(session: Session, made: esf_data.Generated) -> Programme:
    organisations = session.scalars(
        select(Organisation).where(Organisation.id.in_(made.organisations[:9]))
    ).all()
    departments = session.scalars(
        select(Department).where(Department.id.in_(made.departments[made.organisations[9]][:5]))
    ).all()
    programme = Programme(
        slug="digitalt-kompetenslyft", name="Digitalt kompetenslyft", starts_on=STARTS,
        ends_on=ENDS, target_participants=1098 * 60, target_hours=18920 * 60,
        target_hours_per_participant=18, organisations=list(organisations),
        departments=list(departments),
    )  # fmt: skip
    session.add(programme)
    session.commit()
    return programme


def measure_reports(
    session: Session, programme: Programme, made: esf_data.Generated, repetitions: int
) -> list[Row]:
    org = made.organisations[0]
    dept = made.departments[org][3]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("report, whole programme", {}),
        ("report, organisation scope", {"coverage": Coverage(organisation_ids=frozenset({org}))}),
        ("report, department scope", {"coverage": Coverage(department_ids=frozenset({dept}))}),
        ("report, department filter", {"department_id": dept}),
    ]
    rows = []
    for label, options in cases:
        p50, p95, statements, _ = timed(
            lambda o=options: build_esf_report(session, programme=programme, **o), repetitions
        )
        rows.append((label, p50, p95, statements))
    return rows


def measure_raw(session: Session, programme: Programme, repetitions: int) -> list[Row]:
    whole = EsfFilter(STARTS, ENDS, (programme_coverage(programme),))
    p50, p95, statements, _ = timed(lambda: raw_aggregates(session, whole), repetitions)
    rows = [("raw aggregates, programme", p50, p95, statements)]
    p50, p95, statements, _ = timed(
        lambda: build_esf_report(session, date_from=date(2024, 1, 15), date_to=date(2024, 6, 30)),
        repetitions,
    )
    rows.append(("raw report 2024-01-15–06-30", p50, p95, statements))
    return rows


def check_equal(session: Session, programme: Programme, made: esf_data.Generated) -> None:
    org = made.organisations[1]
    for extra in ((), (Coverage(organisation_ids=frozenset({org})),)):
        coverages = (programme_coverage(programme), *extra)
        summary = esf_summary.summary_aggregates(session, programme, coverages)
        raw = raw_aggregates(session, EsfFilter(STARTS, ENDS, coverages))
        if summary != raw:
            raise SystemExit(f"summary and raw aggregates differ for {extra}")
    print("  summary aggregates == raw aggregates (whole, organisation scope)")


def measure_upkeep(session: Session, made: esf_data.Generated) -> list[Row]:
    """The summary receivers' own time per completion recorded and taken back (rolled back)."""
    added: list[float] = []
    removed: list[float] = []

    def on_recorded(sender: object, **kw: Any) -> None:
        started = time.perf_counter()
        esf_summary.on_completion_recorded(sender, **kw)
        added.append(time.perf_counter() - started)

    def on_removed(sender: object, **kw: Any) -> None:
        started = time.perf_counter()
        esf_summary.on_completion_removed(sender, **kw)
        removed.append(time.perf_counter() - started)

    # The app may have connected the receivers already: time them through the wrappers only.
    completion_recorded.disconnect(esf_summary.on_completion_recorded)
    completion_removed.disconnect(esf_summary.on_completion_removed)
    completion_recorded.connect(on_recorded)
    completion_removed.connect(on_removed)
    try:
        rng = random.Random(7)
        people = rng.sample(made.people, UPKEEP_SAMPLES)
        activity_ids = [a for a, _f, _m in made.activities]
        users = {u.id: u for u in session.scalars(
            select(User).where(User.id.in_([p.user_id for p in people]))
        )}  # fmt: skip
        activities = {a.id: a for a in session.scalars(select(Activity))}
        recorded = []
        for n, who in enumerate(people):
            day = STARTS + timedelta(days=rng.randrange((ENDS - STARTS).days))
            recorded.append(record_completion(
                session, users[who.user_id], occurrence_key=f"upkeep:{n}",
                activity=activities[rng.choice(activity_ids)], minutes=rng.choice((10, 45, 120)),
                source="import", completed_at=esf_data.noon(day),
            ))  # fmt: skip
        for completion in recorded:
            completion_removed.send(None, session=session, completion=completion)
            session.delete(completion)
            session.flush()
    finally:
        session.rollback()
        completion_recorded.disconnect(on_recorded)
        completion_removed.disconnect(on_removed)
        esf_summary.connect()
    return [
        ("upkeep per completion added", *_ms(added)),
        ("upkeep per completion removed", *_ms(removed)),
    ]


def _ms(times: list[float]) -> tuple[float, float, int]:
    return statistics.median(times), statistics.quantiles(times, n=20)[18], len(times)


def explain(session: Session, programme: Programme, made: esf_data.Generated) -> None:
    """The plan of every statement of a summary read and of one completion's upkeep."""
    captured: list[tuple[str, Any]] = []

    def _capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    org = Coverage(organisation_ids=frozenset({made.organisations[0]}))
    event.listen(db.engine, "before_cursor_execute", _capture)
    try:
        for extra in ((), (org,)):  # the whole programme, an organisation coordinator's scope
            esf_summary.summary_aggregates(
                session, programme, (programme_coverage(programme), *extra)
            )
        completion = session.scalars(
            select(Completion)
            .where(
                Completion.credited_minutes > 0,
                Completion.organisation_id == made.organisations[0],
                Completion.completed_on.between(STARTS, ENDS),
            )
            .limit(1)
        ).one()
        esf_summary.on_completion_removed(None, session=session, completion=completion)
    finally:
        event.remove(db.engine, "before_cursor_execute", _capture)
        session.rollback()
    connection = session.connection()
    for statement, parameters in captured:
        if "EXPLAIN" in statement:
            continue
        plan = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, parameters
        ).scalars()
        first = " ".join(statement.split())[:110]
        print(f"\n  {first}…")
        for line in plan:
            if any(word in line for word in ("Scan", "Execution Time", "Aggregate", "Join")):
                print(f"    {line.strip()}")
    session.rollback()


def run(backend: str, url: str, folder: Path, args: argparse.Namespace) -> None:
    migrate.upgrade(url)
    app = create_app(load_settings(environ={}, env="test", database_url=url,
                                   instance_path=folder, secret_key="b" * 40))  # fmt: skip
    scale = 20 if args.small else 1
    print(f"\n{backend}: building…")
    with app.app_context():
        session = db.session()
        esf_summary.connect()
        import_package(session, framework_only(folder))
        session.commit()
        if backend == "postgresql":
            session.execute(text("SET synchronous_commit = off"))
        started = time.perf_counter()
        made = esf_data.build(session, 100_000 // scale, 1_500 // max(1, scale // 4),
                              2_000_000 // scale)  # fmt: skip
        if backend == "postgresql":
            session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        took = time.perf_counter() - started
        print(f"  {len(made.people)} people, {len(made.activities)} activities, "
              f"{made.completions} completions, built in {took:.1f} s")  # fmt: skip
        programme = make_programme(session, made)
        results = report_rows(session, programme, made, args)
        if args.explain and backend == "postgresql":
            explain(session, programme, made)
    db.session.remove()
    db.engine.dispose()
    print(f"\n{backend:<32} {'p50':>9} {'p95':>9} {'queries':>8}")
    for label, p50, p95, statements in results:
        unit = "ms" if label.startswith("upkeep") else "s"
        factor = 1000 if unit == "ms" else 1
        print(f"{label:<32} {p50 * factor:7.3f}{unit:>2} {p95 * factor:7.3f}{unit:>2} "
              f"{statements:8d}")  # fmt: skip


def report_rows(
    session: Session, programme: Programme, made: esf_data.Generated, args: argparse.Namespace
) -> list[Row]:
    statements: list[str] = []

    def counting(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", counting)
    started = time.perf_counter()
    esf_summary.rebuild_programme(session, programme)
    session.commit()
    rebuilt = time.perf_counter() - started
    event.remove(db.engine, "before_cursor_execute", counting)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE programme_participants, programme_month_hours, "
                             "programme_activity_hours"))  # fmt: skip
        session.commit()
    sizes = [
        session.scalar(select(func.count()).select_from(model))
        for model in (ProgrammeParticipant, ProgrammeMonthHours, ProgrammeActivityHours)
    ]
    print(f"  summary rows: {sizes[0]} participants, {sizes[1]} month cells, "
          f"{sizes[2]} activity cells; built at {utcnow():%H:%M:%S}")  # fmt: skip
    check_equal(session, programme, made)
    results: list[Row] = [("rebuild_programme", rebuilt, rebuilt, len(statements))]
    results += measure_reports(session, programme, made, args.repetitions)
    results += measure_raw(session, programme, max(1, args.repetitions // 5))
    results += measure_upkeep(session, made)
    report = build_esf_report(session, programme=programme)
    people, hours = report["participants"], report["hours"]["total"]
    print(f"  programme: {people['total']} participants ({people['women']} women), "
          f"{hours:.0f} hours")  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a twentieth of the data")
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database name has 'bench'")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL query plans")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for backend, url, own in backends(Path(tmp), args.postgres):
            if backend == "sqlite" and args.no_sqlite:
                continue
            run(backend, url, own, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
