"""Theme month rules: write, curate, publish now or on a date, and tell the audience once.

A theme month goes draft → scheduled (the job publishes it on `publish_on`) → published,
and may go back to draft. `published_at` marks that it has ever been public: from then on
its key (year, month, slug) is its URL and may not change, and it cannot be deleted.
`announced_at` marks that its audience has been told: they are told once, ever.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog.models import Activity, ThemeMonth, ThemeMonthActivity, ThemeStatus
from lms.catalog.services import SLUG_MAX, SLUG_RE, render_body, slugify
from lms.catalog.signals import activities_changed
from lms.catalog.theme_announcements import announce as announce
from lms.catalog.theme_announcements import announce_pending as announce_pending
from lms.catalog.theme_announcements import month_label as month_label
from lms.catalog.theme_announcements import record_theme_event as _record
from lms.catalog.uploads import store_upload, upload_resolver
from lms.core.access import Permission
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.i18n import _l
from lms.core.time import local_date

TITLE_MAX = 200
ALT_MAX = 300
INTRO_MAX = 20_000
MAX_ACTIVITIES = 40
FIRST_YEAR, LAST_YEAR = 2000, 2100
DIRECTIONS = ("up", "down")
_TAKEN = _l("Another theme month in that month already has this address.")


@dataclass
class ThemeMonthData:
    """What a coordinator writes on a theme month (the banner and activities are separate)."""

    year: int
    month: int
    title: str
    slug: str = ""  # empty: made from the title (when creating) or kept (when editing)
    intro: str = ""
    departments: list[Department] = field(default_factory=list)


# --- who may manage, and the month's last day ---------------------------------------------


def can_manage(user: User) -> bool:
    """Coordinators and administrators write and publish theme months."""
    return user.has(Permission.COORDINATOR) or user.has(Permission.ADMIN)


def require_manage(user: User) -> None:
    if not can_manage(user):
        raise PermissionDenied(_l("Only coordinators and administrators may manage theme months."))


def is_key_locked(theme: ThemeMonth) -> bool:
    """Whether the month and slug are fixed: once public, the key is a URL people may hold."""
    return theme.published_at is not None or theme.is_published


def last_day(theme: ThemeMonth) -> date:
    return date(theme.year, theme.month, monthrange(theme.year, theme.month)[1])


# --- writing ---------------------------------------------------------------------------------


def _check_fields(data: ThemeMonthData) -> None:
    title = data.title.strip()
    if not title:
        raise ValidationError(_l("A title is required."), field="title")
    if len(title) > TITLE_MAX:
        raise ValidationError(
            _l("The title may be at most %(n)d characters.", n=TITLE_MAX), field="title"
        )
    if not 1 <= data.month <= 12:
        raise ValidationError(_l("Choose a month from January to December."), field="month")
    if not FIRST_YEAR <= data.year <= LAST_YEAR:
        raise ValidationError(
            _l("Give a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR),
            field="year",
        )
    if len(data.intro) > INTRO_MAX:
        raise ValidationError(
            _l("The introduction may be at most %(n)d characters.", n=INTRO_MAX), field="intro"
        )


def _check_slug(session: Session, data: ThemeMonthData, slug: str, theme_id: int | None) -> None:
    if len(slug) > SLUG_MAX or not SLUG_RE.match(slug):
        raise ValidationError(
            _l("Use lowercase letters a–z, digits and hyphens (like informationssakerhet)."),
            field="slug",
        )
    stmt = select(func.count()).where(
        ThemeMonth.year == data.year, ThemeMonth.month == data.month, ThemeMonth.slug == slug
    )
    if theme_id is not None:
        stmt = stmt.where(ThemeMonth.id != theme_id)
    if session.scalar(stmt):
        raise ValidationError(_TAKEN, field="slug")


def suggest_slug(session: Session, title: str, year: int, month: int) -> str:
    """An address made from the title, unused in that month (with -2, -3 … when taken)."""
    base = slugify(title) or "tema"
    taken = set(
        session.scalars(
            select(ThemeMonth.slug).where(
                ThemeMonth.year == year, ThemeMonth.month == month, ThemeMonth.slug.like(f"{base}%")
            )
        )
    )
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _render_intro(session: Session, intro: str) -> str:
    """The intro's sanitized HTML; its Markdown problems are a ValidationError on the intro."""
    html, quiz, problems = render_body(intro, image_url=upload_resolver(session))
    if quiz:
        problems.append(str(_l("The introduction cannot have a knowledge check.")))
    if problems:
        raise ValidationError("; ".join(problems), field="intro")
    return html


