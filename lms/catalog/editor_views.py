"""Authoring: the Markdown editor with live preview, metadata, status, revisions, images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from lms.catalog import editor_queries as queries
from lms.catalog import lessons, schedule, services
from lms.catalog.diff import body_diff, meta_changes
from lms.catalog.forms import (
    DELIVERY_LABELS,
    FORMAT_LABELS,
    LANGUAGE_LABELS,
    LEVEL_LABELS,
    SESSION_ERROR_FIELDS,
    STATUS_LABELS,
    ActivityForm,
    LessonAddForm,
    LessonForm,
    MoveForm,
    PreviewForm,
    SessionForm,
    StatusForm,
    UploadForm,
    activity_form,
    show_error,
)
from lms.catalog.models import Activity, ActivitySession, Lesson, Status
from lms.catalog.uploads import MAX_UPLOAD_BYTES, get_upload, list_uploads, store_upload
from lms.core.access import Permission, authenticated, requires
from lms.core.db import db
from lms.core.errors import DomainError, ValidationError
from lms.core.pagination import paginate

bp = Blueprint("editor", __name__)
editors = requires(Permission.COURSE_OWNER, Permission.COORDINATOR)
NEXT_STATUSES = {
    Status.DRAFT: (Status.PUBLISHED, Status.ARCHIVED),
    Status.PUBLISHED: (Status.ARCHIVED, Status.DRAFT),
    Status.ARCHIVED: (Status.DRAFT,),
}
ONE_YEAR = 365 * 24 * 3600


# --- helpers for the templates and the views -------------------------------------------------


def _catalog_url(activity: Activity) -> str | None:
    """The activity's catalogue page, once the catalogue has one."""
    if "catalog.activity" not in current_app.view_functions:
        return None
    return url_for("catalog.activity", slug=activity.slug)


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "catalog_url": _catalog_url,
        "format_labels": FORMAT_LABELS,
        "level_labels": LEVEL_LABELS,
        "delivery_labels": DELIVERY_LABELS,
        "status_labels": STATUS_LABELS,
        "language_labels": LANGUAGE_LABELS,
    }


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Any:
    flash(_("The file is too large: an image may be at most 5 MB."), "error")
    return redirect(url_for("editor.index"))


def _load(slug: str) -> Activity:
    activity = queries.get_activity_for_edit(db.session(), slug)
    if activity is None:
        abort(404)
    services.require_edit(current_user, activity)
    return activity


def _load_lesson(activity: Activity, lesson_slug: str) -> Lesson:
    lesson = queries.get_lesson(db.session(), activity, lesson_slug)
    if lesson is None:
        abort(404)
    return lesson


def _load_session(activity: Activity, session_id: int) -> ActivitySession:
    found = queries.get_session(db.session(), activity, session_id)
    if found is None:
        abort(404)
    return found


def _previewing() -> bool:
    return request.method == "POST" and request.form.get("action") == "preview"


def _preview(body: str | None) -> Any:
    return lessons.render_preview(db.session(), body or "") if _previewing() else None


def _activity_form(activity: Activity | None, submitted: bool = True) -> ActivityForm:
    keep = list(activity.owners) if activity is not None else []
    choices = queries.load_editor_choices(db.session(), keep_owners=keep)
    kwargs: dict[str, Any] = {} if submitted else {"formdata": None}
    form = activity_form(choices, creating=activity is None, **kwargs)
    if activity is not None and not (submitted and request.method == "POST"):
        form.load(activity)
    return form


def _save(form: ActivityForm, activity: Activity | None) -> Activity | None:
    """Save through the service; a refused save puts the reason on the form and keeps input."""
    try:
        saved = services.edit_activity(
            db.session(),
            current_user,
            form.activity_data(),
            activity=activity,
            slug=(form.slug.data or "") if activity is None else "",
            note=form.note.data or "",
        )
    except DomainError as error:
        db.session.rollback()
        form.show_error(error)
        return None
    db.session.commit()
    return saved


def _render_edit(activity: Activity, **forms: Any) -> str:
    form = forms.get("form") or _activity_form(activity, submitted=False)
    empty = {"formdata": None}
    return render_template(
        "catalog/editor/edit.html",
        activity=activity,
        form=form,
        preview=_preview(form.body.data),
        next_statuses=NEXT_STATUSES.get(Status(activity.status), ()),
        session_form=forms.get("session_form") or SessionForm(prefix="session", **empty),
        lesson_form=forms.get("lesson_form") or LessonAddForm(prefix="lesson", **empty),
        upload_form=forms.get("upload_form") or UploadForm(prefix="upload", **empty),
        uploads=list_uploads(db.session(), current_user.id),
    )


