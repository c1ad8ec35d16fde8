"""The demo site for the security walks: `lms init --demo` plus a few objects for the demo logins.

The demo leaves the five browser-test accounts nearly empty, so every URL parameter would
otherwise point at nothing and the routes would do no real work. `build` runs the real
`init --demo` in a child process (the app's database handle is process-wide) and then makes,
through the real services, what those accounts lack: an open self-assessment, a development
plan with goals, a booking, a completion, a pending external-learning report, a notification,
a pre-task answer, a learning request and the calendar feeds. Each test module then works on
its own copy of that file (`DemoSite`), with the app's database pointed at it.

Run directly: `python -m tests.security.demo_site /path/to/demo.db`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from lms.config import REPO_ROOT
from lms.core.access import PUBLIC, Permission, access_rule_for
from lms.core.db import db

PASSWORD = "larlyft-demo-2026"
LOGINS = {
    "employee": "fatima.ahmed@kultur.example.se",
    "manager": "anders.lund@kultur.example.se",
    "course_owner": "maria.lindqvist@kultur.example.se",
    "coordinator": "karin.holm@kultur.example.se",
    "admin": "peter.sjoberg@kultur.example.se",
}
SECRET = "test-secret-key-that-is-long-enough-0123456789"
_BUILT: dict[str, Path] = {}
_OFFERED: dict[str, dict[str, OfferedForm]] = {}


def build(path: Path) -> None:
    """`lms init --demo` into `path`, then the extra objects (in a child process)."""
    env = {
        **os.environ,
        "LMS_DATABASE_URL": f"sqlite:///{path}",
        "LMS_INSTANCE_PATH": str(path.parent / "instance"),
        "LMS_SECRET_KEY": SECRET,
        "LMS_ENV": "development",
        "PYTHONPATH": str(REPO_ROOT),
    }
    subprocess.run(
        [sys.executable, "-m", "tests.security.demo_site", str(path)],
        env=env,
        check=True,
        capture_output=True,
        cwd=REPO_ROOT,
    )


def demo_database(base: Path) -> Path:
    """The built demo database, made once per process."""
    if "db" not in _BUILT:
        folder = base / "security-demo"
        folder.mkdir(exist_ok=True)
        build(folder / "demo.db")
        _BUILT["db"] = folder / "demo.db"
    return _BUILT["db"]


def _enrich() -> None:
    """What the demo logins lack, made through the real services."""
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.assessment.models import Assessment, AssessmentRound
    from lms.assessment.plans import add_goal, create_plan, link_activity
    from lms.assessment.requests import create_request
    from lms.assessment.self_assessment import start_assessment
    from lms.catalog.models import Activity, ActivitySession
    from lms.core.time import local_date, utcnow
    from lms.discover.feeds import create_feeds
    from lms.notify.services import notify
    from lms.progress.bookings import book_session
    from lms.progress.ical import create_feed
    from lms.progress.personal import report_external_learning
    from lms.progress.services import record_completion
    from lms.transfer.models import TaskPhase, TransferTask
    from lms.transfer.services import answer_pre_task

    now = utcnow()
    with db.transaction() as s:
        users = {r: s.scalars(select(User).where(User.email == e)).one() for r, e in LOGINS.items()}
        fatima, anders = users["employee"], users["manager"]
        open_round = s.scalars(select(AssessmentRound).order_by(AssessmentRound.id.desc())).first()
        start_assessment(s, fatima, open_round, local_date(now))
        reviewed = s.scalars(
            select(Assessment)
            .where(Assessment.user_id == fatima.id, Assessment.status == "reviewed")
            .order_by(Assessment.id.desc())
        ).first()
        plan = create_plan(s, anders, reviewed, now)
        s.flush()
        if not plan.goals:
            add_goal(s, anders, plan, _applicable_competence(s, reviewed), now)
        goal = plan.goals[0]
        published = select(Activity).where(Activity.status == "published")
        nano = s.scalars(published.where(Activity.format == "nanolesson")).first()
        link_activity(s, anders, goal, nano)
        create_request(s, fatima, reviewed, goal.competence_id, "Gärna en kurs", goal=goal, now=now)
        pre = s.scalars(select(TransferTask).where(TransferTask.phase == TaskPhase.PRE)).first()
        ticks = range(len(pre.items or []))
        answer_pre_task(s, fatima, pre, text="Mina förväntningar", checked=ticks, now=now)
        record_completion(
            s,
            fatima,
            occurrence_key=f"import:{nano.id}:demo",
            activity=nano,
            minutes=60,
            source="import",
            completed_at=now - timedelta(days=3),
        )
        future = s.scalars(
            select(ActivitySession)
            .join(Activity)
            .where(ActivitySession.starts_at > now, Activity.status == "published")
            .where(~Activity.id.in_(select(TransferTask.activity_id)))
            .order_by(ActivitySession.starts_at)
        ).first()
        book_session(s, fatima, future, now=now)
        report_external_learning(
            s, fatima, title="Konferens", learned_on=local_date(now), hours="3", description="Dag"
        )
        notify(s, fatima, kind="demo", title="Välkommen", body="Hej", link="/")
        create_feed(s, fatima)
        create_feeds(s, theme_month_ids=[1], department_ids=[fatima.department_id])


def _applicable_competence(s: Any, assessment: Any) -> int:
    row = s.execute(
        text("select competence_id from ratings where assessment_id = :a limit 1"),
        {"a": assessment.id},
    ).first()
    return int(row[0])


def main(path: str) -> None:
    from click.testing import CliRunner

    from lms.app import create_app
    from lms.cli import init_command

    app = create_app()
    with app.app_context():
        result = CliRunner().invoke(init_command, ["--demo"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        _enrich()
    assert Path(path).exists()


class DemoSite:
    """A private copy of the demo database with the app pointed at it, and signed-in clients."""

    def __init__(self, app: Flask, source: Path, folder: Path) -> None:
        self.app = app
        self.source = source
        self.folder = folder
        self.copies = 0
        self.clients: dict[str, FlaskClient] = {}
        self.tokens: dict[str, str] = {}

    @contextmanager
    def fresh(self) -> Iterator[Connection]:
        """Point the app at a new copy of the demo database; yields a connection to it."""
        self.copies += 1
        target = self.folder / f"copy-{self.copies}.db"
        shutil.copyfile(self.source, target)
        original = self.app.config["LMS"].database_url
        db.configure(f"sqlite:///{target}")
        try:
            with db.engine.connect() as conn:
                yield conn
        finally:
            db.configure(original)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)

    def client(self, role: str | None) -> FlaskClient:
        """A client signed in as the demo login of `role` (None: signed out), made once."""
        key = role or "anonymous"
        if key not in self.clients:
            client = self.app.test_client()
            if role is not None:
                # Other tests of this process may have used up a demo login's attempts.
                self.app.extensions["lms_throttle"].reset()
                token = csrf_token(client)
                response = client.post(
                    "/login",
                    data={"email": LOGINS[role], "password": PASSWORD, "csrf_token": token},
                )
                assert response.status_code == 302, (role, response.status_code)
            self.clients[key] = client
        return self.clients[key]

    def token(self, role: str | None) -> str:
        """A CSRF token of the role's client session (valid as long as its cookies are kept)."""
        key = role or "anonymous"
        if key not in self.tokens:
            self.tokens[key] = csrf_token(self.client(role))
        return self.tokens[key]


