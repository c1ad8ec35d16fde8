"""Languages: Swedish by default, English available; lazy gettext for services."""

from __future__ import annotations

from flask import has_request_context, session
from flask_babel import lazy_gettext
from flask_login import current_user

LANGUAGES = {"sv": "Svenska", "en": "English"}
DEFAULT_LANGUAGE = "sv"

_l = lazy_gettext


def select_locale() -> str:
    """The signed-in user's choice, else this browser's choice, else Swedish."""
    if not has_request_context():
        return DEFAULT_LANGUAGE  # commands and jobs
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return str(current_user.language)
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE
