"""The competence framework page and each job role's expected profile."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template

from lms.core.access import authenticated
from lms.core.db import db
from lms.framework import queries

bp = Blueprint("framework", __name__)
LEVELS = (1, 2, 3, 4, 5)


@bp.route("/")
@authenticated
def index() -> Any:
    session = db.session()
    return render_template(
        "framework/index.html",
        areas=queries.list_areas(session),
        roles=queries.list_job_roles(session),
        levels=LEVELS,
    )


@bp.route("/roller/<int:role_id>")
@authenticated
def job_role(role_id: int) -> Any:
    session = db.session()
    role = queries.get_job_role(session, role_id)
    if role is None:
        abort(404)
    return render_template(
        "framework/job_role.html",
        role=role,
        areas=queries.list_areas(session),
        expected=queries.list_expected_levels(session, role),
    )
