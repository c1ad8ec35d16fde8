"""The application factory: configuration, extensions, blueprints, commands."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, flash, redirect, render_template, request
from flask_babel import Babel, get_locale
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.config import (
    REPO_ROOT,
    ConfigError,
    Settings,
    load_settings,
    resolve_secret_key,
    validate_production,
)
from lms.core.access import Permission, enforce_access
from lms.core.db import db, declare_write_intent
from lms.core.errors import DomainError
from lms.core.events import log_event, log_refusal, stack_of
from lms.core.i18n import LANGUAGES, _l, select_locale
from lms.core.markdown import configure_video_hosts, frame_hosts
from lms.core.security import install_security_headers, same_site_referrer
from lms.core.throttle import LoginThrottle

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the Lärlyft application from settings (the environment by default)."""
    settings = settings or load_settings(**overrides)
    validate_production(settings)
    try:
        configure_video_hosts(settings.video_hosts)
    except ValueError as error:
        raise ConfigError(f"LMS_VIDEO_HOSTS: {error}") from error
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path.resolve()),
        template_folder=str(REPO_ROOT / "templates"),
    )
    https = settings.base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=resolve_secret_key(settings),
        LMS=settings,
        DEBUG=settings.debug,
        TESTING=settings.env == "test",
        # Over https the cookies carry the __Host- prefix: the browser then accepts them
        # only with Secure, Path=/ and no Domain, so no sibling host can set or shadow them.
        SESSION_COOKIE_NAME="__Host-session" if https else "session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_NAME="__Host-remember_token" if https else "remember_token",
        REMEMBER_COOKIE_DURATION=settings.remember_days * 86400,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        BABEL_DEFAULT_LOCALE="sv",
        BABEL_DEFAULT_TIMEZONE="Europe/Stockholm",
        BABEL_TRANSLATION_DIRECTORIES=str(REPO_ROOT / "lms" / "translations"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    if settings.trusted_proxies:
        # The client's address and scheme as the trusted proxies saw them: the per-IP login
        # limit and HSTS need the real ones, not the proxy's.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    _init_logging(app)
    db.init_app(app, settings.database_url)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    _init_login(app)
    app.extensions["lms_throttle"] = LoginThrottle(
        app,
        settings.redis_url,
        settings.login_attempts_per_account,
        settings.login_attempts_per_ip,
        settings.login_window_seconds,
    )
    # First, before anything touches the database: unsafe methods may write (see db.py).
    app.before_request(_declare_write_intent)
    app.before_request(enforce_access)
    install_security_headers(app, frame_hosts=frame_hosts(settings.video_hosts))
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, Permission=Permission, get_locale=get_locale)
    return app


def _declare_write_intent() -> None:
    declare_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))


def _init_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _init_login(app: Flask) -> None:
    from lms.accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(identifier: str) -> User | None:
        user_id, _, version = identifier.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return user