def csrf_token(client: FlaskClient) -> str:
    html = client.get("/tillganglighet").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the accessibility page"
    return match.group(1)


# --- who may use a rule ------------------------------------------------------------------

ROLE_PERMISSIONS = {
    "employee": Permission.NONE,
    "manager": Permission.MANAGER,
    "course_owner": Permission.COURSE_OWNER,
    "coordinator": Permission.COORDINATOR | Permission.COURSE_OWNER | Permission.REPORTING,
    "admin": Permission.ADMIN,
}


def allowed_roles(app: Flask, endpoint: str) -> list[str | None]:
    """The demo roles the endpoint's declared access rule lets in (None: signed out)."""
    with app.test_request_context():
        rule = access_rule_for(endpoint)
    assert rule is not None, endpoint
    if rule == PUBLIC:
        return [None]
    if not rule.any_of:
        return list(LOGINS)
    return [r for r, p in ROLE_PERMISSIONS.items() if p & rule.any_of]


# --- real values for URL parameters ------------------------------------------------------

_OWN = "(select id from users where email = :email)"
_OWNED = f"(select activity_id from activity_owners where user_id = {_OWN})"
_PUBLISHED = "select slug from activities where status = 'published'"
_FATIMA = "(select id from users where email = 'fatima.ahmed@kultur.example.se')"
_PLAN = f"(select p.id from development_plans p where p.user_id = {_FATIMA})"
# One query per endpoint (or blueprint prefix) naming every argument of its rule; the first row
# wins, so own objects are ordered first.
_VALUES: dict[str, str] = {
    "editor.": f"select a.slug as slug from activities a order by a.id in {_OWNED} desc, a.id",
    "editor.edit_lesson": "select a.slug as slug, l.slug as lesson_slug from lessons l "
    f"join activities a on a.id = l.course_id order by a.id in {_OWNED} desc",
    "editor.move_lesson": "@editor.edit_lesson",
    "editor.delete_lesson": "@editor.edit_lesson",
    "editor.cancel_session": "select a.slug as slug, s.id as session_id from sessions s "
    f"join activities a on a.id = s.activity_id order by a.id in {_OWNED} desc, s.id desc",
    "editor.delete_session": "@editor.cancel_session",
    "editor.revision": "select a.slug as slug, r.number as number from activity_revisions r "
    f"join activities a on a.id = r.activity_id order by a.id in {_OWNED} desc",
    "editor.restore": "@editor.revision",
    "editor.uploaded_file": "select name from uploads",
    "transfer_editor.": "select a.slug as slug from activities a "
    f"join transfer_tasks t on t.activity_id = a.id order by a.id in {_OWNED} desc",
    "transfer_editor.edit_task": "select a.slug as slug, t.id as task_id from transfer_tasks t "
    f"join activities a on a.id = t.activity_id order by a.id in {_OWNED} desc",
    "transfer_editor.move_task": "@transfer_editor.edit_task",
    "transfer_editor.delete_task": "@transfer_editor.edit_task",
    "catalog.": _PUBLISHED,
    "catalog.grade_quiz": f"{_PUBLISHED} and quiz != '[]'",
    "catalog.lesson": "select a.slug as slug, l.slug as lesson_slug from lessons l "
    "join activities a on a.id = l.course_id",
    "catalog.grade_lesson_quiz": "select a.slug as slug, l.slug as lesson_slug from lessons l "
    "join activities a on a.id = l.course_id where l.quiz != '[]'",
    "progress.": f"{_PUBLISHED} and format in ('external', 'elearning', 'nanolesson') "
    "order by quiz = '[]' desc, id not in (select activity_id from transfer_tasks) desc",
    "progress.quiz": "@catalog.grade_quiz",
    "progress.complete_lesson": "@catalog.lesson",
    "progress.lesson_quiz": "@catalog.grade_lesson_quiz",
    "recommend.": _PUBLISHED,
    "saved.": _PUBLISHED,
    "bookings.coaching_slots": f"{_PUBLISHED} and format = 'coaching'",
    "bookings.booking_ics": f"select id as booking_id from bookings order by user_id = {_OWN} desc",
    "bookings.cancel": "@bookings.booking_ics",
    "bookings.book": "select s.id as session_id from sessions s join activities a "
    "on a.id = s.activity_id where a.status = 'published' and s.starts_at > datetime('now') "
    "and a.id not in (select activity_id from transfer_tasks) order by s.starts_at desc",
    "bookings.attendance_page": "select s.id as session_id from sessions s "
    f"order by s.activity_id in {_OWNED} desc, s.starts_at",
    "bookings.feed": "select token from calendar_feeds",
    "calendar.feed": "select token from shared_feeds",
    "calendar.reset_feed": "select id as feed_id from shared_feeds",
    "calendar.create_theme_feed": "select id as theme_id from theme_months "
    "where status = 'published' order by id",
    "calendar.create_department_feed": f"select department_id from users where id = {_FATIMA}",
    "discover.subject": "select slug from subjects",
    "discover.area": "select code from competence_areas",
    "discover.department": f"select department_id from users where id = {_FATIMA}",
    "discover.theme_month": "select printf('%04d-%02d', year, month) as year_month, slug "
    "from theme_months where status = 'published'",
    "framework.job_role": "select job_role_id as role_id from users where job_role_id is not null",
    "admin.rename_department": "select id as dept_id from departments",
    "admin.rename_job_role": "select id as role_id from job_roles",
    "admin.": f"select id as user_id from users where id = {_FATIMA}",
    "admin.retry_mail": "select id as mail_id from outbox_emails",
    "notify.mark_read": f"select id as notification_id from notifications "
    f"order by user_id = {_OWN} desc",
    "personal.feedback": f"select id as completion_id from completions "
    f"order by user_id = {_OWN} desc, id desc",
    "personal.decide": "select id as report_id from external_learning where status = 'pending' "
    f"order by user_id = {_FATIMA} desc",
    "esf_reports.": "select slug from programmes",
    "programmes.": "select slug from programmes",
    "rounds.": "select max(id) as round_id from assessment_rounds",
    "assessment.start": "@rounds.",
    "assessment_reports.show": "select id as round_id from assessment_rounds "
    "where id in (select round_id from assessments) order by id",
    "assessment.": "select id as assessment_id, 1 as number from assessments "
    f"where status = 'draft' order by user_id = {_OWN} desc, user_id = {_FATIMA} desc",
    "plans.": f"select assessment_id from development_plans where id = {_PLAN}",
    "plans.unlink_activity": "select p.assessment_id as assessment_id, g.id as goal_id, "
    "ga.activity_id as activity_id from plan_goals g join development_plans p on p.id = g.plan_id "
    f"join goal_activities ga on ga.goal_id = g.id where p.id = {_PLAN}",
    "plans.goal": "select p.assessment_id as assessment_id, g.id as goal_id from plan_goals g "
    f"join development_plans p on p.id = g.plan_id where p.id = {_PLAN} order by g.id",
    "conversation.": f"select assessment_id from development_plans where id = {_PLAN}",
    "learning_requests.answer": "select competence_id from learning_requests",
    "theme_editor.": "select min(id) as theme_id from theme_months",
    "theme_editor.move_activity": "select theme_month_id as theme_id, activity_id "
    "from theme_month_activities order by theme_month_id",
    "theme_editor.remove_activity": "@theme_editor.move_activity",
    "transfer.pre_task": "select id as task_id from transfer_tasks where phase = 'pre'",
    "transfer.response": f"select id as response_id from task_responses "
    f"order by user_id = {_FATIMA} desc",
    "transfer.confirm": "@transfer.response",
    "privacy.pseudonymise": "select id as user_id from users "
    "where email = 'lan.nguyen@kultur.example.se'",
    "static": "select 'css/app.css' as filename",
    "accounts.": "select 'not-a-real-token' as raw",
}


