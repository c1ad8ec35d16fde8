"""The calendar of upcoming sessions (month, week, list) and the shared iCalendar feeds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.models import Department, User
from lms.accounts.queries import list_departments
from lms.catalog.browse_forms import FORMAT_LABELS
from lms.catalog.models import SharedFeed, ThemeMonth
from lms.core.access import Permission, authenticated, public, requires
from lms.core.db import db, run_with_retry
from lms.core.security import is_safe_next
from lms.core.time import local_date, utcnow
from lms.discover import calendar, feeds
from lms.discover.calendar_forms import CalendarFilterForm
from lms.framework.queries import list_subjects

bp = Blueprint("calendar", __name__)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.app_template_global()
def shared_feed_url(feed: SharedFeed) -> str:
    """The full address of a shared feed, to paste into a calendar program."""
    base_url: str = current_app.config["LMS"].base_url
    return base_url.rstrip("/") + url_for("calendar.feed", token=feed.token)


def theme_feed(theme: ThemeMonth) -> SharedFeed | None:
    """The published theme month's feed if it has been made; None for a draft or before.

    The theme month page calls it and hands the feed to `_theme_feed.html` as `theme_calendar`.
    A page never writes: a missing feed is made by `create_theme_feed` (POST).
    """
    if not theme.is_published:
        return None
    return feeds.get_theme_feed(db.session(), theme)


@bp.route("/")
@authenticated
def index() -> Any:
    session, user = db.session(), _user()
    today = local_date(utcnow())
    view = calendar.parse_view(request.args.get("vy"))
    period = calendar.period_of(view, calendar.parse_day(request.args.get("datum"), today))
    form = CalendarFilterForm(request.args)
    departments = list_departments(session)
    form.set_choices(list_subjects(session), departments)
    department_id = form.department_id(user) or user.department_id
    department = next((d for d in departments if d.id == department_id), None)
    shared = feeds.get_page_feeds(session, user, department, today)
    entries = calendar.list_calendar_entries(
        session, period.starts_at, period.ends_at, form.to_filter(user)
    )
    return render_template(
        "discover/calendar.html",
        page=calendar.build_page(period, entries, today),
        today=today,
        form=form,
        args=form.url_args(),
        shared=shared,
        format_labels=FORMAT_LABELS,
        can_reset=user.has(Permission.COORDINATOR) or user.has(Permission.ADMIN),
    )


def _back() -> str:
    target = request.form.get("next")
    return target if target and is_safe_next(target) else url_for("calendar.index")


def _create_feed(make: Callable[[], SharedFeed]) -> Any:
    def work() -> None:
        make()
        db.session.commit()

    run_with_retry(work)
    flash(_("The calendar address is ready."), "success")
    return redirect(_back())


@bp.post("/flode/tema/<int:theme_id>/skapa")
@authenticated
def create_theme_feed(theme_id: int) -> Any:
    theme = db.session.get(ThemeMonth, theme_id)
    if theme is None or not theme.is_published:
        abort(404)  # a draft is hidden like a missing theme month
    return _create_feed(lambda: feeds.create_theme_feed(db.session(), theme))


@bp.post("/flode/avdelning/<int:department_id>/skapa")
@authenticated
def create_department_feed(department_id: int) -> Any:
    if db.session.get(Department, department_id) is None:
        abort(404)
    return _create_feed(lambda: feeds.create_department_feed(db.session(), department_id))


@bp.post("/flode/<int:feed_id>/ny-adress")
@requires(Permission.COORDINATOR, Permission.ADMIN)
def reset_feed(feed_id: int) -> Any:
    feed = feeds.get_feed(db.session(), feed_id)
    if feed is None:
        abort(404)
    feeds.reset_feed(db.session(), feed, actor_id=_user().id)
    db.session.commit()
    flash(_("The shared calendar has a new address; the old one no longer works."), "success")
    return redirect(_back())


@bp.get("/flode/<token>.ics")
@public
def feed(token: str) -> Any:
    # The secret token is the credential: a calendar program cannot sign in.
    base_url = current_app.config["LMS"].base_url
    body = feeds.render_feed(db.session(), token, base_url, utcnow())
    if body is None:
        abort(404)
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="larlyft.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
