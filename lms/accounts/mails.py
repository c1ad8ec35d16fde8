"""The account mails (password reset, invitation), queued in the user's language."""

from __future__ import annotations

import logging

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.accounts.models import TokenPurpose, User
from lms.accounts.services import issue_token
from lms.core.outbox import enqueue_email

log = logging.getLogger(__name__)


def _link(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _queue(session: Session, user: User, kind: str, subject: str, template: str, link: str) -> None:
    body = render_template(template, user=user, link=link)
    enqueue_email(
        session,
        to=user.email,
        subject=subject,
        body_text=body,
        kind=kind,
        language=user.language or "sv",
    )
    if current_app.config["LMS"].env == "embedded":
        # No mail server in the embedded mode: the operator finds the link here.
        log.warning("%s link for %s: %s", kind, user.email, link)


def send_password_reset(session: Session, user: User) -> None:
    """Queue a reset mail with a fresh one-time link."""
    settings = current_app.config["LMS"]
    from datetime import timedelta

    raw = issue_token(
        session, user, TokenPurpose.RESET, timedelta(hours=settings.reset_token_hours)
    )
    link = _link(settings.base_url, f"/reset/{raw}")
    with force_locale(user.language or "sv"):
        subject = _("Reset your Lärlyft password")
        _queue(session, user, "password_reset", subject, "mail/password_reset.txt", link)


def send_invitation(session: Session, user: User) -> None:
    """Queue an invitation to choose a password and sign in for the first time."""
    settings = current_app.config["LMS"]
    from datetime import timedelta

    raw = issue_token(
        session, user, TokenPurpose.INVITE, timedelta(days=settings.invite_token_days)
    )
    link = _link(settings.base_url, f"/invite/{raw}")
    with force_locale(user.language or "sv"):
        subject = _("You are invited to Lärlyft")
        _queue(session, user, "invitation", subject, "mail/invitation.txt", link)