def _flush_key(session: Session) -> None:
    # The check above answers normal cases; this catches two coordinators saving at once.
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise ValidationError(_TAKEN, field="slug") from error


def _apply(theme: ThemeMonth, data: ThemeMonthData, intro_html: str) -> None:
    theme.title = data.title.strip()
    theme.intro = data.intro
    theme.intro_html = intro_html
    theme.departments = list(data.departments)


def create_theme_month(session: Session, actor: User, data: ThemeMonthData) -> ThemeMonth:
    """Create a draft theme month; an empty slug is made from the title."""
    require_manage(actor)
    _check_fields(data)
    slug = data.slug.strip() or suggest_slug(session, data.title, data.year, data.month)
    _check_slug(session, data, slug, None)
    intro_html = _render_intro(session, data.intro)
    theme = ThemeMonth(
        year=data.year,
        month=data.month,
        slug=slug,
        status=ThemeStatus.DRAFT,
        created_by_id=actor.id,
    )
    _apply(theme, data, intro_html)
    session.add(theme)
    _flush_key(session)
    _record(session, actor, theme, "create")
    return theme


def _check_key_change(theme: ThemeMonth, data: ThemeMonthData, slug: str) -> bool:
    """Whether the key changes; refused once the theme month has been public (its URL)."""
    changed = [
        name
        for name, new, old in (
            ("year", data.year, theme.year),
            ("month", data.month, theme.month),
            ("slug", slug, theme.slug),
        )
        if new != old
    ]
    if changed and is_key_locked(theme):
        raise ValidationError(
            _l("A published theme month keeps its month and address, so links to it keep working."),
            field=changed[0],
        )
    return bool(changed)


def update_theme_month(
    session: Session, actor: User, theme: ThemeMonth, data: ThemeMonthData
) -> ThemeMonth:
    """Save a theme month's text, key (while never published) and audience."""
    require_manage(actor)
    _check_fields(data)
    slug = data.slug.strip() or theme.slug
    if _check_key_change(theme, data, slug):
        _check_slug(session, data, slug, theme.id)
    intro_html = _render_intro(session, data.intro)
    if theme.status == ThemeStatus.SCHEDULED and theme.publish_on is not None:
        end = date(data.year, data.month, monthrange(data.year, data.month)[1])
        if theme.publish_on > end:
            raise ValidationError(
                _l("It is scheduled to publish after that month. Unschedule it first."),
                field="month",
            )
    theme.year, theme.month, theme.slug = data.year, data.month, slug
    _apply(theme, data, intro_html)
    _flush_key(session)
    _record(session, actor, theme, "update")
    return theme


def set_banner(
    session: Session,
    actor: User,
    theme: ThemeMonth,
    *,
    folder: Path,
    alt: str,
    data: bytes | None = None,
    filename: str = "",
) -> ThemeMonth:
    """Upload a new banner (`data`) and/or change its alt text, which a banner must have."""
    require_manage(actor)
    alt = alt.strip()
    if data is None and theme.banner_id is None:
        raise ValidationError(_l("Choose an image file to upload."), field="image")
    if not alt:
        raise ValidationError(
            _l("Describe what the banner shows, for people who cannot see it."), field="banner_alt"
        )
    if len(alt) > ALT_MAX:
        raise ValidationError(
            _l("The description may be at most %(n)d characters.", n=ALT_MAX), field="banner_alt"
        )
    if data is not None:
        upload = store_upload(
            session, folder=folder, data=data, filename=filename, actor_id=actor.id
        )
        theme.banner_id = upload.id
        theme.banner = upload
    theme.banner_alt = alt
    session.flush()
    _record(session, actor, theme, "banner", banner=theme.banner.name if theme.banner else None)
    return theme


