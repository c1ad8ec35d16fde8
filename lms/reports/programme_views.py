"""Coordinators define programmes: name, period, participating organisations and departments,
targets. Everyone who reads reports sees the programmes their scope meets; who may change
which is decided in `lms.reports.programmes`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import targets
from lms.accounts.queries import list_departments, list_organisations
from lms.core.access import Permission, requires
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.forms import commit_or_show
from lms.reports import programmes
from lms.reports.models import Programme
from lms.reports.programme_forms import ProgrammeForm
from lms.reports.scope import reader_coverage

bp = Blueprint("programmes", __name__)
coordinators = requires(Permission.COORDINATOR, Permission.ADMIN)
ESF_REPORT_ENDPOINT = "esf_reports.programme"


def esf_report_url(slug: str) -> str | None:
    """The programme's ESF report page (None while that page is not part of the app)."""
    if ESF_REPORT_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(ESF_REPORT_ENDPOINT, slug=slug)


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"esf_report_url": esf_report_url, "number": number}


def number(value: float | None) -> str:
    """A target as people read it: 18 920, 17,5 (empty when there is none)."""
    return "" if value is None else str(format_decimal(value, format="#,##0.##"))


def _load(slug: str, *, manage: bool) -> Programme:
    """The programme the reader may see (404 otherwise); with `manage`, 403 unless they may
    change it."""
    programme = programmes.get_programme(db.session(), slug, reader_coverage(current_user))
    if programme is None:
        abort(404)
    if manage and not programmes.may_manage_programme(current_user, programme):
        abort(403)
    return programme


def _form(programme: Programme | None) -> ProgrammeForm:
    form = ProgrammeForm()
    session = db.session()
    organisations, departments = targets.choosable(
        current_user, list_organisations(session), list_departments(session)
    )
    form.setup(organisations, departments)
    if programme is not None and request.method == "GET":
        form.load(programme)
    return form


def _save(form: ProgrammeForm, programme: Programme | None) -> Programme | None:
    """Create or update with one service call and commit; a refusal goes next to its field."""
    data = form.programme_data()

    def save() -> Programme:
        if programme is None:
            return programmes.create_programme(db.session(), current_user, data)
        return programmes.update_programme(db.session(), current_user, programme, data)

    return commit_or_show(form, save, show=form.show_error)


@bp.route("/")
@coordinators
def index() -> Any:
    found = programmes.list_programmes(db.session(), reader_coverage(current_user))
    manageable = {p.id for p in found if programmes.may_manage_programme(current_user, p)}
    may_create = programmes.may_create_programmes(current_user)
    return render_template(
        "reports/programmes/index.html",
        programmes=found,
        manageable=manageable,
        may_create=may_create,
    )


@bp.route("/ny", methods=["GET", "POST"])
@coordinators
def new() -> Any:
    if not programmes.may_create_programmes(current_user):
        abort(403)
    form = _form(None)
    if form.validate_on_submit() and (saved := _save(form, None)) is not None:
        flash(_("The programme %(name)s was created.", name=saved.name), "success")
        return redirect(url_for("programmes.index"))
    return render_template("reports/programmes/new.html", form=form)


@bp.route("/<slug>/redigera", methods=["GET", "POST"])
@coordinators
def edit(slug: str) -> Any:
    programme = _load(slug, manage=True)
    form = _form(programme)
    if form.validate_on_submit() and _save(form, programme) is not None:
        flash(_("Your changes were saved."), "success")
        return redirect(url_for("programmes.index"))
    return render_template("reports/programmes/edit.html", programme=programme, form=form)


@bp.route("/<slug>/ta-bort", methods=["GET", "POST"])
@coordinators
def delete(slug: str) -> Any:
    """GET asks for confirmation; the form's POST deletes."""
    programme = _load(slug, manage=True)
    if request.method == "GET":
        return render_template("reports/programmes/delete.html", programme=programme)
    name = programme.name
    try:
        programmes.delete_programme(db.session(), current_user, programme)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("programmes.edit", slug=slug))
    db.session.commit()
    flash(_("The programme %(name)s was deleted.", name=name), "success")
    return redirect(url_for("programmes.index"))
