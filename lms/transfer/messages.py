"""How a refused action shows a missing pre-task: a message with a link to each task.

The progress views (start, complete, book, knowledge checks) show every domain error
through `domain_error_message`, so `PreTaskMissing` always gets its links.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from lms.core.errors import DomainError
from lms.transfer.services import PreTaskMissing


def pre_task_missing_message(error: PreTaskMissing, back: str) -> Markup:
    """The refusal, naming each missing task as a link that returns the person to `back`."""
    # Markup.format escapes every argument: titles cannot inject markup.
    links = [
        Markup('<a href="{}">{}</a>').format(
            url_for("transfer.pre_task", task_id=task.id, next=back), task.title
        )
        for task in error.tasks
    ]
    intro = _(
        "Before you can take part in %(title)s, do the preparation:", title=error.activity.title
    )
    return Markup("{} {}").format(intro, Markup(", ").join(links))


def domain_error_message(error: DomainError, back: str) -> str | Markup:
    """The message to flash for a refused action; `back` is the page the person was on."""
    if isinstance(error, PreTaskMissing):
        return pre_task_missing_message(error, back)
    return str(error.message)
