"""Booking pages: book and cancel, .ics downloads, the personal feed, attendance."""

from __future__ import annotations

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

from lms.accounts.models import User
from lms.catalog import queries as catalog_queries
from lms.catalog.models import ActivitySession
from lms.catalog.services import can_edit
from lms.core.access import authenticated, public
from lms.core.db import db, run_with_retry
from lms.core.errors import DomainError
from lms.core.time import utcnow
from lms.progress import attendance, bookings, ical
from lms.progress.booking_queries import BookingState, list_booking_states
from lms.progress.models import Booking
from lms.transfer.messages import domain_error_message

bp = Blueprint("bookings", __name__)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _load_session(session_id: int) -> ActivitySession:
    found = db.session.get(ActivitySession, session_id)
    if (
        found is None
        or catalog_queries.get_visible_activity(db.session(), found.activity.slug, _user()) is None
    ):
        abort(404)
    return found


def _load_booking(booking_id: int) -> Booking:
    found = db.session.get(Booking, booking_id)
    if found is None or found.user_id != _user().id:
        abort(404)
    return found


def _activity_url(activity_session: ActivitySession) -> str:
    return url_for("catalog.activity", slug=activity_session.activity.slug)


@bp.app_template_global()
def booking_states(sessions: list[ActivitySession]) -> dict[int, BookingState]:
    """Free seats and the signed-in person's booking per session, for the activity page."""
    if not current_user.is_authenticated or not sessions:
        return {}
    return list_booking_states(db.session(), _user(), sessions)


@bp.post("/tillfalle/<int:session_id>/boka")
@authenticated
def book(session_id: int) -> Any:
    activity_session = _load_session(session_id)
    back = _activity_url(activity_session)

    def work() -> tuple[Booking, int | None]:
        booking = bookings.book_session(db.session(), _user(), activity_session, now=utcnow())
        position = bookings.waitlist_position(db.session(), booking)
        db.session.commit()
        return booking, position

    try:
        booking, position = run_with_retry(work, attempts=10)
    except DomainError as error:
        flash(domain_error_message(error, back), "error")
        return redirect(back)
    if booking.status == "booked":
        flash(_("You are booked. Your seat: %(seat)s.", seat=booking.seat), "success")
    else:
        flash(_("The session is full: you are on the waitlist (place %(n)s).", n=position), "info")
    return redirect(back)


@bp.post("/<int:booking_id>/avboka")
@authenticated
def cancel(booking_id: int) -> Any:
    booking = _load_booking(booking_id)
    back = _activity_url(booking.session)

    def work() -> None:
        bookings.cancel_booking(db.session(), _user(), booking, now=utcnow())
        db.session.commit()

    try:
        run_with_retry(work, attempts=10)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(back)
    flash(_("Your booking is cancelled."), "success")
    return redirect(back)


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:booking_id>.ics")
@authenticated
def booking_ics(booking_id: int) -> Any:
    booking = _load_booking(booking_id)
    if booking.status != "booked":
        abort(404)
    base_url = current_app.config["LMS"].base_url
    body = ical.calendar_of([booking.session], base_url, utcnow())
    return _ics(body, f"bokning-{booking.session_id}.ics")


@bp.get("/kalender/<token>.ics")
@public
def feed(token: str) -> Any:
    # The secret token is the credential: a calendar program cannot sign in.
    user = ical.get_feed_user(db.session(), token)
    if user is None:
        abort(404)
    sessions = ical.list_feed_sessions(db.session(), user)
    body = ical.calendar_of(sessions, current_app.config["LMS"].base_url, utcnow())
    return _ics(body, "larlyft.ics")


@bp.route("/kalender", methods=["GET", "POST"])
@authenticated
def feed_settings() -> Any:
    if request.method == "POST":
        ical.reset_feed(db.session(), _user())
        db.session.commit()
        flash(_("Your calendar has a new address; the old one no longer works."), "success")
        return redirect(url_for("bookings.feed_settings"))
    feed = ical.get_feed(db.session(), _user())  # a safe method: made by create_feed below
    url = None
    if feed is not None:
        url = current_app.config["LMS"].base_url.rstrip("/") + url_for(
            "bookings.feed", token=feed.token
        )
    return render_template("progress/calendar_feed.html", feed_url=url)


@bp.post("/kalender/skapa")
@authenticated
def create_feed() -> Any:
    def work() -> None:
        ical.create_feed(db.session(), _user())
        db.session.commit()

    run_with_retry(work)
    flash(_("Your calendar address is ready."), "success")
    return redirect(url_for("bookings.feed_settings"))


def _ids(name: str) -> set[int]:
    return {int(value) for value in request.form.getlist(name) if value.isdigit()}


@bp.route("/tillfalle/<int:session_id>/narvaro", methods=["GET", "POST"])
@authenticated
def attendance_page(session_id: int) -> Any:
    activity_session = _load_session(session_id)
    if not can_edit(_user(), activity_session.activity):
        abort(403)
    if request.method == "POST":
        marks = {
            key[len("mark-") :]: value
            for key, value in request.form.items()
            if key.startswith("mark-")
        }
        attended = {int(k) for k, v in marks.items() if k.isdigit() and v == "attended"}
        no_show = {int(k) for k, v in marks.items() if k.isdigit() and v == "no_show"}
        try:
            result = attendance.mark_attendance(
                db.session(), _user(), activity_session, attended, no_show, _ids("walk_in"),
                now=utcnow(),
            )  # fmt: skip
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Attendance saved: %(n)s attended.", n=result.attended), "success")
        return redirect(url_for("bookings.attendance_page", session_id=session_id))
    query = request.args.get("q", "")
    return render_template(
        "progress/attendance.html",
        activity_session=activity_session,
        attendees=attendance.list_attendees(db.session(), activity_session),
        query=query,
        candidates=attendance.search_walk_in_candidates(db.session(), query),
    )


# The coaching-slot form adds its routes to `bp`; importing it here registers them with the app.
from lms.progress import coaching_views  # noqa: E402, F401
