"""Telling a theme month's audience that it is published: once ever, in each reader's language."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime

import nh3
from flask import current_app
from flask_babel import LazyString, format_date
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.catalog.models import ThemeMonth, ThemeMonthActivity, ThemeStatus
from lms.core.audit import record_event
from lms.core.i18n import _l
from lms.core.time import local_date
from lms.notify.services import notify

KIND = "theme_month"
MAIL_TEMPLATE = "theme_month_published"
EXCERPT_MAX = 300
_FIRST_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL)


def month_label(year: int, month: int) -> str:
    """The month as people say it, "oktober 2026", in the current language (babel)."""
    return str(format_date(date(year, month, 1), "LLLL y"))


def has_ended(theme: ThemeMonth, today: date) -> bool:
    """Whether the theme's month is over on `today` (it belongs to the archive)."""
    return (theme.year, theme.month) < (today.year, today.month)


def public_path(theme: ThemeMonth) -> str:
    """The site path of the theme month's public page, also outside a request (jobs)."""
    values = {"year_month": theme.year_month, "slug": theme.slug}
    return str(current_app.url_map.bind("localhost").build("discover.theme_month", values))


def intro_excerpt(theme: ThemeMonth) -> str:
    """The intro's first paragraph as plain text, for the notification and the mail."""
    match = _FIRST_PARAGRAPH.search(theme.intro_html or "")
    if match is None:
        return ""
    text = " ".join(html_lib.unescape(nh3.clean(match.group(1), tags=set())).split())
    return text if len(text) <= EXCERPT_MAX else text[: EXCERPT_MAX - 1].rstrip() + "…"


def record_theme_event(
    session: Session, actor: User | None, theme: ThemeMonth, action: str, **details: object
) -> None:
    """An audit event `theme_month.<action>` (actor None: the scheduled job)."""
    record_event(
        session,
        actor_id=actor.id if actor is not None else None,
        action=f"theme_month.{action}",
        object_type="theme_month",
        object_id=theme.id,
        key=theme.key,
        **details,
    )


def _audience(session: Session, theme: ThemeMonth) -> list[User]:
    """The active people in the theme's departments, or every active person without any."""
    stmt = select(User).where(User.is_active.is_(True))
    if theme.departments:
        stmt = stmt.where(User.department_id.in_([d.id for d in theme.departments]))
    return list(session.scalars(stmt.order_by(User.id)))


def _mail_context(theme: ThemeMonth) -> dict[str, object]:
    return {
        "theme_title": theme.title,
        "month_start": date(theme.year, theme.month, 1),
        "excerpt": intro_excerpt(theme),
        "activities": [
            chosen.activity.title for chosen in theme.activity_links if chosen.activity.is_published
        ],
    }


def announce(session: Session, theme: ThemeMonth, now: datetime) -> int:
    """Tell the theme month's audience about it, once ever; returns how many were told.

    `announced_at` makes publishing again (after a return to draft) tell nobody; the
    per-person dedupe key keeps a concurrent second run from telling anyone twice.
    A month that is already over is not announced (adding past months to the archive
    should not mail everyone), but counts as announced.
    """
    if theme.announced_at is not None or not theme.is_published:
        return 0
    theme.announced_at = now
    if has_ended(theme, local_date(now)):
        session.flush()
        record_theme_event(session, None, theme, "announce", people=0, month_over=True)
        return 0
    # Evaluated per recipient, inside notify's force_locale: "oktober 2026" / "October 2026".
    month = LazyString(month_label, theme.year, theme.month)
    context = _mail_context(theme)
    excerpt = str(context["excerpt"])
    link = public_path(theme)
    told = 0
    for user in _audience(session, theme):
        sent = notify(
            session,
            user,
            kind=KIND,
            title=_l("Theme month %(month)s: %(title)s", month=month, title=theme.title),
            body=excerpt or _l("A new theme month, with activities chosen for it."),
            link=link,
            dedupe_key=f"theme-month:{theme.id}:{user.id}",
            mail_template=MAIL_TEMPLATE,
            context=context,
        )
        told += sent is not None
    session.flush()
    record_theme_event(session, None, theme, "announce", people=told)
    return told


def announce_pending(session: Session, now: datetime) -> int:
    """Announce every published theme month not yet announced; returns how many were told.

    Catches the ones published by the job and any published some other way (an import).
    """
    pending = session.scalars(
        select(ThemeMonth)
        .where(ThemeMonth.status == ThemeStatus.PUBLISHED, ThemeMonth.announced_at.is_(None))
        .options(
            selectinload(ThemeMonth.departments),
            selectinload(ThemeMonth.activity_links).selectinload(ThemeMonthActivity.activity),
        )
        .order_by(ThemeMonth.id)
    )
    return sum(announce(session, theme, now) for theme in list(pending))
