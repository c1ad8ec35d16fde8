"""Helpers for the catalogue's view tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from lms.config import REPO_ROOT

_CATALOG: NullTranslations | None = None


def sv(msgid: str, **values: Any) -> str:
    """The Swedish UI text of a msgid as the app shows it (the msgid while untranslated)."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Translations.load(str(Path(REPO_ROOT) / "lms" / "translations"), ["sv"])
    text = _CATALOG.gettext(msgid)
    return text % values if values else text
