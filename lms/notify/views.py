"""The notifications page, the mail settings, the unsubscribe link and the header's count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from itsdangerous import BadSignature
from wtforms import ValidationError

from lms.core.access import authenticated, public
from lms.core.db import db
from lms.core.errors import NotFound
from lms.core.pagination import paginate
from lms.notify import services
from lms.notify.forms import MODE_HINTS, MODE_LABELS, PreferencesForm
from lms.notify.models import MailMode
from lms.notify.queries import notifications_statement

bp = Blueprint("notify", __name__)
PER_PAGE = 20


def _unread_count() -> int:
    # Called by base.html; cached so the header costs one query per request at most.
    if not current_user.is_authenticated:
        return 0
    if "notify_unread" not in g:
        g.notify_unread = services.count_unread(db.session(), current_user)
    return int(g.notify_unread)


@bp.app_context_processor
def _header() -> dict[str, Callable[[], int]]:
    return {"unread_notification_count": _unread_count}


def _page_number() -> int:
    return max(1, request.values.get("page", 1, type=int) or 1)


@bp.route("/")
@authenticated
def index() -> Any:
    page = paginate(
        db.session(), notifications_statement(current_user), _page_number(), per_page=PER_PAGE
    )
    return render_template("notify/index.html", page=page)


@bp.route("/<int:notification_id>/markera-last", methods=["POST"])
@authenticated
def mark_read(notification_id: int) -> Any:
    try:
        services.mark_read(db.session(), current_user, notification_id)
    except NotFound as error:
        return render_template("errors/error.html", code=404, message=error.message), 404
    db.session.commit()
    flash(_("The notification is marked as read."), "success")
    return redirect(url_for("notify.index", page=_page_number()))


@bp.route("/markera-alla-lasta", methods=["POST"])
@authenticated
def mark_all_read() -> Any:
    count = services.mark_all_read(db.session(), current_user)
    db.session.commit()
    if count:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notify.index"))


@bp.route("/installningar", methods=["GET", "POST"])
@authenticated
def preferences() -> Any:
    form = PreferencesForm()
    if form.validate_on_submit():
        services.set_mail_mode(db.session(), current_user, MailMode(form.mail_mode.data))
        db.session.commit()
        flash(_("Your e-mail settings are saved."), "success")
        return redirect(url_for("notify.preferences"))
    if not form.is_submitted():
        form.mail_mode.data = services.get_preference(db.session(), current_user).value
    return render_template(
        "notify/preferences.html", form=form, labels=MODE_LABELS, hints=MODE_HINTS
    )


def _is_one_click() -> bool:
    # RFC 8058: a mail client unsubscribes by POSTing exactly this field to the link.
    return request.form.get("List-Unsubscribe") == "One-Click"


def _check_csrf() -> None:
    # This view is exempt from the global check (for RFC 8058); its own form is not.
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(error.args[0]) from error


@bp.route("/avregistrera/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str) -> Any:
    # Only POST unsubscribes: mail scanners and link previews fetch the links in a mail.
    posted = request.method == "POST"
    if posted and not _is_one_click():
        _check_csrf()
    session = db.session()
    try:
        if not posted:
            user = services.get_unsubscribe_user(session, token)
            off = services.get_preference(session, user) == MailMode.OFF
            return render_template("notify/unsubscribe.html", token=token, already_off=off)
        services.unsubscribe(session, token)
    except BadSignature:
        return render_template("notify/unsubscribe_invalid.html"), 404
    session.commit()
    return render_template("notify/unsubscribed.html")


@bp.record_once
def _exempt_one_click(state: BlueprintSetupState) -> None:
    # The one-click POST comes from a mail client with no session and so no CSRF token. The
    # signed token in the URL is the proof that the request comes from the mail's owner, and
    # all it can do is turn that person's non-essential mail off; the confirmation form on the
    # page still carries a CSRF token, checked in the view.
    state.app.extensions["csrf"].exempt(unsubscribe)
