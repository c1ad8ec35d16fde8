"""Notify commands: `lms notify send` tells one person something, as the product would."""

from __future__ import annotations

import click

from lms.accounts.queries import get_user_by_email
from lms.core.db import db
from lms.notify.services import notify

OPERATOR_KIND = "message"


@click.group("notify")
def notify_group() -> None:
    """Send notifications to people."""


@notify_group.command("send")
@click.argument("email")
@click.option("--title", required=True, help="What the person sees in the list and as subject.")
@click.option("--body", default="", help="More text (optional).")
@click.option("--link", default=None, help="A site path such as /katalog/ or a web address.")
@click.option("--essential", is_flag=True, help="Mail at once, whatever the person's setting.")
def send_command(email: str, title: str, body: str, link: str | None, essential: bool) -> None:
    """Notify the person with EMAIL (mailed according to their e-mail setting)."""
    with db.transaction() as session:
        user = get_user_by_email(session, email)
        if user is None:
            raise click.ClickException(f"no account with the e-mail address {email}")
        try:
            notification = notify(
                session,
                user,
                kind=OPERATOR_KIND,
                title=title,
                body=body,
                link=link,
                essential=essential,
            )
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--link") from error
    if notification is None:
        click.echo(f"nothing sent: {user.email} is deactivated")
        return
    click.echo(f"notified {user.email} (notification {notification.id})")
