"""Catalogue rules: saving an activity (with its revision), status changes, edit rights."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, JobRole, User
from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    ActivityRevision,
    Format,
    Status,
)
from lms.catalog.search import index_activity
from lms.catalog.signals import activities_changed
from lms.catalog.uploads import upload_resolver
from lms.core.access import Permission
from lms.core.audit import record_event
from lms.core.errors import NotFound, PermissionDenied, ValidationError
from lms.core.i18n import _l
from lms.core.markdown import RenderedMarkdown, render_markdown
from lms.core.time import utcnow
from lms.framework.models import Competence, Subject


@dataclass
class ActivityData:
    """Everything an author sets on an activity, with references already resolved."""

    title: str
    summary: str
    body: str
    format: str
    level: str
    delivery: str
    minutes: int
    status: str = Status.DRAFT
    language: str = "sv"
    is_repeatable: bool = False
    url: str | None = None
    competences: list[tuple[Competence, float]] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    job_roles: list[JobRole] = field(default_factory=list)
    owners: list[User] = field(default_factory=list)


def render_body(
    body: str, image_url: Callable[[str], str | None] | None = None
) -> tuple[str, list[Any], list[str]]:
    """The sanitized HTML, the knowledge-check questions (as JSON) and any problems.

    `image_url` turns an image name into the URL of its upload (None: unknown image).
    """
    rendered = render_markdown(body, image_url=image_url)
    return rendered.html, question_dicts(rendered), list(rendered.problems)


def question_dicts(rendered: RenderedMarkdown) -> list[dict[str, Any]]:
    """Every knowledge-check question of a rendered text, as JSON-ready dicts."""
    return [asdict(question) for quiz in rendered.quizzes for question in quiz.questions]


def can_edit(user: User, activity: Activity | None) -> bool:
    """Coordinators edit any activity; course owners their own (and may create new ones)."""
    if user.has(Permission.COORDINATOR):
        return True
    if not user.has(Permission.COURSE_OWNER):
        return False
    return activity is None or any(owner.id == user.id for owner in activity.owners)


def require_edit(user: User, activity: Activity | None) -> None:
    """Refuse an activity `user` may not edit: a draft or archived one is as missing as an
    unknown slug (as on the catalogue page), so other owners cannot probe for drafts."""
    if not can_edit(user, activity):
        if activity is not None and not activity.is_published:
            raise NotFound(_l("There is no such activity."))
        raise PermissionDenied(_l("Only the activity's owners and coordinators may edit it."))


def _validate(data: ActivityData) -> None:
    if not data.title.strip():
        raise ValidationError(_l("A title is required."), field="title")
    if data.minutes <= 0:
        raise ValidationError(_l("The duration must be at least one minute."), field="minutes")
    if not data.competences:
        raise ValidationError(_l("Choose at least one competence."), field="competences")
    for _competence, weight in data.competences:
        if not 0 < weight <= 1:
            raise ValidationError(_l("A weight is between 0 and 1."), field="competences")
    if data.format not in set(Format):
        raise ValidationError(_l("Unknown format."), field="format")


def _apply(activity: Activity, data: ActivityData) -> None:
    for name in (
        "title",
        "summary",
        "body",
        "format",
        "level",
        "delivery",
        "minutes",
        "language",
        "is_repeatable",
        "url",
    ):
        setattr(activity, name, getattr(data, name))
    activity.title = data.title.strip()
    by_id = {link.competence_id: link for link in activity.competence_links}
    links = []
    for position, (competence, weight) in enumerate(data.competences):
        link = by_id.get(competence.id) or ActivityCompetence(competence=competence)
        link.weight, link.position = weight, position
        links.append(link)
    activity.competence_links = links
    activity.subjects = list(data.subjects)
    activity.departments = list(data.departments)
    activity.job_roles = list(data.job_roles)
    activity.owners = list(data.owners)


def activity_meta(activity: Activity) -> dict[str, Any]:
    """The metadata of an activity as plain values (revision snapshots, diffs)."""
    return {
        "title": activity.title,
        "summary": activity.summary,
        "format": activity.format,
        "level": activity.level,
        "delivery": activity.delivery,
        "minutes": activity.minutes,
        "status": activity.status,
        "language": activity.language,
        "repeatable": activity.is_repeatable,
        "url": activity.url,
        "competences": {link.competence.code: link.weight for link in activity.competence_links},
        "subjects": [s.slug for s in activity.subjects],
        "departments": [d.name for d in activity.departments],
        "job_roles": [r.name for r in activity.job_roles],
        "owners": [u.email for u in activity.owners],
    }


def _record_revision(
    session: Session, activity: Activity, actor_id: int | None, note: str
) -> ActivityRevision | None:
    meta = activity_meta(activity)
    last = session.scalars(
        select(ActivityRevision)
        .where(ActivityRevision.activity_id == activity.id)
        .order_by(ActivityRevision.number.desc())
        .limit(1)
    ).first()
    if last is not None and last.body == activity.body and last.meta == meta:
        return None
    revision = ActivityRevision(
        activity_id=activity.id,
        number=(last.number + 1) if last else 1,
        author_id=actor_id,
        title=activity.title,
        summary=activity.summary,
        body=activity.body,
        body_html=activity.body_html,
        meta=meta,
        note=note[:200],
    )
    session.add(revision)
    return revision


def save_activity(
    session: Session,
    *,
    actor_id: int | None,
    slug: str,
    data: ActivityData,
    activity: Activity | None = None,
    note: str = "",
) -> Activity:
    """Create or update an activity, render its Markdown and keep a revision of the change.

    Problems in the Markdown (an image without alt text, a broken knowledge check) are a
    ValidationError on the body, so nothing half-valid is ever published.
    """
    _validate(data)
    html, quiz, problems = render_body(data.body, upload_resolver(session))
    if problems:
        raise ValidationError("; ".join(problems), field="body")
    if activity is None:
        if session.scalar(select(func.count()).where(Activity.slug == slug)):
            raise ValidationError(_l("That address is already used."), field="slug")
        activity = Activity(slug=slug, status=Status.DRAFT)
        session.add(activity)
    _apply(activity, data)
    activity.body_html, activity.quiz = html, quiz
    if data.status != activity.status:
        _set_status(activity, data.status)
    session.flush()
    index_activity(session, activity)
    if _record_revision(session, activity, actor_id, note) is not None:
        record_event(
            session,
            actor_id=actor_id,
            action="activity.save",
            object_type="activity",
            object_id=activity.id,
            slug=activity.slug,
        )
    return activity


def _set_status(activity: Activity, status: str) -> None:
    if status not in set(Status):
        raise ValidationError(_l("Unknown status."), field="status")
    activity.status = status
    if status == Status.PUBLISHED and activity.published_at is None:
        activity.published_at = utcnow()


def change_status(session: Session, actor: User, activity: Activity, status: str) -> None:
    """Publish, archive or return an activity to draft (archived keeps its history)."""
    require_edit(actor, activity)
    if activity.status == status:
        return
    before = activity.status
    _set_status(activity, status)
    session.flush()
    index_activity(session, activity)
    _record_revision(session, activity, actor.id, f"{before} → {status}")
    record_event(
        session,
        actor_id=actor.id,
        action="activity.status",
        object_type="activity",
        object_id=activity.id,
        before=before,
        after=status,
    )
    activities_changed.send(None, session=session, activity_ids=[activity.id])


def get_revision(session: Session, activity: Activity, number: int) -> ActivityRevision:
    revision = session.scalar(
        select(ActivityRevision).where(
            ActivityRevision.activity_id == activity.id, ActivityRevision.number == number
        )
    )
    if revision is None:
        raise NotFound(_l("No such revision."))
    return revision


# --- authoring (the editor) ------------------------------------------------------------------

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 120
# Words the editor's own URLs use under /redigera/, so no activity may be called that.
RESERVED_SLUGS = frozenset({"ny", "bilder", "forhandsgranska", "uploads"})
_SWEDISH = str.maketrans({"å": "a", "ä": "a", "ö": "o", "æ": "ae", "ø": "o", "ß": "ss"})


def slugify(text: str, max_length: int = 80) -> str:
    """Lowercase ASCII words joined by hyphens ("Känn igen nätfiske" → "kann-igen-natfiske")."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_SWEDISH))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:max_length].rstrip("-")


