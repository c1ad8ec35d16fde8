"""Security and privacy costs (issue 11): login, the personal data download, pseudonymisation
and retention, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_security.py [--people 2000] [--completions 100000]
        [--heavy-completions 2000] [--old-completions 50000] [--old-logs 5000]
        [--old-assessments 600] [--logins 40] [--repetitions 5]
        [--redis redis://127.0.0.1:6379/7 | --no-redis] [--postgres URL] [--no-sqlite]

Per backend: a freshly migrated database (the PostgreSQL one is emptied, so its name must
contain "bench") with the real competence framework, the organisation of bench/esf_data.py
scaled down (--people in 10 organisations, 400 activities, --completions over 2023-06 –
2026-06), the ESF programme of bench_esf.py with its summary built, one person with a heavy
footprint and old records in every retention class (bench/security_data.py). In-process,
with the Flask test client:

(1) POST /login p50/p95 over --logins attempts each: a known account with the right
    password, with a wrong one, and an unknown address (argon2id verification against a
    dummy hash), the throttle reset before each attempt; and a POST refused by the form
    before any hashing, with the throttle off, in memory and in Redis (--redis, db flushed
    first), which isolates the throttle's own cost. The Redis app repeats the three logins.
(2) The heavy person's data download: export_personal_data in-process (statements, JSON
    size) and the view POST /mina-personuppgifter/hamta signed in as them.
(3) pseudonymise_person of the (deactivated) heavy person, commit included; checks that the
    programme's ESF report JSON is byte-identical before and after and that no text column
    of any table but users still holds the old name or address.
(4) plan_retention (the dry run) and apply_retention of that plan, commit included, with the
    default rules (assessments and plans 1,095 days, completions 3,650, logs 730); checks
    that every class has rows to delete, that apply deleted exactly what the plan counted,
    that every table shrank by exactly its planned rows and no other table changed, and that
    the ESF report is still byte-identical.
Exits non-zero when any check fails or a login answers other than expected.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, func, or_, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import esf_data
import security_data
from bench_catalogue import framework_only
from bench_esf import make_programme, timed
from common import backends
from security_data import HEAVY_EMAIL, HEAVY_NAME, PASSWORD, Sizes

from lms.accounts import services as accounts
from lms.accounts.models import Organisation, User
from lms.app import create_app
from lms.config import load_settings
from lms.core import migrate
from lms.core.db import db
from lms.core.passwords import hash_password, verify_password
from lms.core.time import utcnow
from lms.packages.importer import import_package
from lms.privacy.retention import RetentionRules, apply_retention, plan_retention
from lms.privacy.schema import all_tables
from lms.privacy.services import export_personal_data, pseudonymise_person
from lms.privacy.sweep import NOT_SWEPT, searchable, text_columns
from lms.reports import esf_summary
from lms.reports.esf_report import build_esf_report
from lms.reports.models import Programme

LOGIN_EMAIL = "bench.login@kommun.example.se"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ACTIVITIES = 400
Row = tuple[str, float, float, str]  # label, p50 s, p95 s, note


class Problems(list[str]):
    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.append(message)


def make_app(url: str, folder: Path, redis_url: str = "") -> Flask:
    return create_app(load_settings(
        environ={}, env="test", database_url=url, instance_path=folder, secret_key="b" * 40,
        redis_url=redis_url,
    ))  # fmt: skip


def quantiles(times: list[float]) -> tuple[float, float]:
    p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
    return statistics.median(times), p95


# --- data ----------------------------------------------------------------------------------


def build(session: Session, folder: Path, args: argparse.Namespace) -> tuple[int, int]:
    """Everything the measurements need; returns (heavy person id, programme id)."""
    import_package(session, framework_only(folder))
    session.commit()
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SET synchronous_commit = off"))
    started = time.perf_counter()
    made = esf_data.build(session, args.people, ACTIVITIES, args.completions)
    sizes = Sizes(heavy_completions=args.heavy_completions, old_completions=args.old_completions,
                  old_logs=args.old_logs, old_assessments=args.old_assessments)  # fmt: skip
    heavy = security_data.build_heavy(session, made, sizes)
    security_data.build_old(session, made, sizes)
    org = session.scalars(select(Organisation).order_by(Organisation.id)).first()
    accounts.create_user(session, email=LOGIN_EMAIL, name="Bench Inloggning", organisation=org,
                         password=PASSWORD)  # fmt: skip
    session.commit()
    if postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    programme = make_programme(session, made)
    esf_summary.rebuild_programme(session, programme)
    session.commit()
    rows = sum(table_counts(session).values())
    print(f"  {len(made.people)} people, {rows:,} rows in all, built in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return heavy, programme.id


def table_counts(session: Session) -> dict[str, int]:
    return {
        name: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for name, table in sorted(all_tables().items())
    }


# --- (1) login -----------------------------------------------------------------------------


def login_once(app: Flask, email: str, password: str, throttle: bool = True) -> tuple[float, int]:
    """One POST /login from a fresh client (its GET for the token untimed)."""
    if throttle:
        app.extensions["lms_throttle"].reset()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    form = {"email": email, "password": password, "csrf_token": _token(page)}
    started = time.perf_counter()
    status = client.post("/login", data=form).status_code
    return time.perf_counter() - started, status


def _token(page: str) -> str:
    match = TOKEN.search(page)
    if match is None:
        raise RuntimeError("no csrf_token on the page")
    return match.group(1)


def measure_logins(app: Flask, storage: str, count: int, problems: Problems) -> list[Row]:
    cases = [
        ("right password", LOGIN_EMAIL, PASSWORD, 302),
        ("wrong password", LOGIN_EMAIL, "wrong-" + PASSWORD, 200),
        ("unknown address", "ingen.alls@kommun.example.se", PASSWORD, 200),
    ]
    times: dict[str, list[float]] = {label: [] for label, *_ in cases}
    for attempt in range(count + 1):  # the first round warms up
        for label, email, password, expected in cases:  # interleaved: noise hits all alike
            took, status = login_once(app, email, password)
            problems.check(status == expected, f"login {label} ({storage}) answered {status}")
            if attempt:
                times[label].append(took)
    return [(f"login, {label} ({storage})", *quantiles(times[label]), f"{count}×")
            for label in times]  # fmt: skip


def measure_throttle(app: Flask, storage: str, count: int, problems: Problems) -> list[Row]:
    """A POST the form refuses before hashing (no password): the throttle is most of it."""
    limiter = app.extensions["lms_throttle"].limiter
    rows = []
    for enabled in [False, True] if storage == "memory" else [True]:
        limiter.enabled = enabled
        times = []
        for attempt in range(count + 1):
            took, status = login_once(app, LOGIN_EMAIL, "", throttle=enabled)
            problems.check(status == 200, f"login without password ({storage}) gave {status}")
            if attempt:
                times.append(took)
        label = storage if enabled else "throttle off"
        rows.append((f"login refused by the form ({label})", *quantiles(times), f"{count}×"))
    limiter.enabled = True
    return rows


def measure_argon2(count: int) -> Row:
    stored = hash_password(PASSWORD)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        verify_password(stored, PASSWORD)
        times.append(time.perf_counter() - started)
    return ("argon2id verify alone", *quantiles(times), f"{count}×")


def redis_app(url: str, folder: Path, redis_url: str) -> Flask:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return make_app(url, folder, redis_url)


# --- (2) personal data download ------------------------------------------------------------


def measure_export(
    app: Flask, heavy: int, repetitions: int, problems: Problems
) -> tuple[list[Row], str]:
    with app.app_context():
        session = db.session()

        def export() -> str:
            return export_personal_data(session, session.get(User, heavy))

        p50, p95, statements, body = timed(export, repetitions)
        data = json.loads(body)
        completions = session.scalar(
            select(func.count()).select_from(all_tables()["completions"])
            .where(all_tables()["completions"].c.user_id == heavy)
        )  # fmt: skip
        problems.check(len(data["tables"]["completions"]) == completions,
                       "the download misses completions")  # fmt: skip
        rows = sum(len(v) for v in data["tables"].values())
        size = len(body.encode("utf-8"))
        note = f"{statements} statements, {rows:,} rows, {size / 1e6:.2f} MB"
        db.session.remove()
    view = measure_export_view(app, max(1, repetitions // 2 + 1), size, problems)
    return [("export_personal_data (in-process)", p50, p95, note), view], note


def measure_export_view(app: Flask, repetitions: int, size: int, problems: Problems) -> Row:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    status = client.post("/login", data={"email": HEAVY_EMAIL, "password": PASSWORD,
                                         "csrf_token": _token(page)}).status_code  # fmt: skip
    problems.check(status == 302, f"the heavy person's login answered {status}")
    token = _token(client.get("/mina-personuppgifter").get_data(as_text=True))
    times = []
    for attempt in range(repetitions + 1):
        started = time.perf_counter()
        response = client.post("/mina-personuppgifter/hamta", data={"csrf_token": token})
        if attempt:
            times.append(time.perf_counter() - started)
        problems.check(response.status_code == 200, f"the download answered {response.status_code}")
    body = response.get_data()
    return ("POST /mina-personuppgifter/hamta", *quantiles(times),
            f"{repetitions}×, {len(body) / 1e6:.2f} MB")  # fmt: skip


# --- (3) pseudonymisation ------------------------------------------------------------------


def esf_json(session: Session, programme_id: int) -> bytes:
    programme = session.get(Programme, programme_id)
    report = build_esf_report(session, programme=programme)
    session.rollback()
    return json.dumps(report, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def leftovers(session: Session, needles: list[str]) -> dict[str, int]:
    """Rows per table (users excepted) whose text still holds one of `needles`."""
    found = {}
    for name, table in sorted(all_tables().items()):
        columns = text_columns(table)
        if name in NOT_SWEPT or not columns:
            continue
        hits = or_(*[searchable(c).icontains(n, autoescape=True) for c in columns for n in needles])
        count = session.scalar(select(func.count()).select_from(table).where(hits))
        if count:
            found[name] = int(count)
    return found


def counting(engine: Any) -> tuple[list[str], Callable[[], None]]:
    statements: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    return statements, lambda: event.remove(engine, "before_cursor_execute", _count)


def measure_pseudonymise(
    session: Session, heavy: int, programme_id: int, problems: Problems
) -> tuple[Row, bytes]:
    before = esf_json(session, programme_id)
    needles = [HEAVY_NAME, HEAVY_EMAIL, json.dumps(HEAVY_NAME)[1:-1]]
    problems.check(bool(leftovers(session, needles)), "nothing mentions the heavy person")
    user = session.get(User, heavy)
    user.is_active = False
    session.commit()
    statements, stop = counting(db.engine)
    started = time.perf_counter()
    result = pseudonymise_person(session, None, session.get(User, heavy))
    session.commit()
    took = time.perf_counter() - started
    stop()
    after = esf_json(session, programme_id)
    problems.check(before == after, "the ESF report changed with the pseudonymisation")
    left = leftovers(session, needles)
    problems.check(not left, f"the old name or address is left in {left}")
    columns = sum(len(text_columns(t)) for n, t in all_tables().items() if n not in NOT_SWEPT)
    tables = sum(1 for n, t in all_tables().items() if n not in NOT_SWEPT and text_columns(t))
    swept = sum(result.swept.values())
    print(f"  ESF report before == after pseudonymisation ({len(before):,} bytes): "
          f"{before == after}; {swept} rows swept; left over: {left or 'none'}")  # fmt: skip
    note = f"{len(statements)} statements, {columns} text columns in {tables} tables"
    return ("pseudonymise_person + commit", took, took, note), after


# --- (4) retention -------------------------------------------------------------------------


def measure_retention(
    session: Session, programme_id: int, esf_before: bytes, repetitions: int,
    problems: Problems,
) -> list[Row]:  # fmt: skip
    settings = load_settings(environ={})
    rules = RetentionRules.from_settings(settings)
    before = table_counts(session)
    session.rollback()

    def dry_run() -> Any:
        return plan_retention(session, rules, utcnow())

    p50, p95, statements, plan = timed(dry_run, repetitions)
    for class_plan in plan.classes:
        problems.check(class_plan.count > 0, f"no {class_plan.record_class} past retention")
    planned = plan.counts()
    apply_statements, stop = counting(db.engine)
    started = time.perf_counter()
    deleted = apply_retention(session, plan)
    session.commit()
    took = time.perf_counter() - started
    stop()
    check_deleted(session, before, planned, deleted, problems)
    problems.check(esf_json(session, programme_id) == esf_before,
                   "the ESF report changed with retention")  # fmt: skip
    total = sum(planned.values())
    print("  retention plan: " + ", ".join(f"{k.removesuffix('_deleted')} {v:,}"
                                           for k, v in planned.items() if v))  # fmt: skip
    return [
        ("plan_retention (dry run)", p50, p95, f"{statements} statements, {total:,} rows"),
        ("apply_retention + commit", took, took,
         f"{len(apply_statements)} statements, {deleted.get('programmes_rebuilt', 0)} rebuilt"),
    ]  # fmt: skip


def check_deleted(
    session: Session, before: dict[str, int], planned: dict[str, int], deleted: dict[str, int],
    problems: Problems,
) -> None:  # fmt: skip
    for key, count in planned.items():
        problems.check(deleted.get(key) == count, f"{key}: planned {count}, {deleted.get(key)}")
    after = table_counts(session)
    for name, count in before.items():
        gone = count - after[name]
        expected = planned.get(f"{name}_deleted", 0)
        problems.check(gone == expected, f"{name}: {gone} rows went, {expected} planned")
    ok = all(deleted.get(k) == v for k, v in planned.items())
    print(f"  apply deleted exactly the planned rows: {ok}; other tables unchanged")


# --- run -----------------------------------------------------------------------------------


def run(
    backend: str, url: str, folder: Path, args: argparse.Namespace
) -> tuple[list[Row], Problems]:
    problems = Problems()
    migrate.upgrade(url)
    app = make_app(url, folder)
    print(f"\n{backend}: building…")
    with app.app_context():
        heavy, programme_id = build(db.session(), folder, args)
        db.session.remove()
    rows = [measure_argon2(args.logins)]
    rows += measure_logins(app, "memory", args.logins, problems)
    rows += measure_throttle(app, "memory", args.logins * 2, problems)
    if args.redis:
        other = redis_app(url, folder, args.redis)
        rows += measure_throttle(other, "Redis", args.logins * 2, problems)
        rows += measure_logins(other, "Redis", args.logins, problems)
    exported, _note = measure_export(app, heavy, args.repetitions, problems)
    rows += exported
    with app.app_context():
        session = db.session()
        row, esf_after = measure_pseudonymise(session, heavy, programme_id, problems)
        rows.append(row)
        rows += measure_retention(session, programme_id, esf_after, args.repetitions, problems)
        db.session.remove()
    db.engine.dispose()
    print_table(backend, rows)
    return rows, problems


def print_table(backend: str, rows: list[Row]) -> None:
    print(f"\n{backend:<44} {'p50':>10} {'p95':>10}  note")
    for label, p50, p95, note in rows:
        print(f"{label:<44} {p50 * 1000:8.1f}ms {p95 * 1000:8.1f}ms  {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--completions", type=int, default=100_000)
    parser.add_argument("--heavy-completions", type=int, default=2_000)
    parser.add_argument("--old-completions", type=int, default=50_000)
    parser.add_argument("--old-logs", type=int, default=5_000)
    parser.add_argument("--old-assessments", type=int, default=600, help="people per old round")
    parser.add_argument("--logins", type=int, default=40, help="attempts per login case")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7",
                        help="Redis for the throttle (the db is flushed)")  # fmt: skip
    parser.add_argument("--no-redis", dest="redis", action="store_const", const="")
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database name has 'bench'")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args(argv)
    logging.getLogger("lms.events").setLevel(logging.ERROR)  # one login.failed line per attempt
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend, url, own in backends(Path(tmp), args.postgres):
            if backend == "sqlite" and args.no_sqlite:
                continue
            _rows, problems = run(backend, url, own, args)
            found += [f"{backend}: {p}" for p in problems]
    for problem in found:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
