"""Theme month pages and their archive, subject, competence area and department entrances."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_babel import format_date
from flask_login import current_user

from lms.catalog.browse_forms import template_labels
from lms.catalog.models import Level, ThemeMonth
from lms.catalog.queries import CatalogFilter
from lms.catalog.uploads import served_url
from lms.core.access import authenticated
from lms.core.db import db
from lms.core.i18n import _l
from lms.core.time import local_date, utcnow
from lms.discover import entrance_queries, queries
from lms.discover.calendar_views import theme_feed
from lms.discover.rules import group_by_level, reach, split_current_and_archive

bp = Blueprint("discover", __name__)

# What each step of the ladder asks of the learner, so they can climb one step at a time.
LEVEL_EXPLANATIONS = {
    Level.GRUND: _l(
        "Start here. No prior knowledge needed: the basics you can use at work tomorrow."
    ),
    Level.FORDJUPNING: _l(
        "When you know the basics and want to use them more, and more confidently, in your work."
    ),
    Level.SPETS: _l(
        "For going further: lead others, develop ways of working or become the go-to person."
    ),
}


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {**template_labels(), "level_explanations": LEVEL_EXPLANATIONS}


@bp.app_template_global()
def theme_month_label(theme: ThemeMonth) -> str:
    """The theme's month as people say it: "oktober 2026" (in the viewer's language)."""
    return str(format_date(date(theme.year, theme.month, 1), "LLLL y"))


@bp.app_template_global()
def theme_banner_url(theme: ThemeMonth) -> str | None:
    """Where the theme's banner image is served, or None without one."""
    return served_url(theme.banner.name) if theme.banner is not None else None


def _ladder(
    found: entrance_queries.EntranceActivities, catalog_args: dict[str, str]
) -> dict[str, Any]:
    """What the level ladder partial needs: the levels in order, the totals, where the rest is."""
    return {
        "levels": group_by_level(found.entries, lambda e: e.activity.level),
        "level_totals": found.level_totals,
        "total": found.total,
        "catalog_args": catalog_args,
    }


@bp.route("/teman")
@authenticated
def themes() -> Any:
    summaries = queries.list_theme_summaries(db.session())
    today = local_date(utcnow())
    coming, archive = split_current_and_archive(
        summaries, today, month_of=lambda s: (s.theme.year, s.theme.month)
    )
    return render_template(
        "discover/themes.html",
        coming=coming,
        archive=archive,
        this_month=(today.year, today.month),
    )


@bp.route("/teman/<year_month>/<slug>")
@authenticated
def theme_month(year_month: str, slug: str) -> Any:
    session = db.session()
    theme = queries.get_published_theme_month(session, year_month, slug)
    if theme is None:
        abort(404)
    counts = queries.count_theme_reach(session, theme, current_user)
    smallest = current_app.config["LMS"].min_group_size
    return render_template(
        "discover/theme_month.html",
        theme=theme,
        items=queries.list_theme_items(session, theme, current_user, utcnow()),
        department=current_user.department,
        department_reach=reach(counts.department_done, counts.department_total, smallest),
        organisation_reach=reach(counts.organisation_done, counts.organisation_total, smallest),
        theme_calendar=theme_feed(theme),
    )


@bp.route("/amnen")
@authenticated
def subjects() -> Any:
    return render_template(
        "discover/subjects.html", subjects=entrance_queries.list_subjects_with_counts(db.session())
    )


@bp.route("/amnen/<slug>")
@authenticated
def subject(slug: str) -> Any:
    session = db.session()
    found = entrance_queries.get_subject(session, slug)
    if found is None:
        abort(404)
    found_activities = entrance_queries.list_entrance_activities(
        session, CatalogFilter(subject=found.slug), current_user, utcnow()
    )
    return render_template(
        "discover/subject.html",
        subject=found,
        **_ladder(found_activities, {"subject": found.slug}),
    )


@bp.route("/omraden")
@authenticated
def areas() -> Any:
    return render_template(
        "discover/areas.html", areas=entrance_queries.list_areas_with_counts(db.session())
    )


@bp.route("/omraden/<code>")
@authenticated
def area(code: str) -> Any:
    session = db.session()
    found = entrance_queries.get_area(session, code)
    if found is None:
        abort(404)
    found_activities = entrance_queries.list_entrance_activities(
        session, CatalogFilter(area=found.code), current_user, utcnow()
    )
    return render_template(
        "discover/area.html", area=found, **_ladder(found_activities, {"area": found.code})
    )


@bp.route("/avdelningar")
@authenticated
def departments() -> Any:
    return render_template(
        "discover/departments.html",
        departments=entrance_queries.list_departments_with_counts(db.session()),
    )


@bp.route("/avdelningar/<int:department_id>")
@authenticated
def department(department_id: int) -> Any:
    session = db.session()
    found = entrance_queries.get_department(session, department_id)
    if found is None:
        abort(404)
    now = utcnow()
    found_activities = entrance_queries.list_entrance_activities(
        session,
        CatalogFilter(),
        current_user,
        now,
        condition=entrance_queries.targets_department(found.id),
    )
    return render_template(
        "discover/department.html",
        department=found,
        **_ladder(found_activities, {"department": str(found.id)}),
        themes=entrance_queries.list_department_theme_months(session, found.id),
        session_count=entrance_queries.count_department_sessions(session, found.id, now),
    )
