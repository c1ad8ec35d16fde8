"""Scheduled jobs of notify: the weekly digest of non-essential notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.i18n import _l
from lms.core.jobs import JobContext
from lms.core.time import local_date
from lms.notify.mails import queue_mail
from lms.notify.models import MailMode, Notification, NotificationPreference
from lms.notify.services import unsubscribe_url

DIGEST_KIND = "digest"

Pending = dict[int, tuple[User, NotificationPreference, list[Notification]]]


def _pending_digests(session: Session) -> Pending:
    """Active weekly-digest users with their waiting notifications, oldest first (one query)."""
    rows = session.execute(
        select(User, NotificationPreference, Notification)
        .join(NotificationPreference, NotificationPreference.user_id == User.id)
        .join(Notification, Notification.user_id == User.id)
        .where(
            User.is_active,
            NotificationPreference.mail_mode == MailMode.WEEKLY.value,
            Notification.is_digest_pending,
        )
        .order_by(User.id, Notification.created_at, Notification.id)
    )
    pending: Pending = {}
    for user, preference, notification in rows:
        pending.setdefault(user.id, (user, preference, []))[2].append(notification)
    return pending


def digest_key(user: User, now: datetime) -> str:
    """One digest per person per ISO week (Stockholm calendar), so a rerun sends nothing."""
    year, week, _ = local_date(now).isocalendar()
    return f"notify-digest:{user.id}:{year}-W{week:02d}"


def send_weekly_digest(ctx: JobContext) -> dict[str, int]:
    """Mail each weekly-digest user one summary of their waiting notifications.

    Runs inside the app context (templates, translations). When this week's digest of a
    person has already been queued, their newer notifications wait for next week's.
    """
    users = notifications = 0
    for user, preference, items in _pending_digests(ctx.session).values():
        mail = queue_mail(
            ctx.session,
            user,
            kind=DIGEST_KIND,
            subject=_l("Your weekly summary from Lärlyft"),
            template=DIGEST_KIND,
            context={"notifications": items},
            dedupe_key=digest_key(user, ctx.now),
            essential=False,
            unsubscribe_url=unsubscribe_url(user),
        )
        if mail is None:
            continue
        for item in items:
            item.is_digest_pending = False
        preference.last_digest_at = ctx.now
        users += 1
        notifications += len(items)
    ctx.session.flush()
    ctx.log.info("weekly digest: %d mails with %d notifications", users, notifications)
    return {"users": users, "notifications": notifications}
