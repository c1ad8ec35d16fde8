"""The ESF report pages: per programme or any period, narrowed to a department, as CSV and
XLSX, and the funder's per-person listing (issue 10).

Coordinators and admins only; each reader sees the part of a report their report scope
covers (`scope.reader_coverage`), and a programme or department outside it is not found.
The per-person listing is for holders of the reporting permission only and never shows
anything from assessments. Every figure comes from `build_esf_report`, as in `report esf`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from lms.core.access import Permission, requires
from lms.core.db import db
from lms.reports import esf_display as display
from lms.reports import esf_export as export
from lms.reports.esf_data import Coverage, EsfFilter
from lms.reports.esf_departments import list_departments
from lms.reports.esf_forms import (
    DepartmentFilterForm,
    PeriodForm,
    UnknownDepartment,
    csv_delimiter,
    page_number,
)
from lms.reports.esf_people import iter_person_months, page_person_months
from lms.reports.esf_report import build_esf_report, esf_filter_for
from lms.reports.models import Programme
from lms.reports.programmes import get_programme, list_programmes, programme_coverage
from lms.reports.scope import may_list_people, reader_coverage

bp = Blueprint("esf_reports", __name__)

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Selection:
    """What one request reports on: a programme or a period, the reader's coverage, and the
    department filter (already checked against both)."""

    programme: Programme | None
    period: tuple[date, date] | None
    coverage: Coverage | None
    department_id: int | None
    filter_form: DepartmentFilterForm

    def report(self) -> dict[str, Any]:
        date_from, date_to = self.period or (None, None)
        return build_esf_report(
            db.session(),
            programme=self.programme,
            date_from=date_from,
            date_to=date_to,
            coverage=self.coverage,
            department_id=self.department_id,
        )

    def esf_filter(self) -> EsfFilter:
        date_from, date_to = self.period or (None, None)
        return esf_filter_for(
            programme=self.programme,
            date_from=date_from,
            date_to=date_to,
            coverage=self.coverage,
            department_id=self.department_id,
        )

    def base_args(self) -> dict[str, Any]:
        """The URL arguments of the report without its filters (the programme's slug)."""
        return {"slug": self.programme.slug} if self.programme is not None else {}

    def link_args(self) -> dict[str, Any]:
        """The URL arguments that select this report again (for links)."""
        args = self.base_args()
        if self.period is not None:
            args["fran"], args["till"] = (d.isoformat() for d in self.period)
        if self.department_id is not None:
            args["avdelning"] = self.department_id
        return args

    @property
    def file_stem(self) -> str:
        if self.programme is not None:
            stem = f"esf-{self.programme.slug}"
        else:
            assert self.period is not None
            stem = f"esf-{self.period[0].isoformat()}-{self.period[1].isoformat()}"
        return stem if self.department_id is None else f"{stem}-avdelning-{self.department_id}"


def _select(programme: Programme | None, period: tuple[date, date] | None) -> Selection:
    """The selection for this request; 404 for a department outside what may be reported."""
    coverage = reader_coverage(current_user)
    coverages = [c for c in (coverage,) if c is not None]
    if programme is not None:
        coverages.append(programme_coverage(programme))
    form = DepartmentFilterForm(request.args)
    form.set_choices(list_departments(db.session(), coverages))
    try:
        department_id = form.department_id()
    except UnknownDepartment:
        abort(404)
    return Selection(programme, period, coverage, department_id, form)


def _programme_selection(slug: str) -> Selection:
    programme = get_programme(db.session(), slug, reader_coverage(current_user))
    if programme is None:
        abort(404)
    return _select(programme, None)


def _index(form: PeriodForm) -> Any:
    programmes = list_programmes(db.session(), reader_coverage(current_user))
    return render_template("reports/esf/index.html", programmes=programmes, period_form=form)


def _period_selection() -> Selection | Any:
    """The period's selection, or the index page with the form's errors (bad dates)."""
    form = PeriodForm(request.args)
    if not form.validate():
        return _index(form)
    return _select(None, form.period)


def _show(selection: Selection) -> Any:
    report = selection.report()
    return render_template(
        "reports/esf/show.html",
        selection=selection,
        programme=selection.programme,
        report=report,
        filter_form=selection.filter_form,
        may_list_people=may_list_people(current_user),
        **display.page(report),
    )


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)  # a slug from a package could be odd
    headers = {"Content-Disposition": f'attachment; filename="{safe}"'}
    return Response(data, mimetype=mimetype, headers=headers)


def _csv(selection: Selection) -> Response:
    data = export.report_csv(selection.report(), delimiter=csv_delimiter(request.args))
    return _download(data, CSV_TYPE, f"{selection.file_stem}.csv")


def _xlsx(selection: Selection) -> Response:
    people = None
    if may_list_people(current_user):
        people = iter_person_months(db.session(), selection.esf_filter())
    title = selection.programme.name if selection.programme is not None else None
    data = export.report_xlsx(selection.report(), title=title, people=people)
    return _download(data, XLSX_TYPE, f"{selection.file_stem}.xlsx")


@bp.route("/")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def index() -> Any:
    return _index(PeriodForm())


@bp.route("/program/<slug>")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def programme(slug: str) -> Any:
    return _show(_programme_selection(slug))


@bp.route("/program/<slug>/export.csv")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def programme_csv(slug: str) -> Any:
    return _csv(_programme_selection(slug))


@bp.route("/program/<slug>/export.xlsx")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def programme_xlsx(slug: str) -> Any:
    return _xlsx(_programme_selection(slug))


@bp.route("/period")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def period() -> Any:
    selection = _period_selection()
    return _show(selection) if isinstance(selection, Selection) else selection


@bp.route("/period/export.csv")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def period_csv() -> Any:
    selection = _period_selection()
    return _csv(selection) if isinstance(selection, Selection) else selection


@bp.route("/period/export.xlsx")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def period_xlsx() -> Any:
    selection = _period_selection()
    return _xlsx(selection) if isinstance(selection, Selection) else selection


def _people_selection(slug: str) -> Selection:
    if not may_list_people(current_user):
        abort(403)
    return _programme_selection(slug)


@bp.route("/program/<slug>/personer")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def people(slug: str) -> Any:
    selection = _people_selection(slug)
    listing = page_person_months(db.session(), selection.esf_filter(), page_number(request.args))
    return render_template(
        "reports/esf/people.html",
        selection=selection,
        programme=selection.programme,
        filter_form=selection.filter_form,
        listing=listing,
        genders=export.person_gender_labels(),
        hours=display.hours,
    )


@bp.route("/program/<slug>/personer/export.csv")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def people_csv(slug: str) -> Any:
    selection = _people_selection(slug)
    rows = iter_person_months(db.session(), selection.esf_filter())
    data = export.people_csv(rows, delimiter=csv_delimiter(request.args))
    return _download(data, CSV_TYPE, f"{selection.file_stem}-personer.csv")


@bp.route("/program/<slug>/personer/export.xlsx")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def people_xlsx(slug: str) -> Any:
    selection = _people_selection(slug)
    data = export.people_xlsx(iter_person_months(db.session(), selection.esf_filter()))
    return _download(data, XLSX_TYPE, f"{selection.file_stem}-personer.xlsx")