# --- the list, creating and editing ----------------------------------------------------------


@bp.route("/")
@editors
def index() -> Any:
    status = request.args.get("status", "")
    stmt = queries.editable_activities(current_user, status)
    page = paginate(db.session(), stmt, request.args.get("page", 1, type=int) or 1, per_page=50)
    counts = queries.count_editable_by_status(db.session(), current_user)
    args = {"status": status} if status in set(Status) else {}
    return render_template(
        "catalog/editor/index.html", page=page, counts=counts, status=status, args=args
    )


@bp.route("/ny", methods=["GET", "POST"])
@editors
def new() -> Any:
    form = _activity_form(None)
    if not _previewing() and form.validate_on_submit():
        activity = _save(form, None)
        if activity is not None:
            flash(_("The activity was created as a draft."), "success")
            return redirect(url_for("editor.edit", slug=activity.slug))
    return render_template("catalog/editor/new.html", form=form, preview=_preview(form.body.data))


@bp.route("/<slug>", methods=["GET", "POST"])
@editors
def edit(slug: str) -> Any:
    activity = _load(slug)
    form = _activity_form(activity)
    if not _previewing() and form.validate_on_submit() and _save(form, activity):
        flash(_("Your changes were saved."), "success")
        return redirect(url_for("editor.edit", slug=slug))
    return _render_edit(activity, form=form)


@bp.route("/forhandsgranska", methods=["POST"])
@editors
def preview() -> Any:
    form = PreviewForm()
    if not form.validate_on_submit():
        return jsonify(error=_("The text is too long to preview.")), 400
    rendered = lessons.render_preview(db.session(), form.body.data or "")
    questions = sum(len(quiz.questions) for quiz in rendered.quizzes)
    return jsonify(html=rendered.html, problems=rendered.problems, questions=questions)


@bp.route("/<slug>/status", methods=["POST"])
@editors
def change_status(slug: str) -> Any:
    activity = _load(slug)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    services.change_status(db.session(), current_user, activity, form.status.data)
    db.session.commit()
    flash(_("The status is now: %(status)s.", status=STATUS_LABELS[form.status.data]), "success")
    return redirect(url_for("editor.edit", slug=slug))


# --- revisions -------------------------------------------------------------------------------


@bp.route("/<slug>/versioner")
@editors
def revisions(slug: str) -> Any:
    activity = _load(slug)
    found = queries.list_revisions(db.session(), activity)
    return render_template("catalog/editor/revisions.html", activity=activity, revisions=found)


@bp.route("/<slug>/versioner/<int:number>")
@editors
def revision(slug: str, number: int) -> Any:
    activity = _load(slug)
    shown = services.get_revision(db.session(), activity, number)
    previous = queries.get_previous_revision(db.session(), shown)
    return render_template(
        "catalog/editor/revision.html",
        activity=activity,
        revision=shown,
        previous=previous,
        is_latest=queries.latest_revision_number(db.session(), activity) == number,
        changes=meta_changes(previous.meta if previous else {}, shown.meta),
        lines=body_diff(previous.body if previous else "", shown.body),
    )


@bp.route("/<slug>/versioner/<int:number>/aterstall", methods=["POST"])
@editors
def restore(slug: str, number: int) -> Any:
    activity = _load(slug)
    try:
        services.restore_revision(db.session(), current_user, activity, number)
    except ValidationError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("editor.revision", slug=slug, number=number))
    db.session.commit()
    flash(_("Version %(n)d was restored as a new version.", n=number), "success")
    return redirect(url_for("editor.revisions", slug=slug))


# --- sessions --------------------------------------------------------------------------------


@bp.route("/<slug>/tillfallen", methods=["POST"])
@editors
def add_session(slug: str) -> Any:
    activity = _load(slug)
    form = SessionForm(prefix="session")
    if form.validate_on_submit():
        try:
            schedule.add_session(db.session(), current_user, activity, form.session_data())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, SESSION_ERROR_FIELDS)
        else:
            db.session.commit()
            flash(_("The session was added."), "success")
            return redirect(url_for("editor.edit", slug=slug, _anchor="sessions"))
    return _render_edit(activity, session_form=form)


@bp.route("/<slug>/tillfallen/<int:session_id>/stall-in", methods=["POST"])
@editors
def cancel_session(slug: str, session_id: int) -> Any:
    activity = _load(slug)
    schedule.cancel_session(db.session(), current_user, _load_session(activity, session_id))
    db.session.commit()
    flash(_("The session was cancelled."), "success")
    return redirect(url_for("editor.edit", slug=slug, _anchor="sessions"))


