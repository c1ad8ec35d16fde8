"""Catalogue page speed and query count with 5,000 published activities.

    .venv/bin/python bench/bench_catalogue.py [--activities 5000] [--postgres URL]

Builds a fresh database (the PostgreSQL one is emptied, so its name must contain "bench"),
imports the real competence framework, bulk-inserts published activities with competences,
sessions and the search index, signs in an employee and requests four catalogue URLs
(plain, search + area, upcoming + page 2, search + department + format) 30 times each.
Prints p50/p95 per URL and the number of SQL statements per request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import backends

from lms.accounts import services as accounts
from lms.app import create_app
from lms.catalog.models import Activity, ActivityCompetence, ActivitySession
from lms.catalog.search import index_activities
from lms.config import REPO_ROOT, load_settings
from lms.core import migrate
from lms.core.db import db
from lms.core.time import utcnow
from lms.framework.models import Competence
from lms.packages.importer import import_package

URLS = (
    "/katalog/",
    "/katalog/?q=säkerhet&area=4",
    "/katalog/?upcoming=y&page=2",
    "/katalog/?q=teams&department=mine&format=lecture",
)
TITLES = (
    "Informationssäkerhet i vardagen",
    "Teams för nybörjare",
    "Säkerheten på museet",
    "Starta din AI-resa",
    "Källkritik för bibliotekarier",
)
FORMATS = ("nanolesson", "lecture", "workshop", "course", "elearning")
PASSWORD = "bench-password-123"


def framework_only(folder: Path) -> Path:
    package = folder / "package"
    package.mkdir(exist_ok=True)
    (package / "framework.yaml").write_bytes((REPO_ROOT / "content/framework.yaml").read_bytes())
    return package


def add_activities(count: int) -> None:
    session = db.session()
    codes = {c.code: c.id for c in session.scalars(select(Competence))}
    now = utcnow()
    rows = [{
        "slug": f"aktivitet-{n:05d}", "title": f"{TITLES[n % 5]} {n}",
        "summary": "Kort om digital kompetens på arbetsplatsen.",
        "body": "Brödtext om lösenord, säkerhet och Teams.", "body_html": "<p>Brödtext.</p>",
        "quiz": [], "format": FORMATS[n % 5], "level": ("grund", "fördjupning", "spets")[n % 3],
        "delivery": "digital", "minutes": 5 + n % 120, "status": "published", "language": "sv",
        "is_repeatable": False, "created_at": now, "updated_at": now, "published_at": now,
    } for n in range(count)]  # fmt: skip
    session.execute(insert(Activity.__table__), rows)
    ids = list(session.scalars(select(Activity.id).order_by(Activity.id)))
    picks = ("4.1", "4.2", "2.1", "1.2", "3.2")
    session.execute(insert(ActivityCompetence.__table__), [
        {"activity_id": i, "competence_id": codes[picks[(i + p) % 5]], "weight": 1.0,
         "position": p}
        for i in ids for p in range(1 + i % 3)
    ])  # fmt: skip
    session.execute(insert(ActivitySession.__table__), [
        {"activity_id": i, "starts_at": now + timedelta(days=1 + i % 60),
         "ends_at": now + timedelta(days=1 + i % 60, hours=2), "place": "Kulturhuset, sal 3",
         "capacity": 25, "is_cancelled": False}
        for i in ids if i % 4 == 0
    ])  # fmt: skip
    index_activities(session, ids)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
    session.commit()


def measure(
    app: Any, repetitions: int, urls: tuple[str, ...] = URLS, email: str = "bench@kultur.example.se"
) -> list[tuple[str, float, float, int]]:
    """p50 and p95 seconds and SQL statements per GET of each URL, signed in as `email`."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"email": email, "password": PASSWORD,
                                "csrf_token": token})  # fmt: skip
    statements: list[str] = []

    def _count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", _count)
    results = []
    for url in urls:
        client.get(url)  # warm caches
        times = []
        for _ in range(repetitions):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        quantiles = statistics.quantiles(times, n=20)
        results.append((url, statistics.median(times), quantiles[18], len(statements)))
    event.remove(db.engine, "before_cursor_execute", _count)
    return results


def run(backend: str, url: str, folder: Path, activities: int, repetitions: int) -> list[Any]:
    migrate.upgrade(url)
    app = create_app(load_settings(environ={}, env="test", database_url=url,
                                   instance_path=folder, secret_key="b" * 40))  # fmt: skip
    with app.app_context():
        session = db.session()
        import_package(session, framework_only(folder))
        org = accounts.get_or_create_organisation(session, "Kulturförvaltningen")
        dept = accounts.get_or_create_department(session, org, "Stadsbiblioteket")
        accounts.create_user(
            session,
            email="bench@kultur.example.se",
            name="Bench Person",
            organisation=org,
            department=dept,
            password=PASSWORD,
        )
        session.commit()
        add_activities(activities)
        results = measure(app, repetitions)
    db.session.remove()
    db.engine.dispose()
    print(f"\n{backend}: {activities} published activities")
    print(f"{'url':<52} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for path, p50, p95, queries in results:
        print(f"{path:<52} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {queries:8d}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=5000)
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database name has 'bench'")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for backend, url, own in backends(folder, args.postgres):
            run(backend, url, own, args.activities, args.repetitions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