def remove_banner(session: Session, actor: User, theme: ThemeMonth) -> None:
    """Take the banner off (the uploaded image stays, other pages may use it)."""
    require_manage(actor)
    theme.banner_id = None
    theme.banner = None
    theme.banner_alt = ""
    session.flush()
    _record(session, actor, theme, "banner", banner=None)


# --- curated activities ----------------------------------------------------------------------


def _renumber(links: list[ThemeMonthActivity]) -> None:
    for position, link in enumerate(links):
        link.position = position


def _link(theme: ThemeMonth, activity_id: int) -> ThemeMonthActivity:
    for link in theme.activity_links:
        if link.activity_id == activity_id:
            return link
    raise ValidationError(_l("That activity is not part of the theme month."), field="activity")


def add_activity(
    session: Session, actor: User, theme: ThemeMonth, activity_id: int
) -> ThemeMonthActivity:
    """Add a published activity at the end of the theme month's list."""
    require_manage(actor)
    activity = session.get(Activity, activity_id)
    if activity is None or not activity.is_published:
        raise ValidationError(
            _l("Only published activities can be part of a theme month."), field="activity"
        )
    links = theme.activity_links
    if any(link.activity_id == activity.id for link in links):
        raise ValidationError(
            _l("%(title)s is already part of the theme month.", title=activity.title),
            field="activity",
        )
    if len(links) >= MAX_ACTIVITIES:
        raise ValidationError(
            _l("A theme month can have at most %(n)d activities.", n=MAX_ACTIVITIES),
            field="activity",
        )
    link = ThemeMonthActivity(activity=activity, position=len(links))
    links.append(link)
    _renumber(links)
    session.flush()
    _record(session, actor, theme, "add_activity", activity=activity.slug)
    if theme.is_published:
        activities_changed.send(None, session=session, activity_ids=[activity.id])
    return link


def remove_activity(session: Session, actor: User, theme: ThemeMonth, activity_id: int) -> None:
    """Take an activity out of the theme month (the activity itself stays)."""
    require_manage(actor)
    link = _link(theme, activity_id)
    theme.activity_links.remove(link)
    _renumber(theme.activity_links)
    session.flush()
    _record(session, actor, theme, "remove_activity", activity_id=activity_id)
    if theme.is_published:
        activities_changed.send(None, session=session, activity_ids=[activity_id])


def move_activity(
    session: Session, actor: User, theme: ThemeMonth, activity_id: int, direction: str
) -> None:
    """Move an activity one step "up" or "down" in the list; at either end nothing moves."""
    require_manage(actor)
    if direction not in DIRECTIONS:
        raise ValidationError(_l("Move an activity up or down."), field="direction")
    links = list(theme.activity_links)
    index = links.index(_link(theme, activity_id))
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(links):
        links[index], links[target] = links[target], links[index]
    _renumber(links)
    theme.activity_links = links
    session.flush()
    _record(session, actor, theme, "move_activity", activity_id=activity_id, direction=direction)


# --- publishing ------------------------------------------------------------------------------


def _activity_ids(theme: ThemeMonth) -> list[int]:
    return [link.activity_id for link in theme.activity_links]


def _check_publishable(theme: ThemeMonth) -> None:
    if theme.is_published:
        raise Conflict(_l("The theme month is already published."))
    if not any(link.activity.is_published for link in theme.activity_links):
        raise ValidationError(
            _l("Add at least one published activity before publishing."), field="activity"
        )


