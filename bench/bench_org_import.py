"""Benchmark `lms import org`: a realistic 2,000-row file, first import and re-import.

    .venv/bin/python bench/bench_org_import.py [--rows 2000] [--postgres URL]

Exits non-zero when the first import takes 10 s or more, or the re-import changes anything.
The PostgreSQL database named in URL is emptied first, so its name must contain "bench".
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import backends
from sqlalchemy import func, select

from lms.accounts.models import Department, JobRole, User
from lms.accounts.org_import import ImportResult, import_organisation
from lms.app import create_app
from lms.config import load_settings
from lms.core import migrate
from lms.core.db import db
from lms.core.outbox import OutboxEmail

LIMIT_SECONDS = 10.0
ORGANISATIONS = {
    "Storstads kulturförvaltning": "kultur.example.se",
    "Kustkommunen": "kustkommunen.example.se",
}
DEPARTMENTS = [
    "Stadsbiblioteket", "Kulturskolan", "Stadsmuseet", "Konsthallen", "Stadsarkivet",
    "Evenemangsavdelningen", "Kommunikationsstaben", "Administrativa staben",
    "Fritidsgårdarna", "Filialbiblioteken", "Teatern",
]  # fmt: skip
JOB_ROLES = [
    "Bibliotekarie", "Biblioteksassistent", "Pedagog", "Antikvarie", "Arkeolog", "Arkivarie",
    "Producent", "Kommunikatör", "Handläggare", "Verksamhetsutvecklare", "Systemansvarig",
    "Systemägare", "Fritidsledare", "Tekniker",
]  # fmt: skip
FIRST_NAMES = [
    "Anna", "Erik", "Maria", "Lars", "Fatima", "Mehmet", "Sofia", "Oskar", "Lan", "Kim",
    "Eva", "Johan", "Aleksandra", "Ali", "Karin", "Nils", "Ingrid", "Omar", "Linnea", "Per",
]  # fmt: skip
LAST_NAMES = [
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Ahmed", "Nguyen", "Yilmaz", "Nowak", "Åkesson", "Sjöberg",
]  # fmt: skip
GENDERS = ["kvinna", "man", "woman", "man", "icke-binär", "non-binary", ""]
HEADER = [
    "email", "name", "organisation", "department", "job_role", "manager_email", "gender",
    "permissions", "protected_identity",
]  # fmt: skip


def _person(rng: random.Random, n: int, domain: str) -> tuple[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = f"{first}.{last}.{n}".lower().translate(str.maketrans("åäö", "aao"))
    return f"{first} {last}", f"{local}@{domain}"


def _row(rng: random.Random, n: int, org: str, dept: str, manager: str, role: str) -> list[str]:
    name, email = _person(rng, n, ORGANISATIONS[org])
    permissions = rng.choices(["", "course_owner", "coordinator", "course_owner;coordinator"],
                              weights=[90, 6, 3, 1])[0]  # fmt: skip
    protected = "ja" if rng.random() < 0.005 else ""
    return [email, name, org, dept, role, manager, rng.choice(GENDERS), permissions, protected]


def _manager(rng: random.Random, rows: list[list[str]], org: str, dept: str, boss: str) -> str:
    manager = _row(rng, len(rows), org, dept, boss, "Chef")
    manager[7] = "manager"
    rows.append(manager)
    return manager[0]


def generate_rows(count: int, seed: int = 2026) -> list[list[str]]:
    """Per organisation a director, ~10 department heads, two team leads each, staff below."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    teams: list[tuple[str, str, str]] = []  # (organisation, department, manager's e-mail)
    for index, org in enumerate(ORGANISATIONS):
        director = _row(rng, len(rows), org, "Förvaltningsledningen", "", "Chef")
        director[7] = "manager;admin"
        rows.append(director)
        for dept in DEPARTMENTS[: 10 - index]:
            head = _manager(rng, rows, org, dept, director[0])
            teams.append((org, dept, head))
            teams += [(org, dept, _manager(rng, rows, org, dept, head)) for _ in range(2)]
    while len(rows) < count:
        org, dept, boss = rng.choice(teams)
        rows.append(_row(rng, len(rows), org, dept, boss, rng.choice(JOB_ROLES)))
    rng.shuffle(rows)  # many people appear before their manager
    return rows[:count]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@dataclass
class Timing:
    backend: str
    first_seconds: float
    first: ImportResult
    again_seconds: float
    again: ImportResult
    users: int
    departments: int
    job_roles: int
    outbox: int


def _timed_import(path: Path) -> tuple[float, ImportResult]:
    started = time.perf_counter()
    with db.transaction() as session:
        result = import_organisation(session, path)
    return time.perf_counter() - started, result


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def run_backend(backend: str, url: str, path: Path, instance: Path) -> Timing:
    migrate.upgrade(url)
    settings = load_settings(
        environ={}, env="test", database_url=url, instance_path=instance, secret_key="x" * 40
    )
    app = create_app(settings)
    with app.app_context():
        first_seconds, first = _timed_import(path)
        again_seconds, again = _timed_import(path)
        counts = [_count(model) for model in (User, Department, JobRole, OutboxEmail)]
        db.session.remove()
    db.engine.dispose()
    return Timing(backend, first_seconds, first, again_seconds, again, *counts)


def print_table(timings: list[Timing], rows: int) -> None:
    print(f"{rows} rows; limit for the first import: {LIMIT_SECONDS:.0f} s")
    print(f"{'backend':<11} {'first import':>13} {'re-import':>10}  result of the re-import")
    for t in timings:
        print(f"{t.backend:<11} {t.first_seconds:>11.2f} s {t.again_seconds:>8.2f} s  "
              f"{t.again.summary()}")  # fmt: skip
    for t in timings:
        print(f"{t.backend}: first import: {t.first.summary()}; in the database: "
              f"{t.users} users, {t.departments} departments, {t.job_roles} job roles, "
              f"{t.outbox} queued mails")  # fmt: skip


def failures(timings: list[Timing], rows: int) -> list[str]:
    problems = []
    for t in timings:
        if t.first_seconds >= LIMIT_SECONDS:
            problems.append(f"{t.backend}: first import took {t.first_seconds:.2f} s")
        if t.again.changed:
            problems.append(f"{t.backend}: the re-import changed something: {t.again.summary()}")
        if t.first.created != rows or t.users != rows or t.outbox != rows:
            problems.append(f"{t.backend}: expected {rows} users and invitations")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows in the generated file")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be at least 100 (the managers alone take 59 rows)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_csv(folder / "organisation.csv", generate_rows(args.rows))
        timings = [
            run_backend(backend, url, path, own)
            for backend, url, own in backends(folder, args.postgres)
        ]
    print_table(timings, args.rows)
    problems = failures(timings, args.rows)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
