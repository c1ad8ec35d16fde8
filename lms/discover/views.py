"""Theme month pages and their archive, subject, competence area and department entrances."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort

from lms.core.access import authenticated

bp = Blueprint("discover", __name__)


# Integration scaffold: the endpoints other pages link to; filled in by issue 7's discover work.
@bp.route("/teman")
@authenticated
def themes() -> Any:
    abort(404)


@bp.route("/teman/<year_month>/<slug>")
@authenticated
def theme_month(year_month: str, slug: str) -> Any:
    abort(404)


@bp.route("/amnen/<slug>")
@authenticated
def subject(slug: str) -> Any:
    abort(404)


@bp.route("/omraden/<code>")
@authenticated
def area(code: str) -> Any:
    abort(404)


@bp.route("/avdelningar/<int:department_id>")
@authenticated
def department(department_id: int) -> Any:
    abort(404)