def build_url(rule: Any, values: dict[str, Any]) -> str:
    built = rule.build(values, append_unknown=False)
    assert built is not None, (rule.rule, values)
    return built[1] if isinstance(built, tuple) else built


def _query_for(endpoint: str, arguments: set[str]) -> str:
    if endpoint.startswith("plans.") and "goal_id" in arguments and "activity_id" not in arguments:
        endpoint = "plans.goal"
    blueprint = endpoint.split(".")[0] + "."
    sql = _VALUES.get(endpoint) or _VALUES.get(blueprint)
    assert sql is not None, f"no demo values for {endpoint}"
    while sql.startswith("@"):
        sql = _VALUES[sql[1:]]
    return sql


def url_values(conn: Connection, endpoint: str, arguments: set[str], role: str | None) -> dict:
    """Real values for every argument of the rule, the role's own objects first."""
    if not arguments:
        return {}
    if endpoint == "notify.unsubscribe":
        return {"token": unsubscribe_token(conn)}
    sql = _query_for(endpoint, arguments)
    email = LOGINS.get(role or "", "")
    row = conn.execute(text(sql), {"email": email}).mappings().first()
    assert row is not None, f"the demo has nothing for {endpoint}"
    values = {k: v for k, v in row.items() if k in arguments}
    assert set(values) == arguments, (endpoint, arguments, dict(row))
    return values