@bp.route("/<slug>/tillfallen/<int:session_id>/ta-bort", methods=["POST"])
@editors
def delete_session(slug: str, session_id: int) -> Any:
    activity = _load(slug)
    schedule.delete_session(db.session(), current_user, _load_session(activity, session_id))
    db.session.commit()
    flash(_("The session was deleted."), "success")
    return redirect(url_for("editor.edit", slug=slug, _anchor="sessions"))


# --- course lessons --------------------------------------------------------------------------


@bp.route("/<slug>/lektioner", methods=["POST"])
@editors
def add_lesson(slug: str) -> Any:
    activity = _load(slug)
    form = LessonAddForm(prefix="lesson")
    if form.validate_on_submit():
        try:
            lesson = lessons.add_lesson(db.session(), current_user, activity, form.lesson_data())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The lesson was added. Now write its content."), "success")
            return redirect(url_for("editor.edit_lesson", slug=slug, lesson_slug=lesson.slug))
    return _render_edit(activity, lesson_form=form)


@bp.route("/<slug>/lektioner/<lesson_slug>", methods=["GET", "POST"])
@editors
def edit_lesson(slug: str, lesson_slug: str) -> Any:
    activity = _load(slug)
    lesson = _load_lesson(activity, lesson_slug)
    form = LessonForm(obj=lesson if request.method == "GET" else None)
    if not _previewing() and form.validate_on_submit():
        try:
            lessons.update_lesson(db.session(), current_user, lesson, form.lesson_data())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The lesson was saved."), "success")
            return redirect(url_for("editor.edit_lesson", slug=slug, lesson_slug=lesson_slug))
    return render_template(
        "catalog/editor/lesson.html",
        activity=activity,
        lesson=lesson,
        form=form,
        preview=_preview(form.body.data),
    )


@bp.route("/<slug>/lektioner/<lesson_slug>/flytta", methods=["POST"])
@editors
def move_lesson(slug: str, lesson_slug: str) -> Any:
    activity = _load(slug)
    lesson = _load_lesson(activity, lesson_slug)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    lessons.move_lesson(
        db.session(), current_user, lesson, -1 if form.direction.data == "up" else 1
    )
    db.session.commit()
    return redirect(url_for("editor.edit", slug=slug, _anchor="lessons"))


@bp.route("/<slug>/lektioner/<lesson_slug>/ta-bort", methods=["POST"])
@editors
def delete_lesson(slug: str, lesson_slug: str) -> Any:
    activity = _load(slug)
    lesson = _load_lesson(activity, lesson_slug)
    lessons.delete_lesson(db.session(), current_user, lesson)
    db.session.commit()
    flash(_("The lesson was deleted."), "success")
    return redirect(url_for("editor.edit", slug=slug, _anchor="lessons"))


# --- images ----------------------------------------------------------------------------------


def _upload_folder() -> Path:
    return Path(current_app.instance_path) / "uploads"


@bp.route("/bilder", methods=["POST"])
@editors
def upload() -> Any:
    form = UploadForm(prefix="upload")
    activity = _load(form.activity.data) if form.activity.data else None
    if form.validate_on_submit():
        try:
            stored = store_upload(
                db.session(),
                folder=_upload_folder(),
                data=form.image.data.read(MAX_UPLOAD_BYTES + 1),
                filename=form.image.data.filename or "",
                actor_id=current_user.id,
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The image %(name)s was uploaded.", name=stored.name), "success")
            target = url_for("editor.edit", slug=activity.slug) if activity else None
            return redirect((target or url_for("editor.index")) + "#images")
    if activity is None:
        abort(400)
    return _render_edit(activity, upload_form=form)


@authenticated
def uploaded_file(name: str) -> Response:
    """An uploaded image, for everyone signed in (learners see the images in lessons)."""
    stored = get_upload(db.session(), name)
    if stored is None or not (_upload_folder() / stored.name).is_file():
        abort(404)
    path = _upload_folder() / stored.name
    response = send_file(
        path, mimetype=stored.content_type, download_name=stored.name, max_age=ONE_YEAR
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{stored.name}"'
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.immutable = True  # the name holds the content's hash
    return response


@bp.record_once
def _serve_uploads_at_root(state: BlueprintSetupState) -> None:
    # Images are served at /uploads/<name>, outside the editor's /redigera prefix.
    state.app.add_url_rule("/uploads/<name>", "editor.uploaded_file", uploaded_file)
