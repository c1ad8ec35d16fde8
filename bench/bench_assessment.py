"""Assessment analytics for a round of 20,000 people × ~14 sub-competences.

    .venv/bin/python bench/bench_assessment.py [--people 20000] [--repetitions 5]
        [--postgres URL]

Per backend: a freshly migrated database (the PostgreSQL one is emptied, so its name must
contain "bench") with the real competence framework (15 sub-competences, 15 job roles), one
organisation of 40 departments (four of them with 2–4 people, so suppression has work to do),
`--people` people who answer two rounds — every sub-competence of their job role; two thirds
have a role with area 6 (15 sub-competences), the rest 12, so 14 each and 280,000 ratings per
round, a third with agreed levels — and 5 % more people who are targeted but do not answer.

Then it measures, counting SQL statements (SAVEPOINT and RELEASE excluded), the p50 and the
slowest of `--repetitions` runs (after one warm-up) of:

(a) build_assessment_report for the autumn round;
(b) the same with --compare (the spring round too);
(c) list_round_summaries (the reports' index);
(d) the report page with a comparison (GET, rendered), signed in as a coordinator;

and prints the round's headline figures. Target: (a) and (b) under 2 s on both backends.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_catalogue import PASSWORD, framework_only, measure
from common import backends

from lms.accounts import services as accounts
from lms.accounts.models import JobRole, User
from lms.app import create_app
from lms.assessment.models import Assessment, AssessmentRound, Rating, round_organisations
from lms.config import load_settings
from lms.core import migrate
from lms.core.access import Permission
from lms.core.db import db
from lms.core.time import utcnow
from lms.framework.models import RoleExpectation
from lms.packages.importer import import_package
from lms.reports.assessment_report import build_assessment_report, list_round_summaries

DEPARTMENTS = 40
SMALL = {0: 2, 1: 3, 2: 4, 3: 3}  # department index → people (the rest share the others)
EMAIL = "samordnare@kultur.example.se"
AREA_SIX = ("Systemägare", "Systemansvarig", "Chef")
CHUNK = 20_000


def add_people(org: Any, departments: list[Any], count: int) -> list[tuple[int, int]]:
    """`count` people spread over the departments and roles; (user id, role id) of each."""
    session = db.session()
    roles = {r.name: r.id for r in session.scalars(select(JobRole))}
    wide = [roles[name] for name in AREA_SIX]
    narrow = [role_id for name, role_id in sorted(roles.items()) if name not in AREA_SIX]
    slots = [i for i, n in SMALL.items() for _ in range(n)]
    rows = []
    for n in range(count):
        index = slots[n] if n < len(slots) else len(SMALL) + n % (DEPARTMENTS - len(SMALL))
        role = wide[(n // 3) % 3] if n % 3 else narrow[(n // 3) % len(narrow)]
        rows.append({
            "email": f"person{n:05d}@kultur.example.se", "name": f"Person {n}",
            "organisation_id": org.id, "department_id": departments[index].id,
            "job_role_id": role, "gender": ("woman", "man", "unstated")[n % 3],
            "created_at": utcnow(),
        })  # fmt: skip
    session.execute(insert(User.__table__), rows)
    return list(
        session.execute(
            select(User.id, User.job_role_id).where(User.email.like("person%")).order_by(User.id)
        )
    )


def add_round(
    org: Any, name: str, opens: date, people: list[tuple[int, int]], seed: int, gap: float
) -> None:
    """A round targeting the organisation; everyone but every 21st person answers it."""
    session = db.session()
    round_ = AssessmentRound(name=name, opens_on=opens, closes_on=opens.replace(day=28))
    session.add(round_)
    session.flush()
    session.execute(
        insert(round_organisations), [{"round_id": round_.id, "organisation_id": org.id}]
    )
    department = {u: d for u, d in session.execute(select(User.id, User.department_id))}
    answering = [(u, r) for n, (u, r) in enumerate(people) if n % 21 != 20]
    now = utcnow()
    session.execute(insert(Assessment.__table__), [
        {"round_id": round_.id, "user_id": u, "status": ("submitted", "reviewed")[u % 2],
         "job_role_id": r, "department_id": department[u], "created_at": now,
         "updated_at": now, "submitted_at": now, "conversation_notes": "",
         "follow_up_notes": ""}
        for u, r in answering
    ])  # fmt: skip
    ids = {
        u: a
        for u, a in session.execute(
            select(Assessment.user_id, Assessment.id).where(Assessment.round_id == round_.id)
        )
    }
    expected: dict[int, list[tuple[int, int]]] = {}
    for role_id, competence_id, level in session.execute(
        select(RoleExpectation.job_role_id, RoleExpectation.competence_id, RoleExpectation.level)
    ):
        expected.setdefault(role_id, []).append((competence_id, level))
    rng = random.Random(seed)
    batch: list[dict[str, Any]] = []
    for user_id, role_id in answering:
        drive = rng.choice((3, 4, 4, 5))  # a person's motivation varies around their own level
        for competence_id, level in expected[role_id]:
            # Below the expected level in about `gap` of the sub-competences.
            own = min(5, level + rng.choice((0, 0, 1))) if rng.random() > gap else level - 1
            batch.append({
                "assessment_id": ids[user_id], "competence_id": competence_id, "self_level": own,
                "motivation": max(1, min(5, drive + rng.choice((-1, 0, 0, 1)))), "comment": "",
                "agreed_level": own + rng.choice((0, 1)) if user_id % 3 == 0 and own < 5 else None,
                "updated_at": now,
            })  # fmt: skip
            if len(batch) >= CHUNK:
                session.execute(insert(Rating.__table__), batch)
                batch = []
    if batch:
        session.execute(insert(Rating.__table__), batch)
    session.commit()


def timed(work: Callable[[], Any], repetitions: int) -> tuple[float, float, int, Any]:
    """p50 and slowest seconds and SQL statements of `work` (after one warm-up run)."""
    statements: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    result = work()
    event.listen(db.engine, "before_cursor_execute", _count)
    times = []
    for _ in range(repetitions):
        statements.clear()
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
        db.session().rollback()  # each run reads afresh, like a request
    event.remove(db.engine, "before_cursor_execute", _count)
    return statistics.median(times), max(times), len(statements), result


def build(app: Any, org: Any, departments: list[Any], args: argparse.Namespace) -> None:
    session = db.session()
    people = add_people(org, departments, args.people + args.people // 20)
    add_round(org, "Skattning våren 2026", date(2026, 3, 2), people, seed=1, gap=0.035)
    add_round(org, "Skattning hösten 2026", date(2026, 10, 1), people, seed=2, gap=0.025)
    accounts.create_user(session, email=EMAIL, name="Karin Samordnare", organisation=org,
                         department=departments[-1], password=PASSWORD,
                         permissions=Permission.COORDINATOR)  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
    session.commit()
    ratings = session.scalar(select(func.count()).select_from(Rating))
    print(f"  {len(people)} people, {ratings} ratings in two rounds")


def run(backend: str, url: str, folder: Path, args: argparse.Namespace) -> None:
    migrate.upgrade(url)
    app = create_app(load_settings(environ={}, env="test", database_url=url,
                                   instance_path=folder, secret_key="b" * 40))  # fmt: skip
    print(f"\n{backend}: building…")
    with app.app_context():
        session = db.session()
        import_package(session, framework_only(folder))
        org = accounts.get_or_create_organisation(session, "Kulturförvaltningen")
        departments = [
            accounts.get_or_create_department(session, org, f"Avdelning {n + 1:02d}")
            for n in range(DEPARTMENTS)
        ]
        session.commit()
        started = time.perf_counter()
        build(app, org, departments, args)
        print(f"  built in {time.perf_counter() - started:.1f} s")
        rounds = {r.name: r for r in session.scalars(select(AssessmentRound))}
        autumn, spring = rounds["Skattning hösten 2026"], rounds["Skattning våren 2026"]
        results = [
            ("report, one round", *timed(
                lambda: build_assessment_report(session, autumn, min_group_size=5),
                args.repetitions)),
            ("report with --compare", *timed(
                lambda: build_assessment_report(session, autumn, spring, min_group_size=5),
                args.repetitions)),
            ("round summaries (index)", *timed(
                lambda: list_round_summaries(session, 5), args.repetitions)),
        ]  # fmt: skip
        path = f"/rapporter/skattning/{autumn.id}?jamfor={spring.id}"
        page = measure(app, args.repetitions + 1, (path,), EMAIL)
        report = results[1][4]
    db.session.remove()
    db.engine.dispose()
    print(f"{'':<28} {'p50 s':>7} {'max s':>7} {'queries':>8}")
    for label, p50, slowest, statements, _ in results:
        print(f"{label:<28} {p50:7.2f} {slowest:7.2f} {statements:8d}")
    for path, p50, _p95, statements in page:
        print(f"{'report page, compared':<28} {p50:7.2f} {'':>7} {statements:8d}   {path}")
    print_figures(report)


def print_figures(report: dict[str, Any]) -> None:
    delta = report["compare"]["delta_pp"]
    print(f"  {report['round']} vs {report['compare']['round']}: "
          f"{report['respondents']} respondents, response rate {report['response_rate']:.3f}, "
          f"share with needs {report['share_with_needs']:.3f} "
          f"({delta['share_with_needs']:+.1f} pp), high motivation "
          f"{report['high_motivation']:.3f} ({delta['high_motivation']:+.1f} pp)")  # fmt: skip
    hidden = sum(d["suppressed"] for d in report["by_department"])
    print(f"  {len(report['by_department'])} departments ({hidden} with hidden figures), "
          f"{len(report['by_job_role'])} job roles")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database name has 'bench'")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for backend, url, own in backends(Path(tmp), args.postgres):
            run(backend, url, own, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
