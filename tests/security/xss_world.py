"""A demo database with the XSS corpus stored in every free-text column, and a live server on it.

`python -m tests.security.xss_world` (run by `payload_server` in a child process, so the test
process never rebinds the app's global database) adds what the demo lacks (a development plan
with goals, a learning wish, an accessibility report) through the services, then writes the
payloads into every column listed in FIELDS, each value led by a marker `xssN-R` (field N, row
R) so a test can prove the field reached a page. Markdown columns get the whole corpus and their
stored HTML is rendered again through `render_markdown`, as saving in the editor does.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lms.config import REPO_ROOT
from tests.security.demo_site import LOGINS
from tests.security.demo_site import PASSWORD as DEMO_PASSWORD  # noqa: F401 (for the crawlers)
from tests.security.xss_oracle import load_corpus


@dataclass(frozen=True)
class Field:
    table: str
    column: str
    mode: str = "text"  # text | markdown | url | json_list | json_levels | json_object
    html_column: str = ""  # where the rendered Markdown is stored, if it is
    quiz_column: str = ""  # where its knowledge-check questions are stored, if they are


FIELDS = (
    Field("activities", "title"),
    Field("activities", "summary"),
    Field("activities", "body", "markdown", "body_html", "quiz"),
    Field("activities", "url", "url"),
    Field("activity_revisions", "title"),
    Field("activity_revisions", "summary"),
    Field("activity_revisions", "body", "markdown", "body_html"),
    Field("activity_revisions", "note"),
    Field("lessons", "title"),
    Field("lessons", "summary"),
    Field("lessons", "body", "markdown", "body_html", "quiz"),
    Field("theme_months", "title"),
    Field("theme_months", "intro", "markdown", "intro_html"),
    Field("theme_months", "banner_alt"),
    Field("sessions", "place"),
    Field("sessions", "online_url", "url"),
    Field("transfer_tasks", "title"),
    Field("transfer_tasks", "instructions", "markdown"),
    Field("transfer_tasks", "prompt"),
    Field("transfer_tasks", "items", "json_list"),
    Field("task_responses", "text"),
    Field("task_responses", "manager_note"),
    Field("assessment_rounds", "name"),
    Field("assessments", "conversation_notes"),
    Field("assessments", "follow_up_notes"),
    Field("ratings", "comment"),
    Field("plan_goals", "note"),
    Field("learning_requests", "text"),
    Field("external_learning", "title"),
    Field("external_learning", "description"),
    Field("external_learning", "decision_comment"),
    Field("feedback", "comment"),
    Field("completions", "title"),
    Field("competence_areas", "name"),
    Field("competences", "name"),
    Field("competences", "description"),
    Field("competences", "levels", "json_levels"),
    Field("subjects", "name"),
    Field("programmes", "name"),
    Field("programmes", "description"),
    Field("organisations", "name"),
    Field("departments", "name"),
    Field("job_roles", "name"),
    Field("users", "name"),
    Field("notifications", "title"),
    Field("notifications", "body"),
    Field("uploads", "original_name"),
    Field("accessibility_reports", "page_url"),
    Field("accessibility_reports", "description"),
    Field("audit_events", "details", "json_object"),
)


def marker(field_index: int, row: int) -> str:
    return f"xss{field_index}-{row}"


def _chunk(payloads: list[str], rows: int, row: int) -> list[str]:
    """Row `row` of `rows` gets its share of the corpus, so the rows together hold all of it."""
    size = math.ceil(len(payloads) / max(rows, 1))
    return [payloads[(row * size + i) % len(payloads)] for i in range(size)]


def _quiz(tag: str, chunk: list[str]) -> str:
    """A knowledge check whose question, options and feedback are payloads (JSON is YAML)."""
    first, second = f"{tag} {chunk[0]}", chunk[-1]
    return (
        f"\n\n```quiz\n- question: {json.dumps(first)}\n  options:\n"
        f"    - text: {json.dumps(second)}\n      correct: true\n"
        f"      feedback: {json.dumps(first)}\n    - text: {json.dumps(first)}\n```\n"
    )


def stored_value(field: Field, index: int, row: int, rows: int, payloads: list[str]) -> Any:
    tag = marker(index, row)
    chunk = _chunk(payloads, rows, row)
    if field.mode == "markdown":
        rotated = payloads[row % len(payloads) :] + payloads[: row % len(payloads)]
        return f"{tag}\n\n" + "\n\n".join(rotated) + _quiz(tag, chunk)
    if field.mode == "url":
        return f'https://ok.example/{tag}?"><script>alert(1)</script>'
    if field.mode == "json_list":
        return json.dumps([f"{tag} {payload}" for payload in chunk])
    if field.mode == "json_levels":
        return json.dumps({str(n): f"{tag} {chunk[n % len(chunk)]}" for n in range(1, 6)})
    if field.mode == "json_object":
        return json.dumps({"note": f"{tag} " + " ".join(chunk)})
    return f"{tag} " + " ".join(chunk)


# --- run in the child process ----------------------------------------------------------------


def _add_missing_rows(session: Any) -> None:
    """A plan with goals, a learning wish and an accessibility report, through the services."""
    from sqlalchemy import select

    from lms.accounts.queries import get_user_by_email
    from lms.assessment.models import Assessment, AssessmentStatus
    from lms.assessment.plans import create_plan
    from lms.assessment.requests import create_request
    from lms.core.time import utcnow
    from lms.home.services import report_accessibility_problem

    person = get_user_by_email(session, LOGINS["employee"])
    assert person is not None
    stmt = select(Assessment).where(
        Assessment.user_id == person.id, Assessment.status == AssessmentStatus.REVIEWED
    )
    assessment = session.scalars(stmt.order_by(Assessment.id.desc())).first()
    plan = create_plan(session, person, assessment, utcnow())
    competence_id = (
        plan.goals[0].competence_id if plan.goals else assessment.ratings[0].competence_id
    )
    create_request(session, person, assessment, competence_id, "en önskan om kurs", now=utcnow())
    report_accessibility_problem(
        session,
        page_url="/",
        description="x",
        contact_email=None,
        user_id=person.id,
        notify_address="tillganglighet@kultur.example.se",
    )
    session.flush()


def _inject(session: Any, payloads: list[str]) -> dict[str, int]:
    """Write the payloads into every field; returns the rows written per field."""
    from sqlalchemy import text

    from lms.catalog.services import render_body

    # The demo's notifications and external learning belong to people no demo login is; give
    # them to the employee (whose manager decides the external learning) so pages show them.
    employee = session.scalar(
        text("SELECT id FROM users WHERE email = :e"), {"e": LOGINS["employee"]}
    )
    for table in ("notifications", "external_learning"):
        session.execute(text(f"UPDATE {table} SET user_id = :u"), {"u": employee})
    written = {}
    for index, field in enumerate(FIELDS):
        ids = session.scalars(text(f"SELECT id FROM {field.table} ORDER BY id")).all()
        for row, row_id in enumerate(ids):
            value = stored_value(field, index, row, len(ids), payloads)
            values = {"value": value, "id": row_id}
            sets = f"{field.column} = :value"
            if field.html_column:
                values["html"], questions, _problems = render_body(value)
                sets += f", {field.html_column} = :html"
                if field.quiz_column:
                    values["quiz"] = json.dumps(questions)
                    sets += f", {field.quiz_column} = :quiz"
            session.execute(text(f"UPDATE {field.table} SET {sets} WHERE id = :id"), values)
        written[f"{field.table}.{field.column}"] = len(ids)
    return written


def main() -> None:
    from lms.app import create_app
    from lms.core.db import db

    payloads = [payload for _category, payload in load_corpus()]
    app = create_app()
    with app.app_context(), db.transaction() as session:
        _add_missing_rows(session)
        written = _inject(session, payloads)
    print(json.dumps(written))


# --- used by the tests -----------------------------------------------------------------------


def server_env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "FLASK_"))}
    env.update(
        LMS_DATABASE_URL=database_url,
        LMS_INSTANCE_PATH=str(instance),
        LMS_SECRET_KEY=secrets.token_urlsafe(48),
        LMS_ENV="test",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_payload_database(folder: Path) -> tuple[dict[str, str], dict[str, int]]:
    """The demo in a SQLite file under `folder`, payloads stored; the server env and rows."""
    instance = folder / "instance"
    instance.mkdir(exist_ok=True)
    env = server_env(f"sqlite:///{folder / 'xss.db'}", instance)
    _run(["-m", "flask", "--app", "wsgi", "lms", "init", "--demo"], env)
    written = json.loads(_run(["-m", "tests.security.xss_world"], env).strip().splitlines()[-1])
    return env, written


FLASK_RUN = (sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1")


@contextmanager
def payload_server(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """`flask run` on the payload database; yields the base URL."""
    from tests.browser.conftest import _wait_until_up

    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*FLASK_RUN, "--port", str(port), "--no-reload", "--with-threads"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(proc, base_url + "/login", log)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
