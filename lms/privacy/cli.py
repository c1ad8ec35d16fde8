"""`lms privacy export --user EMAIL` and `lms privacy pseudonymise --user EMAIL --yes`."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.accounts.queries import get_user_by_email
from lms.core.db import db
from lms.core.errors import DomainError
from lms.privacy.services import export_personal_data, pseudonymise_person


@click.group("privacy")
def privacy_group() -> None:
    """A person's data download and the pseudonymisation of departed staff."""


def _person(session: Session, email: str) -> User:
    user = get_user_by_email(session, email)
    if user is None:
        raise click.ClickException(f"no account with the e-mail {email}")
    return user


@privacy_group.command("export")
@click.option("--user", "email", required=True, help="The person's e-mail address.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export_command(email: str, output: Path | None) -> None:
    """Write everything stored about a person as JSON (standard output by default)."""
    with db.transaction() as session:
        body = export_personal_data(session, _person(session, email))
    if output is None:
        click.echo(body)
    else:
        output.write_text(body + "\n", encoding="utf-8")
        click.echo(f"written to {output}", err=True)


@privacy_group.command("pseudonymise")
@click.option("--user", "email", required=True, help="The departed person's e-mail address.")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
def pseudonymise_command(email: str, yes: bool) -> None:
    """Replace a deactivated person's identity with a pseudonym (hours and counts are kept)."""
    if not yes:
        raise click.ClickException("pseudonymisation cannot be undone: add --yes to confirm")
    try:
        with db.transaction() as session:
            result = pseudonymise_person(session, None, _person(session, email))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo("already pseudonymised" if result.already_done else "pseudonymised")