def unsubscribe_token(conn: Connection) -> str:
    from lms.accounts.models import User
    from lms.notify.services import unsubscribe_token as make

    user_id = conn.execute(text(f"select {_FATIMA}")).scalar_one()
    return make(db.session.get(User, user_id))


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


class WriteCounter:
    """Statements that change data, and ORM flushes that had something to write."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.flushes: list[str] = []

    def on_statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in WRITES:
            self.statements.append(statement.split("\n")[0][:120])

    def on_flush(self, session: Session, context: Any, instances: Any) -> None:
        changed = [
            *session.new,
            *session.deleted,
            *(o for o in session.dirty if session.is_modified(o)),
        ]
        if changed:
            self.flushes.append(", ".join(sorted({type(o).__name__ for o in changed})))

    def take(self) -> list[str]:
        found = self.statements + [f"flush of {names}" for names in self.flushes]
        self.statements, self.flushes = [], []
        return found


@contextmanager
def counting_writes() -> Iterator[WriteCounter]:
    counter = WriteCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter.on_statement)
    event.listen(Session, "before_flush", counter.on_flush)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter.on_statement)
        event.remove(Session, "before_flush", counter.on_flush)


# --- the forms a page offers -------------------------------------------------------------


class FormParser(HTMLParser):
    """Every <form method=post> with its action and fields (name, value, kind)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower()}
            self._form["fields"] = []
            self.forms.append(self._form)
        if self._form is None or ("name" not in a and tag != "option"):
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("type", "text") not in ("submit", "button", "image", "file"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                fields.append((a["name"], None, kind))
                self._form.setdefault("unticked", {}).setdefault(a["name"], []).append(
                    a.get("value", "on")
                )
            else:
                fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else ""), kind))
        elif tag == "input" and a.get("type") == "file":
            fields.append((a["name"], None, "file"))
        elif tag == "textarea":
            self._textarea = a["name"]
            fields.append((a["name"], "", "textarea"))
        elif tag == "select":
            self._select = a["name"]
            fields.append((a["name"], None, "select"))
        elif tag == "option" and self._select is not None:
            self._choose_option(fields, a)
        elif tag == "button" and a.get("value"):
            fields.append((a["name"], a["value"], "button"))

    def _choose_option(self, fields: list, a: dict[str, str]) -> None:
        name, value, kind = fields[-1]
        if value is None or ("selected" in a and kind != "select-chosen"):
            fields[-1] = (
                name,
                a.get("value", ""),
                "select-chosen" if "selected" in a else kind,
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            name, value, kind = self._form["fields"][-1]
            self._form["fields"][-1] = (name, value + data, kind)


def post_forms(html: str) -> list[dict[str, Any]]:
    parser = FormParser()
    parser.feed(html)
    return [f for f in parser.forms if f["method"] == "post"]


def form_data(form: dict[str, Any]) -> dict[str, list[str]]:
    """The values a person submitting the form unchanged would send."""
    data: dict[str, list[str]] = {}
    for name, value, kind in form["fields"]:
        if value is None or kind == "button":
            continue
        data.setdefault(name, []).append(value)
    buttons = [(n, v) for n, v, k in form["fields"] if k == "button"]
    if buttons:
        data.setdefault(buttons[0][0], []).append(buttons[0][1])
    return data


def table_names(conn: Connection) -> list[str]:
    rows = conn.execute(
        text("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
    )
    return sorted(r[0] for r in rows if "_fts" not in r[0] and "_trigram" not in r[0])


def row_counts(conn: Connection) -> dict[str, int]:
    return {
        t: conn.execute(text(f'select count(*) from "{t}"')).scalar_one() for t in table_names(conn)
    }


# --- the POST forms the site offers, found by walking its GET pages ----------------------


class OfferedForm(NamedTuple):
    """A POST form as a person the POST rule lets in sees it on a GET page."""

    endpoint: str
    role: str | None
    page: str
    action: str
    form: dict[str, Any]


def offered_forms(app: Flask, site: DemoSite, conn: Connection) -> dict[str, OfferedForm]:
    """The first form per POST endpoint on any GET page, seen by a role the POST rule lets in.

    Walked once per process on a fresh copy (every copy starts equal); the CSRF tokens in the
    forms are another session's: submit with `submission`, which puts in the client's own.
    """
    if "forms" not in _OFFERED:
        _OFFERED["forms"] = _walk_forms(app, site, conn)
    return _OFFERED["forms"]


def _walk_forms(app: Flask, site: DemoSite, conn: Connection) -> dict[str, OfferedForm]:
    adapter = app.url_map.bind("localhost")
    found: dict[str, OfferedForm] = {}
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or set())]
    for rule in sorted(rules, key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for role in allowed_roles(app, rule.endpoint):
            page = build_url(rule, url_values(conn, rule.endpoint, set(rule.arguments), role))
            response = site.client(role).get(page)
            html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            response.close()
            for form in post_forms(html):
                action = form["action"] or page
                try:
                    endpoint, _ = adapter.match(urlsplit(action).path, method="POST")
                except HTTPException:
                    continue
                if endpoint not in found and role in allowed_roles(app, endpoint):
                    found[endpoint] = OfferedForm(endpoint, role, page, action, form)
    return found


def _plausible(name: str, kind: str, today: date) -> str:
    later = any(word in name for word in ("end", "closes", "last", "till"))
    if kind == "date":
        return str(today + timedelta(days=(60 if later else 30) * (-1 if "learned" in name else 1)))
    return {
        "time": "11:00" if later else "09:00",
        "number": "2",
        "email": "massprov@kultur.example.se",
        "url": "https://example.org/massprov",
        "password": "",
    }.get(kind, "massprov" if "slug" in name else "Massprov")


def filled_data(form: dict[str, Any]) -> dict[str, list[str]]:
    """`form_data` with every empty text-like field given a plausible value and every radio
    group with nothing chosen given its first choice: a form a person completed."""
    today = date.today()
    data = form_data(form)
    for name, value, kind in form["fields"]:
        if value == "" and kind in ("text", "textarea", "date", "time", "number", "email", "url"):
            data[name] = [_plausible(name, kind, today)]
    for name, values in form.get("unticked", {}).items():
        kinds = {k for n, _, k in form["fields"] if n == name}
        if kinds == {"radio"} and name not in data:
            data[name] = values[:1]
    return data


def submission(
    site: DemoSite, offered: OfferedForm, *, completed: bool = False
) -> dict[str, list[str]]:
    """What the role submitting the form sends, unchanged (or `completed`: see `filled_data`),
    with its own session's CSRF token."""
    data = filled_data(offered.form) if completed else form_data(offered.form)
    for name in data:
        if name.endswith("csrf_token"):
            data[name] = [site.token(offered.role)]
    return data


def post_target(offered: OfferedForm) -> str:
    """The form's action without its #fragment."""
    return offered.action.split("#", 1)[0]


@contextmanager
def kept_cookies(client: FlaskClient) -> Iterator[FlaskClient]:
    """The client's cookies as they were before, whatever the block did (sign-out, sign-in)."""
    saved = dict(client._cookies or {})
    try:
        yield client
    finally:
        assert client._cookies is not None
        client._cookies.clear()
        client._cookies.update(saved)


_WRITTEN = re.compile(r"^(?:INSERT INTO|UPDATE|DELETE FROM|REPLACE INTO)\s+\"?(\w+)", re.I)


def tables_written(statements: list[str]) -> set[str]:
    """The tables the write statements (from `WriteCounter.take`) name."""
    return {m.group(1) for s in statements if (m := _WRITTEN.match(s))}


if __name__ == "__main__":
    main(sys.argv[1])
