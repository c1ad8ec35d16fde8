"""Mails about notifications: rendered from templates in the recipient's language, then queued."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from lms.core.outbox import OutboxEmail, enqueue_email

MAIL_FOLDER = "notify/mail"
GENERIC_TEMPLATE = "notification"


def language_of(user: User) -> str:
    """The language the person reads the product in (Swedish unless they chose another)."""
    return user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE


def absolute_url(path_or_url: str) -> str:
    """A link that works from a mail client: site paths get LMS_BASE_URL in front."""
    if path_or_url.startswith("/"):
        return current_app.config["LMS"].base_url.rstrip("/") + path_or_url
    return path_or_url


def url_of(endpoint: str, **values: Any) -> str:
    """The absolute URL of an endpoint, also outside a request (jobs and commands)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return absolute_url(path)


def _html_template(name: str) -> str | None:
    path = f"{MAIL_FOLDER}/{name}.html"
    try:
        current_app.jinja_env.get_template(path)
    except TemplateNotFound:
        return None
    return path


def render_bodies(name: str, context: dict[str, Any]) -> tuple[str, str | None]:
    """The text body (the kind's template, else the generic one) and the optional HTML body."""
    text = render_template(
        [f"{MAIL_FOLDER}/{name}.txt", f"{MAIL_FOLDER}/{GENERIC_TEMPLATE}.txt"], **context
    )
    html_path = _html_template(name)
    html = render_template(html_path, **context) if html_path else None
    return text, html


def queue_mail(
    session: Session,
    user: User,
    *,
    kind: str,
    subject: object,
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    essential: bool,
    unsubscribe_url: str | None,
) -> OutboxEmail | None:
    """Render and queue one mail to `user` in their language; None when already queued.

    `subject` may be a lazy translation: it is evaluated in the recipient's language.
    """
    language = language_of(user)
    values = {
        **context,
        "user": user,
        "unsubscribe_url": unsubscribe_url,
        "settings_url": url_of("notify.preferences"),
        "notifications_url": url_of("notify.index"),
        "absolute": absolute_url,
    }
    with force_locale(language):
        body_text, body_html = render_bodies(template, values)
        mail = enqueue_email(
            session,
            to=user.email,
            subject=str(subject),
            body_text=body_text,
            body_html=body_html,
            kind=kind,
            language=language,
            dedupe_key=dedupe_key,
            is_essential=essential,
            user_id=user.id,
        )
    return mail
