"""The `flask --app wsgi lms …` command tree; domain commands are attached here."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app

from lms.accounts.cli import import_org_command, user_group
from lms.assessment.cli import import_assessments_command
from lms.config import REPO_ROOT
from lms.core import migrate
from lms.core.db import db
from lms.core.scheduler_cli import scheduler_commands
from lms.core.time import local_date, utcnow
from lms.jobs import registered_jobs
from lms.notify.cli import notify_group
from lms.packages.cli import content_group, run_import
from lms.privacy.cli import privacy_group
from lms.privacy.retention_cli import retention_group
from lms.progress.cli import import_completions_command
from lms.recommend.cli import recommend_group
from lms.reports.cli import report_group

DEMO_PASSWORD = "larlyft-demo-2026"  # noqa: S105  (printed by `init --demo`, demo only)
DEMO_LOGINS = {
    "employee": "fatima.ahmed@kultur.example.se",
    "manager": "anders.lund@kultur.example.se",
    "course_owner": "maria.lindqvist@kultur.example.se",
    "coordinator": "karin.holm@kultur.example.se",
    "admin": "peter.sjoberg@kultur.example.se",
}


@click.group("lms")
def lms_group() -> None:
    """Lärlyft administration commands."""


@click.group("import")
def import_group() -> None:
    """Import organisation data from CSV files (validated first, idempotent)."""


import_group.add_command(import_org_command)
import_group.add_command(import_completions_command)
import_group.add_command(import_assessments_command)
lms_group.add_command(import_group)
lms_group.add_command(user_group)
lms_group.add_command(content_group)
for _command in scheduler_commands(registered_jobs):  # scheduler, serve, jobs list|run
    lms_group.add_command(_command)
lms_group.add_command(notify_group)
lms_group.add_command(report_group)
lms_group.add_command(recommend_group)
lms_group.add_command(privacy_group)
lms_group.add_command(retention_group)
DEMO_SESSIONS_FROM = timedelta(days=7)  # the demo's sessions start a week from today or later


@lms_group.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest revision."""
    migrate.upgrade(current_app.config["LMS"].database_url)
    click.echo("database is at the newest revision")


@lms_group.command("init")
@click.option("--demo", is_flag=True, help="Also load the demo organisation and logins.")
def init_command(demo: bool) -> None:
    """Migrate the database; on a fresh install load the default content (safe to rerun)."""
    migrate.upgrade(current_app.config["LMS"].database_url)
    click.echo("database is at the newest revision")
    if demo:
        _load_demo()  # first, so the content's owners and departments resolve
    if _catalogue_is_empty():
        if demo:
            today = local_date(utcnow())
            run_import(
                REPO_ROOT / "content",
                shift_sessions_to=today + DEMO_SESSIONS_FROM,
                shift_themes_to=today,  # the latest theme month is this month's
            )
        else:
            # Without an organisation the content's department names cannot resolve yet.
            run_import(REPO_ROOT / "content", skip_unknown_departments=True)
    else:
        # Running init again must not overwrite what people changed in the editor.
        click.echo(
            "content: already loaded (`lms content import content/` would overwrite "
            "the shipped activities with the files)"
        )
    if demo:
        _load_demo_assessments()
        _load_demo_history()
        _refresh_recommendations()
        _print_demo_logins()


def _catalogue_is_empty() -> bool:
    from sqlalchemy import exists, select

    from lms.catalog.models import Activity

    return not db.session().scalar(select(exists().where(Activity.id.isnot(None))))


def _load_demo() -> None:
    from lms.accounts.org_import import import_organisation
    from lms.accounts.queries import get_user_by_email
    from lms.accounts.services import set_password

    path = Path(REPO_ROOT / "content" / "demo" / "organisation.csv")
    with db.transaction() as session:
        result = import_organisation(session, path, send_invitations=False)
        for email in DEMO_LOGINS.values():
            user = get_user_by_email(session, email)
            if user is not None and not user.has_password:
                set_password(session, user, DEMO_PASSWORD, actor_id=None)
    click.echo(f"demo organisation: {result.summary()}")


def _load_demo_assessments() -> None:
    """Two earlier rounds to compare and an open one (needs the framework and organisation)."""
    from lms.assessment.demo import load_demo_assessments

    with db.transaction() as session:
        load_demo_assessments(session, local_date(utcnow()))
    click.echo("demo assessment rounds: loaded")


def _load_demo_history() -> None:
    """Learning since the programme began (needs the content and the organisation), then the
    programmes' ESF summaries rebuilt whole."""
    from lms.reports.demo import load_demo_history
    from lms.reports.esf_summary import rebuild_all

    with db.transaction() as session:
        history = load_demo_history(session, local_date(utcnow()))
        rebuild_all(session)
    click.echo(f"demo learning history: {history.summary()}")


def _refresh_recommendations() -> None:
    """Everyone's recommendations, so the start pages show them at once (`make run`)."""
    from lms.recommend.cache import refresh_users

    with db.transaction() as session:
        count = refresh_users(session, None, now=utcnow())
    click.echo(f"recommendations: refreshed for {count} people")


def _print_demo_logins() -> None:
    click.echo(f"demo logins (password: {DEMO_PASSWORD}):")
    for role, email in DEMO_LOGINS.items():
        click.echo(f"  {role:<13} {email}")
