"""Languages: Swedish by default, English available; lazy gettext for services."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import has_request_context, session
from flask_babel import LazyString, gettext
from flask_login import current_user
from markupsafe import escape

LANGUAGES = {"sv": "Svenska", "en": "English"}
DEFAULT_LANGUAGE = "sv"


class EscapingLazyString(LazyString):
    """A lazy translation that is escaped wherever HTML is made of it.

    Flask-Babel's LazyString says it *is* HTML (`__html__` returns the text as it is), so
    Jinja and WTForms would print a message like "Agreed level for %(name)s" with a
    competence or person name raw: stored XSS. Messages are plain text; escape them.
    """

    def __html__(self) -> str:
        return str(escape(str(self)))


def _l(string: str, **variables: Any) -> EscapingLazyString:
    """Translate `string` when it is shown, in the reader's language (for services, forms)."""
    return EscapingLazyString(gettext, string, **variables)


def select_locale() -> str:
    """The signed-in user's choice, else this browser's choice, else Swedish."""
    if not has_request_context():
        return DEFAULT_LANGUAGE  # commands and jobs
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return str(current_user.language)
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


# Swedish alphabetical order in plain code-point order: å, ä, ö after z (as in the dictionary).
_SORT_MAP = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}", "ü": "y"})


def swedish_sort_key(text: str) -> str:
    """A key that sorts names and titles in Swedish alphabetical order, whatever their case
    ("administrativa staben" before "Kulturskolan", "Örebro" after "Zorn")."""
    lowered = text.strip().lower().translate(_SORT_MAP)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
