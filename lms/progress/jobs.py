"""Scheduled jobs of progress: reminding booked people of tomorrow's sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.catalog.models import ActivitySession
from lms.core.i18n import _l
from lms.core.jobs import JobContext
from lms.core.time import STOCKHOLM, local_date, start_of_local_day
from lms.notify.services import notify
from lms.progress.models import Booking


def send_session_reminders(ctx: JobContext) -> dict[str, int]:
    """Remind everyone holding a seat on a session that starts tomorrow (Stockholm time)."""
    tomorrow = local_date(ctx.now) + timedelta(days=1)
    begin = start_of_local_day(tomorrow)
    end = start_of_local_day(tomorrow + timedelta(days=1))
    stmt = (
        select(Booking)
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .where(
            Booking.status == "booked",
            ActivitySession.is_cancelled.is_(False),
            ActivitySession.starts_at >= begin,
            ActivitySession.starts_at < end,
        )
        .options(
            selectinload(Booking.user),
            selectinload(Booking.session).selectinload(ActivitySession.activity),
        )
        .order_by(Booking.id)
    )
    sent = 0
    for booking in ctx.session.scalars(stmt):
        activity_session = booking.session
        where = activity_session.place or activity_session.online_url or ""
        created = notify(
            ctx.session,
            booking.user,
            kind="session_reminder",
            title=_l("Tomorrow: %(title)s", title=activity_session.activity.title),
            body=_l(
                "%(time)s, %(place)s. Seat %(seat)s.",
                time=activity_session.starts_at.astimezone(STOCKHOLM).strftime("%H:%M"),
                place=where,
                seat=booking.seat,
            ),
            link=f"/katalog/{activity_session.activity.slug}",
            dedupe_key=f"reminder:{booking.id}",
        )
        sent += created is not None
    return {"reminders": sent}
