"""Benchmark `lms content import`: 1,000 generated activity files, first import and re-import.

    .venv/bin/python bench/bench_content_import.py [--activities 1000] [--postgres URL]

The package holds the real framework.yaml and generated activities of every format: 2–3
competences each, sessions for the scheduled ones, pre-tasks and follow-ups, a knowledge check
in every nano-lesson. The demo organisation is loaded first so owners and departments resolve.
Exits non-zero when the first import takes 15 s or more, or the re-import changes anything.
The PostgreSQL database named in URL is emptied first, so its name must contain "bench".
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from common import backends
from sqlalchemy import func, select

from lms.accounts.org_import import import_organisation
from lms.app import create_app
from lms.catalog.models import Activity, ActivitySession
from lms.config import REPO_ROOT, load_settings
from lms.core import migrate
from lms.core.db import db
from lms.packages.importer import PackageResult, import_package
from lms.transfer.models import TransferTask

LIMIT_SECONDS = 15.0
CONTENT = REPO_ROOT / "content"
FORMATS = ["nanolesson"] * 8 + ["elearning"] * 2 + ["lecture"] * 3 + ["workshop"] * 4 + [
    "coaching", "network", "external",
]  # fmt: skip
SCHEDULED = {"lecture", "workshop", "coaching", "network"}
CODES = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2"]
SUBJECTS = [
    "digital-arbetsplats", "digitala-rattigheter", "digital-produktion", "digital-innovation",
    "it-utveckling-och-systemforvaltning", "ramverk-for-digital-kompetens",
]  # fmt: skip
DEPARTMENTS = [
    "Kulturskolan",
    "Museer och konst",
    "Stockholms stadsbibliotek",
    "Liljevalchs konsthall",
]
OWNERS = [
    "karin.holm@kultur.example.se",
    "johan.ek@kultur.example.se",
    "ali.hassan@kultur.example.se",
]
TOPICS = [
    "lösenord", "nätfiske", "källkritik", "Teams-möten", "AI-verktyg", "upphovsrätt",
    "bildbehandling", "tillgänglighet", "filhantering", "personuppgifter", "poddar",
    "sociala medier", "3D-skanning",
]  # fmt: skip
DELIVERIES = ["digital", "physical", "hybrid"]
PLACES = ["Zoom", "Stadsbiblioteket, sal 2", "Kulturhuset, studion", "Stadsmuseet, Slussen"]


def _body(rng: random.Random, topic: str, quiz: bool) -> str:
    steps = [f"- Steg {n}: gör något konkret med {topic}." for n in range(1, rng.randint(3, 6))]
    paragraphs = [
        f"## Om {topic}\n\nDen här aktiviteten handlar om {topic} i vardagen på biblioteket, "
        "museet och kulturskolan. Du får exempel från verksamheten och tid att pröva själv.",
        "## Så gör du\n\n" + "\n".join(steps),
        "::: tip\nFråga en kollega som har gjort det förut – det går fortare tillsammans.\n:::",
        "| Före | Efter |\n|---|---|\n| osäker | trygg |\n| långsam | snabb |",
        f"Läs mer i [guiden om {topic}](https://example.se/guider/{rng.randint(1, 99)}).[^1]\n\n"
        "[^1]: Uppdaterad i år.",
    ]
    text = "\n\n".join(paragraphs[: rng.randint(3, 5)]) + "\n"
    if quiz:
        text += (
            f"\n```quiz\n- question: Vad är viktigast när det gäller {topic}?\n  kind: single\n"
            "  options:\n    - text: Att göra som alltid\n      feedback: Inte riktigt.\n"
            "    - text: Att tänka efter och fråga\n      correct: true\n      feedback: Rätt!\n"
            "- question: Vilka påståenden stämmer?\n  kind: multiple\n  options:\n"
            "    - text: Det går att lära sig\n      correct: true\n"
            "    - text: Det är bara för experter\n"
            "    - text: Kollegor kan hjälpa\n      correct: true\n```\n"
        )
    return text


def _tasks(rng: random.Random, scheduled: bool) -> dict[str, list[dict[str, object]]]:
    tasks: dict[str, list[dict[str, object]]] = {}
    if scheduled or rng.random() < 0.3:
        tasks["pre_tasks"] = [
            {"title": "Förbered dig", "instructions": "Läs igenom materialet.",
             "kind": "reflection", "required": rng.random() < 0.5,
             "prompt": "Vad vill du lära dig?"},
        ]  # fmt: skip
    if rng.random() < 0.6:
        tasks["follow_ups"] = [
            {"title": "Pröva på jobbet", "instructions": "Använd det du lärt dig.",
             "kind": "checklist", "due_days": rng.choice([7, 14, 30]),
             "items": ["Jag har provat", "Jag har berättat för en kollega"]},
        ]  # fmt: skip
    return tasks


def _sessions(rng: random.Random, minutes: int) -> list[dict[str, object]]:
    sessions = []
    for _ in range(rng.randint(1, 3)):
        day = datetime(2027, 1, 11) + timedelta(days=rng.randint(0, 300))
        start = day.replace(hour=rng.choice([9, 10, 13, 14]), minute=rng.choice([0, 30]))
        end = start + timedelta(minutes=minutes)
        item = {"starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": end.strftime("%Y-%m-%dT%H:%M"), "place": rng.choice(PLACES),
                "capacity": rng.choice([12, 20, 30, 100])}  # fmt: skip
        sessions.append(item)
    return sessions


def activity_file(rng: random.Random, n: int) -> str:
    fmt = rng.choice(FORMATS)
    topic = rng.choice(TOPICS)
    minutes = {"nanolesson": 10, "elearning": 45, "external": 480}.get(
        fmt, rng.choice([60, 120, 180])
    )
    codes = rng.sample(CODES, rng.randint(2, 3))
    meta: dict[str, object] = {
        "title": f"{topic.capitalize()} – del {n}",
        "summary": f"Lär dig mer om {topic} på {minutes} minuter.",
        "format": fmt,
        "level": rng.choice(["grund", "grund", "fördjupning", "spets"]),
        "delivery": "digital" if fmt in {"nanolesson", "elearning"} else rng.choice(DELIVERIES),
        "minutes": minutes,
        "competences": {code: rng.choice([1.0, 0.5, 0.3]) for code in codes},
        "subjects": rng.sample(SUBJECTS, rng.randint(1, 2)),
        "departments": rng.sample(DEPARTMENTS, rng.choice([0, 0, 0, 1, 2])),
        "owners": rng.sample(OWNERS, rng.randint(1, 2)),
        "status": rng.choice(["published"] * 8 + ["draft", "archived"]),
    }
    if fmt in {"external", "elearning"}:
        meta["url"] = f"https://utbildning.example.se/kurs/{n}"
    meta.update(_tasks(rng, fmt in SCHEDULED))
    if fmt in SCHEDULED:
        meta["sessions"] = _sessions(rng, minutes)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
    return f"---\n{front}---\n{_body(rng, topic, fmt == 'nanolesson')}"


def generate_package(folder: Path, count: int, seed: int = 2026) -> Path:
    rng = random.Random(seed)
    (folder / "activities").mkdir(parents=True)
    shutil.copy(CONTENT / "framework.yaml", folder / "framework.yaml")
    for n in range(1, count + 1):
        text = activity_file(rng, n)
        (folder / "activities" / f"aktivitet-{n:04d}.md").write_text(text, encoding="utf-8")
    return folder


@dataclass
class Timing:
    backend: str
    first_seconds: float
    first_cpu: float
    first: PackageResult
    again_seconds: float
    again_cpu: float
    again: PackageResult
    activities: int
    sessions: int
    tasks: int


def _timed_import(path: Path) -> tuple[float, float, PackageResult]:
    """Wall-clock and CPU seconds of this process (the machine may be shared), and the result."""
    started, cpu = time.perf_counter(), time.process_time()
    with db.transaction() as session:
        result = import_package(session, path)
    return time.perf_counter() - started, time.process_time() - cpu, result


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def run_backend(backend: str, url: str, package: Path, instance: Path) -> Timing:
    migrate.upgrade(url)
    settings = load_settings(
        environ={}, env="test", database_url=url, instance_path=instance, secret_key="x" * 40
    )
    app = create_app(settings)
    with app.app_context():
        with db.transaction() as session:
            import_organisation(
                session, CONTENT / "demo" / "organisation.csv", send_invitations=False
            )
        first = _timed_import(package)
        again = _timed_import(package)
        counts = [_count(model) for model in (Activity, ActivitySession, TransferTask)]
        db.session.remove()
    db.engine.dispose()
    return Timing(backend, *first, *again, *counts)


def print_table(timings: list[Timing], count: int) -> None:
    print(
        f"{count} activity files + framework.yaml; "
        f"limit for the first import: {LIMIT_SECONDS:.0f} s"
    )
    print(f"{'backend':<11} {'first import':>13} {'(cpu)':>8} {'re-import':>10} {'(cpu)':>8}"
          "  changes in the re-import")  # fmt: skip
    for t in timings:
        print(f"{t.backend:<11} {t.first_seconds:>11.2f} s {t.first_cpu:>6.2f} s "
              f"{t.again_seconds:>8.2f} s {t.again_cpu:>6.2f} s  {t.again.changed}")  # fmt: skip
    for t in timings:
        print(f"{t.backend}: first import: {t.first.summary()}")
        print(f"{t.backend}: in the database: {t.activities} activities, {t.sessions} sessions, "
              f"{t.tasks} tasks")  # fmt: skip


def failures(timings: list[Timing], count: int) -> list[str]:
    problems = []
    for t in timings:
        if t.first_seconds >= LIMIT_SECONDS:
            problems.append(f"{t.backend}: first import took {t.first_seconds:.2f} s")
        if t.again.changed:
            problems.append(f"{t.backend}: the re-import changed something: {t.again.summary()}")
        if t.first.activities.created != count or t.activities != count:
            problems.append(f"{t.backend}: expected {count} activities")
        if t.first.unknown_owners or t.first.unknown_departments:
            problems.append(f"{t.backend}: owners or departments did not resolve")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--activities", type=int, default=1000, help="activity files to generate")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        package = generate_package(folder / "package", args.activities)
        timings = [
            run_backend(backend, url, package, own)
            for backend, url, own in backends(folder, args.postgres)
        ]
    print_table(timings, args.activities)
    problems = failures(timings, args.activities)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