def _publish(theme: ThemeMonth, now: datetime) -> None:
    theme.status = ThemeStatus.PUBLISHED
    theme.publish_on = None
    theme.published_at = theme.published_at or now


def publish_now(session: Session, actor: User, theme: ThemeMonth, now: datetime) -> int:
    """Publish at once and tell the audience (if never told); returns how many were told."""
    require_manage(actor)
    _check_publishable(theme)
    before = theme.status
    _publish(theme, now)
    session.flush()
    _record(session, actor, theme, "publish", before=before)
    activities_changed.send(None, session=session, activity_ids=_activity_ids(theme))
    return announce(session, theme, now)


def schedule(
    session: Session, actor: User, theme: ThemeMonth, publish_on: date, today: date
) -> ThemeMonth:
    """Let the job publish the theme month on `publish_on` (a Stockholm date after today)."""
    require_manage(actor)
    _check_publishable(theme)
    if publish_on <= today:
        raise ValidationError(
            _l("Choose a date after today. To publish today, use “Publish now”."),
            field="publish_on",
        )
    if publish_on > last_day(theme):
        raise ValidationError(
            _l(
                "Choose a date no later than the theme month's last day, %(day)s.",
                day=last_day(theme).isoformat(),
            ),
            field="publish_on",
        )
    before = theme.status
    theme.status = ThemeStatus.SCHEDULED
    theme.publish_on = publish_on
    session.flush()
    _record(session, actor, theme, "schedule", before=before, publish_on=publish_on.isoformat())
    return theme


def unschedule(session: Session, actor: User, theme: ThemeMonth) -> ThemeMonth:
    """Take a scheduled theme month back to draft (it will not publish itself)."""
    require_manage(actor)
    if theme.status != ThemeStatus.SCHEDULED:
        raise Conflict(_l("The theme month is not scheduled."))
    theme.status = ThemeStatus.DRAFT
    theme.publish_on = None
    session.flush()
    _record(session, actor, theme, "unschedule")
    return theme


def unpublish(session: Session, actor: User, theme: ThemeMonth) -> ThemeMonth:
    """Take a published theme month back to draft; publishing again tells nobody again."""
    require_manage(actor)
    if not theme.is_published:
        raise Conflict(_l("The theme month is not published."))
    theme.status = ThemeStatus.DRAFT
    session.flush()
    _record(session, actor, theme, "unpublish")
    activities_changed.send(None, session=session, activity_ids=_activity_ids(theme))
    return theme


def delete_theme_month(session: Session, actor: User, theme: ThemeMonth) -> None:
    """Delete a theme month that has never been public (a published URL must keep working)."""
    require_manage(actor)
    if theme.published_at is not None or theme.is_published:
        raise Conflict(
            _l(
                "A theme month that has been published cannot be deleted. "
                "Return it to draft instead."
            )
        )
    _record(session, actor, theme, "delete", title=theme.title)
    session.delete(theme)
    session.flush()


# --- publishing by date (the job) -------------------------------------------------------------


def publish_due(session: Session, now: datetime) -> list[ThemeMonth]:
    """Publish the scheduled theme months whose date (Stockholm) has come; announce separately.

    `announce_pending` then tells their audiences, so a run that stops between the two
    still tells them on the next run.
    """
    due = list(
        session.scalars(
            select(ThemeMonth)
            .where(
                ThemeMonth.status == ThemeStatus.SCHEDULED,
                ThemeMonth.publish_on <= local_date(now),
            )
            .order_by(ThemeMonth.publish_on, ThemeMonth.id)
        )
    )
    for theme in due:
        publish_on = theme.publish_on
        _publish(theme, now)
        _record(
            session, None, theme, "publish", before=ThemeStatus.SCHEDULED, scheduled=str(publish_on)
        )
    session.flush()
    if due:
        ids = {activity_id for theme in due for activity_id in _activity_ids(theme)}
        activities_changed.send(None, session=session, activity_ids=ids)
    return due
