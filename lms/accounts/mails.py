"""The account mails (password reset, invitation), queued in the user's language."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.accounts.models import TokenPurpose, User
from lms.accounts.services import issue_token
from lms.core.outbox import enqueue_email


def N_(message: str) -> str:
    """Mark a string for translation without translating it yet."""
    return message


log = logging.getLogger(__name__)


def _send_link_mail(
    session: Session,
    user: User,
    purpose: str,
    lifetime: timedelta,
    path: str,
    kind: str,
    subject: str,
    template: str,
) -> None:
    """Issue a one-time token and queue a mail carrying its link, in the user's language."""
    if not user.is_active:
        return  # a deactivated person gets no mail at all
    raw = issue_token(session, user, purpose, lifetime)
    link = current_app.config["LMS"].base_url.rstrip("/") + f"/{path}/{raw}"
    with force_locale(user.language or "sv"):
        body = render_template(template, user=user, link=link)
        enqueue_email(
            session,
            user_id=user.id,
            to=user.email,
            subject=_(subject),
            body_text=body,
            kind=kind,
            language=user.language or "sv",
        )
    if current_app.config["LMS"].env == "embedded":
        # No mail server in the embedded mode: the operator finds the link here.
        log.warning("%s link for %s: %s", kind, user.email, link)


def send_password_reset(session: Session, user: User) -> None:
    """Queue a reset mail with a fresh one-time link."""
    hours = current_app.config["LMS"].reset_token_hours
    _send_link_mail(
        session,
        user,
        TokenPurpose.RESET,
        timedelta(hours=hours),
        "reset",
        "password_reset",
        N_("Reset your Lärlyft password"),
        "mail/password_reset.txt",
    )


def send_invitation(session: Session, user: User) -> None:
    """Queue an invitation to choose a password and sign in for the first time."""
    days = current_app.config["LMS"].invite_token_days
    _send_link_mail(
        session,
        user,
        TokenPurpose.INVITE,
        timedelta(days=days),
        "invite",
        "invitation",
        N_("You are invited to Lärlyft"),
        "mail/invitation.txt",
    )