def suggest_slug(session: Session, title: str) -> str:
    """An unused activity slug made from the title (with -2, -3 … when taken)."""
    base = slugify(title) or "aktivitet"
    if base in RESERVED_SLUGS:
        base = f"{base}-aktivitet"
    taken = set(session.scalars(select(Activity.slug).where(Activity.slug.like(f"{base}%"))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _check_new_slug(session: Session, slug: str) -> None:
    if len(slug) > SLUG_MAX or not SLUG_RE.match(slug):
        raise ValidationError(
            _l("Use lowercase letters a–z, digits and hyphens (like kann-igen-natfiske)."),
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError(_l("That address is reserved; choose another."), field="slug")
    if session.scalar(select(func.count()).where(Activity.slug == slug)):
        raise ValidationError(_l("That address is already used."), field="slug")


def is_https_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in url)


def _keep_author_as_owner(actor: User, data: ActivityData, creating: bool) -> None:
    # A course owner who creates an activity owns it, and one who is not a coordinator
    # cannot remove themselves (the next page would be a 403 on their own work).
    if not actor.has(Permission.COURSE_OWNER):
        return
    if (creating or not actor.has(Permission.COORDINATOR)) and actor not in data.owners:
        data.owners.append(actor)


def edit_activity(
    session: Session,
    actor: User,
    data: ActivityData,
    *,
    activity: Activity | None = None,
    slug: str = "",
    note: str = "",
) -> Activity:
    """Create (slug suggested from the title when empty) or update an activity from the editor.

    The status is kept as it is (a new activity is a draft): publishing is `change_status`.
    """
    require_edit(actor, activity)
    if data.url and not is_https_url(data.url):
        raise ValidationError(_l("The link must start with https://."), field="url")
    if activity is None:
        slug = slug.strip() or suggest_slug(session, data.title)
        _check_new_slug(session, slug)
    data.status = activity.status if activity is not None else Status.DRAFT
    _keep_author_as_owner(actor, data, creating=activity is None)
    saved = save_activity(
        session,
        actor_id=actor.id,
        slug=activity.slug if activity is not None else slug,
        data=data,
        activity=activity,
        note=note,
    )
    if saved.is_published:  # a draft is recommended to nobody
        activities_changed.send(None, session=session, activity_ids=[saved.id])
    return saved


def restore_revision(session: Session, actor: User, activity: Activity, number: int) -> Activity:
    """Save revision `number`'s text and metadata as a new revision (the status stays)."""
    from lms.catalog.meta import data_from_meta  # meta builds on this module's ActivityData

    require_edit(actor, activity)
    revision = get_revision(session, activity, number)
    data, problems = data_from_meta(session, revision.meta, revision.body)
    if problems:
        details = "; ".join(f"{key}: {reason}" for key, reason in problems)
        raise ValidationError(
            _l("Version %(n)d cannot be restored: %(details)s", n=number, details=details)
        )
    data.status = activity.status
    _keep_author_as_owner(actor, data, creating=False)
    restored = save_activity(
        session,
        actor_id=actor.id,
        slug=activity.slug,
        data=data,
        activity=activity,
        note=f"Återställd från version {number}",
    )
    if restored.is_published:  # a draft is recommended to nobody
        activities_changed.send(None, session=session, activity_ids=[restored.id])
    return restored