def register_blueprints(app: Flask) -> None:
    from lms.accounts.admin_views import bp as admin_bp
    from lms.accounts.views import bp as accounts_bp
    from lms.assessment.conversation_views import bp as conversation_bp
    from lms.assessment.plan_views import bp as plans_bp
    from lms.assessment.request_views import bp as learning_requests_bp
    from lms.assessment.round_views import bp as rounds_bp
    from lms.assessment.views import bp as assessment_bp
    from lms.catalog.editor_views import bp as editor_bp
    from lms.catalog.saved_views import bp as saved_bp
    from lms.catalog.theme_editor_views import bp as theme_editor_bp
    from lms.catalog.views import bp as catalog_bp
    from lms.discover.calendar_views import bp as calendar_bp
    from lms.discover.views import bp as discover_bp
    from lms.framework.views import bp as framework_bp
    from lms.home.views import bp as home_bp
    from lms.notify.views import bp as notify_bp
    from lms.privacy.views import bp as privacy_bp
    from lms.progress.booking_views import bp as bookings_bp
    from lms.progress.personal_views import bp as personal_bp
    from lms.progress.views import bp as progress_bp
    from lms.recommend.views import bp as recommend_bp
    from lms.reports.assessment_views import bp as assessment_reports_bp
    from lms.reports.dashboard_views import bp as report_dashboard_bp
    from lms.reports.esf_views import bp as esf_reports_bp
    from lms.reports.programme_views import bp as programmes_bp
    from lms.transfer.editor_views import bp as transfer_editor_bp
    from lms.transfer.views import bp as transfer_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(framework_bp, url_prefix="/kompetens")
    app.register_blueprint(catalog_bp, url_prefix="/katalog")
    app.register_blueprint(editor_bp, url_prefix="/redigera")
    app.register_blueprint(notify_bp, url_prefix="/meddelanden")
    app.register_blueprint(progress_bp, url_prefix="/larande")
    app.register_blueprint(personal_bp, url_prefix="/mitt-larande")
    app.register_blueprint(bookings_bp, url_prefix="/bokningar")
    app.register_blueprint(transfer_bp, url_prefix="/uppgifter")
    app.register_blueprint(transfer_editor_bp, url_prefix="/redigera")
    app.register_blueprint(theme_editor_bp, url_prefix="/samordning/teman")
    app.register_blueprint(saved_bp, url_prefix="/sparat")
    app.register_blueprint(discover_bp)
    app.register_blueprint(calendar_bp, url_prefix="/kalender")
    app.register_blueprint(assessment_bp, url_prefix="/skattning")
    app.register_blueprint(conversation_bp, url_prefix="/skattning/samtal")
    app.register_blueprint(plans_bp, url_prefix="/skattning/plan")
    app.register_blueprint(rounds_bp, url_prefix="/samordning/skattning")
    app.register_blueprint(learning_requests_bp, url_prefix="/samordning/onskemal")
    app.register_blueprint(assessment_reports_bp, url_prefix="/rapporter/skattning")
    app.register_blueprint(recommend_bp, url_prefix="/rekommenderat")
    app.register_blueprint(programmes_bp, url_prefix="/samordning/program")
    app.register_blueprint(esf_reports_bp, url_prefix="/rapporter/esf")
    app.register_blueprint(report_dashboard_bp, url_prefix="/rapporter")
    app.register_blueprint(privacy_bp)
    _wire_mail_hooks(app)
    _wire_plan_ranking(app)
    _wire_signals()


def _wire_signals() -> None:
    """Connect the higher layers to the signals of the lower ones (connecting twice is a no-op)."""
    from lms.assessment.goal_progress import on_completion_recorded
    from lms.progress.signals import completion_recorded
    from lms.recommend import receivers
    from lms.reports import esf_summary

    completion_recorded.connect(on_completion_recorded)
    receivers.connect()  # after goal progress: a completion moves goals, then marks stale
    esf_summary.connect()  # programme summaries follow every completion written or removed


def _wire_mail_hooks(app: Flask) -> None:
    """Let the outbox (core) ask notify for a non-essential mail's List-Unsubscribe URL."""
    from lms.core.outbox_sender import register_unsubscribe_url
    from lms.notify.services import list_unsubscribe_url

    register_unsubscribe_url(app, list_unsubscribe_url)


def _wire_plan_ranking(app: Flask) -> None:
    """Let the plan page (assessment) rank each goal's activities with recommend's engine."""
    from lms.assessment.plan_ranking import register_goal_ranking
    from lms.recommend.goals import rank_plan_goals

    register_goal_ranking(app, rank_plan_goals)


def register_commands(app: Flask) -> None:
    from lms.cli import lms_group

    app.cli.add_command(lms_group)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        log_event("csrf.refused", logging.WARNING)
        return render_template("errors/error.html", code=400, reason="csrf"), 400

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Any:
        # A service refused; views normally catch this, so this is the safety net.
        log_refusal(error.status_code)
        if error.status_code == 404:
            # The same page as for an unknown id, whatever the referrer: no probing for objects.
            return render_template("errors/error.html", code=404), 404
        back = same_site_referrer(request.referrer, request.host_url)
        if request.method == "POST" and back:
            flash(str(error.message), "error")
            return redirect(back)
        return render_template(
            "errors/error.html", code=error.status_code, message=error.message
        ), error.status_code

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        log_refusal(error.code)
        return render_template("errors/error.html", code=error.code), error.code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        # One structured event: where and what kind, never the message (it may hold data).
        log_event("request.error", logging.ERROR, error=type(error).__name__, stack=stack_of(error))
        return render_template("errors/error.html", code=500), 500
