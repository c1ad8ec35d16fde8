"""Small form helpers shared by the domains."""

from __future__ import annotations

from collections.abc import Iterable

from flask import flash
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from lms.core.errors import DomainError


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs.

    Lazy-translated labels become text here, in the current language: call it per request
    (in a form's ``__init__``), never at import time."""
    return [SelectChoice(str(value), str(label)) for value, label in pairs]


def show_error(form: Form, error: DomainError) -> None:
    """A service's error beside the field it names, else as a flashed message."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")
