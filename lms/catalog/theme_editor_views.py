"""The coordinators' theme month pages: write, curate, preview, publish or schedule."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from lms.catalog import theme_editor_queries as queries
from lms.catalog import themes
from lms.catalog.forms import FORMAT_LABELS, LEVEL_LABELS, MoveForm, PreviewForm
from lms.catalog.lessons import render_preview
from lms.catalog.models import ThemeMonth
from lms.catalog.theme_forms import (
    THEME_STATUS_LABELS,
    ActivityAddForm,
    BannerForm,
    ScheduleForm,
    ThemeMonthForm,
)
from lms.core.access import Permission, requires
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.forms import commit_or_flash, commit_or_show
from lms.core.time import local_date, utcnow

bp = Blueprint("theme_editor", __name__)
managers = requires(Permission.COORDINATOR, Permission.ADMIN)
T = TypeVar("T")


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "theme_status_labels": THEME_STATUS_LABELS,
        "format_labels": FORMAT_LABELS,
        "level_labels": LEVEL_LABELS,
        "month_label": themes.month_label,
        "max_activities": themes.MAX_ACTIVITIES,
    }


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    flash(_("The file is too large: an image may be at most 5 MB."), "error")
    return redirect(url_for("theme_editor.index"))


def _load(theme_id: int) -> ThemeMonth:
    theme = queries.get_theme_month_for_edit(db.session(), theme_id)
    if theme is None:
        abort(404)
    return theme


def _theme_form(theme: ThemeMonth | None) -> ThemeMonthForm:
    form = ThemeMonthForm()
    locked = theme is not None and themes.is_key_locked(theme)
    form.setup(queries.list_departments(db.session()), key_locked=locked)
    if theme is not None and request.method == "GET":
        form.load(theme)
    return form


def _previewing() -> bool:
    return request.method == "POST" and request.form.get("action") == "preview"


def _preview(form: ThemeMonthForm) -> Any:
    return render_preview(db.session(), form.intro.data or "") if _previewing() else None


def _back(theme: ThemeMonth, anchor: str | None = None) -> Any:
    return redirect(url_for("theme_editor.edit", theme_id=theme.id, _anchor=anchor))


def _render_edit(theme: ThemeMonth, **forms: Any) -> str:
    empty = {"formdata": None}
    form = forms.get("form") or _theme_form(theme)
    add_form = forms.get("add_form") or ActivityAddForm(prefix="add", **empty)
    add_form.setup(queries.list_curatable_activities(db.session(), theme))
    return render_template(
        "catalog/themes/edit.html",
        theme=theme,
        form=form,
        preview=_preview(form),
        banner_form=forms.get("banner_form")
        or BannerForm(prefix="banner", banner_alt=theme.banner_alt, **empty),
        schedule_form=forms.get("schedule_form") or ScheduleForm(prefix="schedule", **empty),
        add_form=add_form,
        today=local_date(utcnow()),
    )


# --- the overview, creating and editing ------------------------------------------------------


@bp.route("/")
@managers
def index() -> Any:
    today = local_date(utcnow())
    overview = queries.theme_overview(db.session(), today)
    return render_template("catalog/themes/index.html", overview=overview, today=today)


@bp.route("/ny", methods=["GET", "POST"])
@managers
def new() -> Any:
    form = _theme_form(None)
    if request.method == "GET":
        coming = local_date(utcnow()).replace(day=28)
        form.year.data, form.month.data = (
            (coming.year + 1, 1) if coming.month == 12 else (coming.year, coming.month + 1)
        )
    if not _previewing() and form.validate_on_submit():
        data = form.theme_data()
        theme = commit_or_show(
            form, lambda: themes.create_theme_month(db.session(), current_user, data)
        )
        if theme is not None:
            flash(
                _("The theme month was created as a draft. Now choose its activities."), "success"
            )
            return _back(theme, "activities")
    return render_template("catalog/themes/new.html", form=form, preview=_preview(form))


@bp.route("/<int:theme_id>", methods=["GET", "POST"])
@managers
def edit(theme_id: int) -> Any:
    theme = _load(theme_id)
    form = _theme_form(theme)
    if not _previewing() and form.validate_on_submit():
        data = form.theme_data(theme)
        if commit_or_show(
            form, lambda: themes.update_theme_month(db.session(), current_user, theme, data)
        ):
            flash(_("Your changes were saved."), "success")
            return _back(theme)
    return _render_edit(theme, form=form)


@bp.route("/forhandsgranska", methods=["POST"])
@managers
def render_intro() -> Any:
    """The live preview of the intro (editor.js), rendered as publishing renders it."""
    form = PreviewForm()
    if not form.validate_on_submit():
        return jsonify(error=_("The text is too long to preview.")), 400
    rendered = render_preview(db.session(), form.body.data or "")
    questions = sum(len(quiz.questions) for quiz in rendered.quizzes)
    return jsonify(html=rendered.html, problems=rendered.problems, questions=questions)


@bp.route("/<int:theme_id>/forhandsvisning")
@managers
def preview(theme_id: int) -> Any:
    theme = _load(theme_id)
    activities = queries.list_preview_activities(db.session(), theme)
    return render_template("catalog/themes/preview.html", theme=theme, activities=activities)


# --- publishing ------------------------------------------------------------------------------


@bp.route("/<int:theme_id>/publicera", methods=["POST"])
@managers
def publish(theme_id: int) -> Any:
    theme = _load(theme_id)
    again = theme.announced_at is not None
    try:
        told = themes.publish_now(db.session(), current_user, theme, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return _back(theme, "publishing")
    db.session.commit()
    flash(_published_message(told, again=again), "success")
    return _back(theme, "publishing")


def _published_message(told: int, *, again: bool) -> str:
    if again:
        return _("The theme month was published again. Its audience was told the first time.")
    return ngettext(
        "The theme month was published and %(num)d person was told.",
        "The theme month was published and %(num)d people were told.",
        told,
    )


@bp.route("/<int:theme_id>/schemalagg", methods=["POST"])
@managers
def schedule(theme_id: int) -> Any:
    theme = _load(theme_id)
    form = ScheduleForm(prefix="schedule")
    if form.validate_on_submit():
        day, today = form.publish_on.data, local_date(utcnow())
        if commit_or_show(
            form, lambda: themes.schedule(db.session(), current_user, theme, day, today)
        ):
            flash(
                _("The theme month will publish itself on %(day)s.", day=day.isoformat()), "success"
            )
            return _back(theme, "publishing")
    return _render_edit(theme, schedule_form=form)


@bp.route("/<int:theme_id>/avbryt-schemalaggning", methods=["POST"])
@managers
def unschedule(theme_id: int) -> Any:
    theme = _load(theme_id)
    if commit_or_flash(lambda: themes.unschedule(db.session(), current_user, theme)):
        flash(_("The theme month is a draft again and will not publish itself."), "success")
    return _back(theme, "publishing")


@bp.route("/<int:theme_id>/avpublicera", methods=["POST"])
@managers
def unpublish(theme_id: int) -> Any:
    theme = _load(theme_id)
    if commit_or_flash(lambda: themes.unpublish(db.session(), current_user, theme)):
        flash(_("The theme month is a draft again; learners no longer see it."), "success")
    return _back(theme, "publishing")


@bp.route("/<int:theme_id>/ta-bort", methods=["POST"])
@managers
def delete(theme_id: int) -> Any:
    theme = _load(theme_id)
    title = theme.title
    if not commit_or_flash(lambda: themes.delete_theme_month(db.session(), current_user, theme)):
        return _back(theme, "publishing")
    flash(_("The theme month %(title)s was deleted.", title=title), "success")
    return redirect(url_for("theme_editor.index"))


# --- the banner ------------------------------------------------------------------------------


def _upload_folder() -> Path:
    # The same folder as the activity editor's images, served at /uploads/<name>.
    return Path(current_app.instance_path) / "uploads"


@bp.route("/<int:theme_id>/banner", methods=["POST"])
@managers
def banner(theme_id: int) -> Any:
    theme = _load(theme_id)
    form = BannerForm(prefix="banner")
    if form.validate_on_submit():
        data, filename = form.image_bytes()
        alt = form.banner_alt.data or ""
        if commit_or_show(
            form,
            lambda: themes.set_banner(
                db.session(),
                current_user,
                theme,
                folder=_upload_folder(),
                alt=alt,
                data=data,
                filename=filename,
            ),
        ):
            flash(_("The banner was saved."), "success")
            return _back(theme, "banner")
    return _render_edit(theme, banner_form=form)


@bp.route("/<int:theme_id>/banner/ta-bort", methods=["POST"])
@managers
def remove_banner(theme_id: int) -> Any:
    theme = _load(theme_id)
    if commit_or_flash(lambda: themes.remove_banner(db.session(), current_user, theme)):
        flash(_("The banner was removed."), "success")
    return _back(theme, "banner")


# --- curated activities ----------------------------------------------------------------------


@bp.route("/<int:theme_id>/aktiviteter", methods=["POST"])
@managers
def add_activity(theme_id: int) -> Any:
    theme = _load(theme_id)
    form = ActivityAddForm(prefix="add")
    if form.validate_on_submit():
        activity_id = int(form.activity.data)
        if commit_or_show(
            form, lambda: themes.add_activity(db.session(), current_user, theme, activity_id)
        ):
            flash(_("The activity was added to the theme month."), "success")
            return _back(theme, "activities")
    return _render_edit(theme, add_form=form)


@bp.route("/<int:theme_id>/aktiviteter/<int:activity_id>/flytta", methods=["POST"])
@managers
def move_activity(theme_id: int, activity_id: int) -> Any:
    theme = _load(theme_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    direction = form.direction.data
    commit_or_flash(
        lambda: themes.move_activity(db.session(), current_user, theme, activity_id, direction)
    )
    return _back(theme, "activities")


@bp.route("/<int:theme_id>/aktiviteter/<int:activity_id>/ta-bort", methods=["POST"])
@managers
def remove_activity(theme_id: int, activity_id: int) -> Any:
    theme = _load(theme_id)
    if commit_or_flash(
        lambda: themes.remove_activity(db.session(), current_user, theme, activity_id)
    ):
        flash(_("The activity was taken out of the theme month."), "success")
    return _back(theme, "activities")
