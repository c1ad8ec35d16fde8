"""Saving activities for later ("Spara till senare") and the saved list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from lms.accounts.models import User
from lms.catalog import saved
from lms.catalog.browse_forms import template_labels
from lms.catalog.models import Activity
from lms.core.access import authenticated
from lms.core.db import db, run_with_retry
from lms.core.errors import NotFound
from lms.core.security import is_safe_next

bp = Blueprint("saved", __name__)
# The list shows formats with the catalogue's own labels.
bp.context_processor(template_labels)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _load(slug: str) -> Activity:
    activity = saved.get_saved_target(db.session(), _user(), slug)
    if activity is None:
        abort(404)
    return activity


def _back(activity: Activity) -> str:
    target = request.form.get("next")
    if target and is_safe_next(target):
        return target
    return url_for("catalog.activity", slug=activity.slug)


@bp.app_template_global()
def is_saved_activity(activity: Activity) -> bool | None:
    """Whether the signed-in person saved `activity`, for its page (None when anonymous)."""
    if not current_user.is_authenticated:
        return None
    return saved.is_saved(db.session(), _user(), activity)


@bp.route("/")
@authenticated
def index() -> Any:
    return render_template("catalog/saved.html", entries=saved.list_saved(db.session(), _user()))


@bp.post("/<slug>/spara")
@authenticated
def save(slug: str) -> Any:
    activity = _load(slug)

    def work() -> None:
        saved.save_for_later(db.session(), _user(), activity)
        db.session.commit()

    try:
        run_with_retry(work)
    except NotFound:  # unpublished since it was saved: it can be removed, not saved again
        abort(404)
    # The translation is escaped, then the link (markup built here) goes into it.
    link = Markup('<a href="{}">{}</a>').format(url_for("saved.index"), _("Saved"))
    message = escape(_("Saved for later. You find it under %(link)s.")) % {"link": link}
    flash(message, "success")
    return redirect(_back(activity))


@bp.post("/<slug>/ta-bort")
@authenticated
def remove(slug: str) -> Any:
    activity = _load(slug)

    def work() -> None:
        saved.remove_saved(db.session(), _user(), activity)
        db.session.commit()

    run_with_retry(work)
    flash(_("%(title)s is no longer saved.", title=activity.title), "success")
    return redirect(_back(activity))
