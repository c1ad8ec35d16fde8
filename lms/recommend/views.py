"""Recommendation pages: the full list with filters, and "inte intresserad" with its undo."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from lms.accounts.models import User
from lms.catalog.browse_forms import template_labels
from lms.catalog.models import Activity
from lms.core.access import authenticated
from lms.core.db import db, run_with_retry
from lms.core.errors import NotFound
from lms.core.security import is_safe_next
from lms.core.time import utcnow
from lms.recommend import queries, services
from lms.recommend.cache import ensure_fresh
from lms.recommend.forms import MarkForm, RecommendationFilterForm

bp = Blueprint("recommend", __name__)
# The list shows formats and levels with the catalogue's own labels.
bp.context_processor(template_labels)
log = logging.getLogger(__name__)

UNDO_FORM_ID = "recommend-undo"  # the hidden form the flash's "Ångra" button submits


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def refresh_recommendations(user: User, now: datetime) -> None:
    """Recompute `user`'s cache if it is stale or was never computed, and commit.

    Its own unit of work, before the page reads: on SQLite a read transaction that starts
    writing can lose to a concurrent writer, and `run_with_retry` then starts it again. A
    failure is logged and the page shows the cache as it is: recommendations never take a
    page down.
    """

    def work() -> None:
        if ensure_fresh(db.session(), user, now=now):
            db.session.commit()

    try:
        run_with_retry(work)
    except Exception:
        db.session.rollback()
        log.exception("could not refresh the recommendations of user %s", user.id)


@bp.app_template_global()
def recommend_undo_form_id() -> str:
    return UNDO_FORM_ID


@bp.route("/")
@authenticated
def index() -> Any:
    user, now = _user(), utcnow()
    refresh_recommendations(user, now)
    session = db.session()
    form = RecommendationFilterForm(request.args)
    form.set_choices(queries.list_areas(session))
    chosen = form.to_filter()
    items = queries.list_recommended(
        session,
        user,
        now=now,
        limit=queries.LIST_PAGE,
        area=chosen.area,
        format=chosen.format,
        level=chosen.level,
        max_minutes=chosen.max_minutes,
    )
    return render_template(
        "recommend/index.html",
        form=form,
        filters=chosen,
        items=items,
        hidden=queries.list_not_interested(session, user),
    )


def _load(slug: str) -> Activity:
    activity = services.get_mark_target(db.session(), _user(), slug)
    if activity is None:
        abort(404)
    return activity


def _back(form: MarkForm) -> str:
    target = form.next.data
    return target if target and is_safe_next(target) else url_for("recommend.index")


def _hidden_message(activity: Activity) -> Markup:
    """The flash after a mark, with an "Ångra" button for the page's hidden undo form."""
    text = escape(_("We will not recommend “%(title)s” again.", title=activity.title))
    button = Markup(
        '<button type="submit" form="{}" formaction="{}" class="recommend-undo">{}</button>'
    ).format(UNDO_FORM_ID, url_for("recommend.show_again", slug=activity.slug), _("Undo"))
    return text + Markup(" ") + button


def _change(slug: str, change: Callable[..., object]) -> tuple[Activity, str]:
    """Run a button's service call on the person's own mark and commit; the activity and
    where to go back to. A slug the person may not use is a 404, as a missing one is."""
    form = MarkForm()
    if not form.validate_on_submit():
        abort(400)
    activity = _load(slug)

    def work() -> None:
        change(db.session(), _user(), activity, now=utcnow())
        db.session.commit()

    try:
        run_with_retry(work)
    except NotFound:  # unpublished since the page was shown
        abort(404)
    return activity, _back(form)


@bp.post("/<slug>/inte-intresserad")
@authenticated
def not_interested(slug: str) -> Any:
    activity, back = _change(slug, services.mark_not_interested)
    flash(_hidden_message(activity), "success")
    return redirect(back)


@bp.post("/<slug>/visa-igen")
@authenticated
def show_again(slug: str) -> Any:
    activity, back = _change(slug, services.undo_not_interested)
    flash(_("“%(title)s” may be recommended to you again.", title=activity.title), "success")
    return redirect(back)
