"""Small form helpers shared by the domains."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import flash
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from lms.core.db import db
from lms.core.errors import DomainError

T = TypeVar("T")


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


def commit_or_show(
    form: Form, action: Callable[[], T], show: Callable[[DomainError], None] | None = None
) -> T | None:
    """Run one service call and commit; a refusal goes next to its field and saves nothing
    (through `show` when the form places its errors itself)."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if show is None:
            show_error(form, error)
        else:
            show(error)
        return None
    db.session.commit()
    return result


def commit_or_flash(action: Callable[[], object]) -> bool:
    """Run a button's service call and commit; a refusal is flashed. True when done."""
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return False
    db.session.commit()
    return True
