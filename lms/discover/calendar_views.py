"""The calendar of upcoming sessions (month, week, list) and the shared iCalendar feeds."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort

from lms.core.access import authenticated, public

bp = Blueprint("calendar", __name__)


# Integration scaffold: the endpoints other pages link to; filled in by issue 7's calendar work.
@bp.route("/")
@authenticated
def index() -> Any:
    abort(404)


@bp.route("/flode/<token>.ics")
@public
def feed(token: str) -> Any:
    abort(404)
