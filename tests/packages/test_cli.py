"""`lms content import/export` on the command line, and `lms init` run twice."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.catalog.models import Activity
from lms.config import REPO_ROOT
from lms.core.time import local_date, utcnow
from tests.packages.conftest import ACTIVITY, write_package


def test_content_import_prints_a_summary(app: Flask, session: Session, package: Path) -> None:
    runner = app.test_cli_runner()

    first = runner.invoke(args=["lms", "content", "import", str(package)])
    again = runner.invoke(args=["lms", "content", "import", str(package)])

    assert first.exit_code == 0, first.output
    assert "2 activities (2 created, 0 updated, 0 unchanged)" in first.output
    assert "2 sessions (2 created, 0 updated, 0 deleted)" in first.output
    assert again.exit_code == 0 and again.output.rstrip().endswith("; no changes")
    assert session.scalar(select(func.count()).select_from(Activity)) == 2


def test_content_import_reports_problems_and_exits_1(
    app: Flask, session: Session, package: Path
) -> None:
    broken = ACTIVITY.replace("format: nanolesson", "format: podcast")
    write_package(package, {"activities/starka-losenord.md": broken})

    result = app.test_cli_runner().invoke(args=["lms", "content", "import", str(package)])

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "activities/starka-losenord.md:4: unknown format 'podcast'"
    )
    assert "nothing imported" in result.stderr
    assert result.stdout == ""
    assert session.scalar(select(func.count()).select_from(Activity)) == 0


def test_content_export_writes_the_package(
    app: Flask, session: Session, package: Path, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["lms", "content", "import", str(package)])

    result = runner.invoke(args=["lms", "content", "export", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    assert "2 activities" in result.output
    assert sorted(p.name for p in (tmp_path / "out" / "activities").iterdir()) == [
        "starka-losenord.md",
        "workshop-om-sakerhet.md",
    ]
    stale = tmp_path / "out" / "activities" / "borttagen.md"
    stale.write_text("---\n---\n", encoding="utf-8")
    runner.invoke(args=["lms", "content", "export", str(tmp_path / "out")])
    assert not stale.exists()


def _init(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LMS_INSTANCE_PATH": str(tmp_path),
        "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'init.db'}",
        "LMS_SECRET_KEY": "an-init-test-secret-key-that-is-long-enough",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "init", *args]
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def _theme_months(tmp_path: Path) -> list[tuple[int, int]]:
    with closing(sqlite3.connect(tmp_path / "init.db")) as connection:
        rows = connection.execute("SELECT year, month FROM theme_months ORDER BY year, month")
        return [(int(year), int(month)) for year, month in rows]


def _months_up_to_now(count: int) -> list[tuple[int, int]]:
    """The last `count` months up to the current one: the demo's latest theme is this month's."""
    today = local_date(utcnow())
    current = today.year * 12 + today.month - 1
    months = [divmod(current - back, 12) for back in range(count - 1, -1, -1)]
    return [(year, month + 1) for year, month in months]


def test_init_demo_twice_loads_the_content_once_and_keeps_edits(tmp_path: Path) -> None:
    first = _init(tmp_path, "--demo")
    second = _init(tmp_path, "--demo")

    assert first.returncode == 0, first.stderr
    assert "41 activities (41 created, 0 updated, 0 unchanged)" in first.stdout
    assert "4 courses (4 created, 0 updated, 0 unchanged), 16 lessons" in first.stdout
    assert "note:" not in first.stdout  # every owner and department resolves
    assert "3 theme months (3 created, 0 updated, 0 unchanged)" in first.stdout
    assert _theme_months(tmp_path) == _months_up_to_now(3)
    assert second.returncode == 0, second.stderr
    content = next(line for line in second.stdout.splitlines() if line.startswith("content:"))
    assert content.startswith("content: already loaded"), content
    assert "demo logins" in second.stdout


def test_init_without_demo_loads_the_content_and_leaves_out_departments(tmp_path: Path) -> None:
    first = _init(tmp_path)
    second = _init(tmp_path)

    assert first.returncode == 0, first.stderr
    assert "41 activities (41 created" in first.stdout
    assert "department names match no department and were left out" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "content: already loaded" in second.stdout
