"""Signing in and out, password reset, invitations, profile and language."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.accounts import services
from lms.accounts.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from lms.accounts.mails import send_password_reset
from lms.accounts.models import TokenPurpose, User
from lms.accounts.queries import get_user_by_email
from lms.core.access import authenticated, public
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.events import account_ref, log_event
from lms.core.i18n import LANGUAGES
from lms.core.passwords import verify_password
from lms.core.security import is_safe_next
from lms.core.throttle import mark_login_failed

bp = Blueprint("accounts", __name__)


def _throttle() -> Any:
    return current_app.extensions["lms_throttle"]


def _throttled(minutes: int) -> Response:
    """The answer to a login over its limit: the sign-in page with the wait, status 429."""
    log_event("login.throttled", logging.WARNING)
    form = LoginForm(next=request.form.get("next", ""))
    page = render_template("accounts/login.html", form=form, throttled_minutes=minutes)
    return make_response(page, 429)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form)
    email = form.email.data or ""
    user = services.authenticate(db.session(), email, form.password.data or "")
    if user is None:
        mark_login_failed()
        log_event("login.failed", logging.WARNING, account=account_ref(email))
        return render_template("accounts/login.html", form=form, failed=True)
    _throttle().clear_account()
    _start_session(user, remember=bool(form.remember.data))
    db.session.commit()
    log_event("login.succeeded", logging.INFO, user_id=user.id)
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("home.index"))


@bp.record_once
def _limit_login(state: BlueprintSetupState) -> None:
    """Put the login limits on the view (after `login` is registered on the app)."""
    throttle = state.app.extensions["lms_throttle"]
    state.app.view_functions["accounts.login"] = throttle.protect(login, on_breach=_throttled)


def _start_session(user: User, remember: bool) -> None:
    """A fresh session at login: nothing from before survives but the language (no fixation)."""
    lang = session.get("lang")
    session.clear()
    if lang in LANGUAGES:
        session["lang"] = lang
    login_user(user, remember=remember)


@bp.route("/logout", methods=["POST"])
@authenticated
def logout() -> Any:
    services.end_sessions(db.session(), current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are now signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = get_user_by_email(db.session(), form.email.data or "")
        if user is not None and user.is_active:
            send_password_reset(db.session(), user)
            db.session.commit()
        # The same answer whether or not the address has an account.
        flash(
            _("If the address has an account, a link to choose a new password is on its way."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


def _token_page(raw: str, purpose: str, template: str) -> Any:
    try:
        token = services.peek_token(db.session(), raw, purpose)
    except DomainError as error:
        return render_template("accounts/token_invalid.html", message=error.message), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.redeem_token(db.session(), raw, purpose, form.password.data or "")
        except DomainError as error:
            form.password.errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("Your password is saved. Sign in with it now."), "success")
            return redirect(url_for("accounts.login"))
    return render_template(template, form=form, user=token.user)


@bp.route("/reset/<raw>", methods=["GET", "POST"])
@public
def reset_password(raw: str) -> Any:
    return _token_page(raw, TokenPurpose.RESET, "accounts/reset.html")


@bp.route("/invite/<raw>", methods=["GET", "POST"])
@public
def accept_invitation(raw: str) -> Any:
    return _token_page(raw, TokenPurpose.INVITE, "accounts/invite.html")


@bp.route("/profile", methods=["GET", "POST"])
@authenticated
def profile() -> Any:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data or ""):
            form.current.errors = [_("The current password is wrong.")]
        else:
            try:
                services.set_password(
                    db.session(), current_user, form.password.data or "", actor_id=current_user.id
                )
            except DomainError as error:
                form.password.errors = [str(error.message)]
            else:
                db.session.commit()
                login_user(current_user._get_current_object())  # this session goes on
                flash(_("Your password is changed. Other sessions are signed out."), "success")
                return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/language", methods=["POST"])
@public
def set_language() -> Any:
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("home.index"))
