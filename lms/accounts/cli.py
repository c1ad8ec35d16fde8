"""Account commands: `lms user create`, `lms user set-password`, `lms import org`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lms.accounts import services
from lms.accounts.models import Gender
from lms.accounts.queries import get_user_by_email
from lms.core.access import Permission
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.imports import run_import


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(password)


def _parse_permissions(raw: str) -> Permission:
    flags = Permission.NONE
    for part in filter(None, (p.strip() for p in raw.replace(",", ";").split(";"))):
        try:
            flags |= Permission.from_name(part)
        except KeyError as exc:
            choices = ", ".join(p.key for p in Permission)
            raise click.BadParameter(
                f"unknown permission {part!r} (choose from {choices})"
            ) from exc
    return flags


@click.group("user")
def user_group() -> None:
    """Create users and set passwords (for the first admin and scripts)."""


@user_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--organisation", default="Lärlyft", show_default=True)
@click.option("--permissions", default="", help="e.g. admin;coordinator")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    email: str, name: str, organisation: str, permissions: str, password_stdin: bool
) -> None:
    """Create an account; without a password, set one later or send an invitation."""
    flags = _parse_permissions(permissions)
    password = _read_password(True) if password_stdin else None
    try:
        with db.transaction() as session:
            org = services.get_or_create_organisation(session, organisation)
            user = services.create_user(
                session,
                email=email,
                name=name,
                organisation=org,
                permissions=flags,
                gender=Gender.UNSTATED,
                password=password,
            )
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"created {user.email} ({', '.join(user.permission_keys) or 'employee'})")


@user_group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set a user's password (never given as an argument)."""
    password = _read_password(password_stdin)
    try:
        with db.transaction() as session:
            user = get_user_by_email(session, email)
            if user is None:
                raise click.ClickException(f"no user {email}")
            services.set_password(session, user, password, actor_id=None)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"password set for {email}")


@click.command("org")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Deactivate active users of the file's organisations that the file omits.",
)
def import_org_command(path: Path, deactivate_missing: bool) -> None:
    """Import or update the organisation from a CSV file (all rows validated first)."""
    from lms.accounts.org_import import import_organisation

    result = run_import(
        lambda session: import_organisation(session, path, deactivate_missing=deactivate_missing)
    )
    click.echo(result.summary())
