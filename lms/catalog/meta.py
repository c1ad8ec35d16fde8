"""Plain activity metadata (a revision snapshot, a package's front matter) to ActivityData."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, JobRole, User
from lms.catalog.models import Activity, Delivery, Format, Level, Status
from lms.catalog.services import ActivityData
from lms.framework.models import Competence, Subject

LANGUAGES = ("sv", "en")
ENUMS: dict[str, tuple[str, ...]] = {
    "format": tuple(f.value for f in Format),
    "level": tuple(v.value for v in Level),
    "delivery": tuple(d.value for d in Delivery),
    "status": tuple(s.value for s in Status),
    "language": LANGUAGES,
}
TITLE_LENGTH: int = Activity.__table__.c.title.type.length  # type: ignore[attr-defined]
URL_LENGTH: int = Activity.__table__.c.url.type.length  # type: ignore[attr-defined]
EMAIL_CHUNK = 500  # keeps IN lists far below every backend's bind-parameter limit

MetaProblem = tuple[str, str]  # (key, reason)

__all__ = ["ENUMS", "MetaResolver", "ResolvedMeta", "check_meta", "data_from_meta"]


@dataclass
class ResolvedMeta:
    """An ActivityData, the problems as (key, reason), and owner e-mails with no user."""

    data: ActivityData
    problems: list[MetaProblem] = field(default_factory=list)
    unknown_owners: list[str] = field(default_factory=list)


def data_from_meta(
    session: Session, meta: Mapping[str, Any], body: str
) -> tuple[ActivityData, list[MetaProblem]]:
    """Resolve plain metadata (the shape of `activity_meta`) to an ActivityData.

    Unknown competences, subjects, departments and job roles, bad enum values, a
    non-positive duration and weights outside (0, 1] are problems; owner e-mails
    without a user are skipped (ownership can be assigned later).
    """
    resolved = MetaResolver(session).resolve(meta, body)
    return resolved.data, resolved.problems


# --- checks without the database ----------------------------------------------------------------


def check_meta(meta: Mapping[str, Any]) -> list[MetaProblem]:
    """The problems of the values themselves: title, enums, minutes, weights, flags, url."""
    problems = [
        (key, f"unknown {key} {meta[key]!r} (use {', '.join(allowed)})")
        for key, allowed in ENUMS.items()
        if meta.get(key) is not None and meta[key] not in allowed
    ]
    problems += _title_problems(meta.get("title"))
    minutes = meta.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        problems.append(("minutes", f"minutes must be a whole number > 0, not {minutes!r}"))
    problems += _weight_problems(meta.get("competences"))
    if not isinstance(meta.get("repeatable", False), bool):
        problems.append(("repeatable", "repeatable must be true or false"))
    url = meta.get("url")
    if url is not None and (not isinstance(url, str) or len(url) > URL_LENGTH):
        problems.append(("url", f"url must be text of at most {URL_LENGTH} characters"))
    return problems


def _title_problems(title: Any) -> list[MetaProblem]:
    if not isinstance(title, str) or not title.strip():
        return [("title", "a title is required")]
    if len(title.strip()) > TITLE_LENGTH:
        return [("title", f"the title is longer than {TITLE_LENGTH} characters")]
    return []


def _weight_problems(weights: Any) -> list[MetaProblem]:
    if not isinstance(weights, Mapping) or not weights:
        return [("competences", "at least one competence is required, as {code: weight}")]
    problems = []
    for code, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            problems.append(("competences", f"the weight of {code} is not a number"))
        elif not 0 < weight <= 1:
            problems.append(("competences", f"the weight of {code} must be > 0 and ≤ 1"))
    return problems


# --- resolving references ---------------------------------------------------------------------


class MetaResolver:
    """Resolves many metadata dicts against lookups loaded once (imports, restores)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.competences = {c.code: c for c in session.scalars(select(Competence))}
        self.subjects = {s.slug: s for s in session.scalars(select(Subject))}
        self.job_roles = {r.name: r for r in session.scalars(select(JobRole))}
        self.departments: dict[str, list[Department]] = {}
        for dept in session.scalars(select(Department).order_by(Department.id)):
            self.departments.setdefault(dept.name, []).append(dept)
        self.users: dict[str, User | None] = {}

    def prefetch_owners(self, emails: Iterable[str]) -> None:
        """Load the users of many e-mail addresses in a few queries."""
        wanted = sorted({_email(e) for e in emails} - set(self.users))
        for start in range(0, len(wanted), EMAIL_CHUNK):
            chunk = wanted[start : start + EMAIL_CHUNK]
            stmt = select(User).where(User.email.in_(chunk))
            found = {user.email: user for user in self.session.scalars(stmt)}
            for email in chunk:
                self.users[email] = found.get(email)

    def resolve(self, meta: Mapping[str, Any], body: str) -> ResolvedMeta:
        """The ActivityData of `meta`; with problems, the data holds stand-ins (do not save)."""
        problems = check_meta(meta)
        bad = {key for key, _reason in problems}
        data = ActivityData(
            title=str(meta.get("title") or "").strip(),
            summary=str(meta.get("summary") or ""),
            body=body,
            format=_enum(meta, "format", Format.NANOLESSON, bad),
            level=_enum(meta, "level", Level.GRUND, bad),
            delivery=_enum(meta, "delivery", Delivery.DIGITAL, bad),
            minutes=1 if "minutes" in bad else int(meta["minutes"]),
            status=_enum(meta, "status", Status.DRAFT, bad),
            language=_enum(meta, "language", "sv", bad),
            is_repeatable=meta.get("repeatable") is True,
            url=str(meta["url"]) if meta.get("url") and "url" not in bad else None,
            competences=self._competences(meta.get("competences"), problems),
            subjects=self._lookup("subjects", "subject", meta, self.subjects, problems),
            job_roles=self._lookup("job_roles", "job role", meta, self.job_roles, problems),
            departments=self._departments(meta.get("departments") or [], problems),
        )
        data.owners, unknown = self._owners(meta.get("owners") or [])
        return ResolvedMeta(data=data, problems=problems, unknown_owners=unknown)

    def _competences(
        self, weights: Any, problems: list[MetaProblem]
    ) -> list[tuple[Competence, float]]:
        result = []
        for code, weight in (weights or {}).items() if isinstance(weights, Mapping) else []:
            competence = self.competences.get(str(code))
            if competence is None:
                problems.append(("competences", f"unknown competence code {str(code)!r}"))
            elif isinstance(weight, int | float) and not isinstance(weight, bool):
                result.append((competence, float(weight)))
        return result

    @staticmethod
    def _lookup(
        key: str,
        what: str,
        meta: Mapping[str, Any],
        known: Mapping[str, Any],
        problems: list[MetaProblem],
    ) -> list[Any]:
        found: list[Any] = []
        for name in meta.get(key) or []:
            item = known.get(str(name))
            if item is None:
                problems.append((key, f"unknown {what} {name!r}"))
            elif item not in found:
                found.append(item)
        return found

    def _departments(self, names: Iterable[Any], problems: list[MetaProblem]) -> list[Department]:
        found: list[Department] = []
        for name in names:
            matches = self.departments.get(str(name), [])
            if not matches:
                problems.append(("departments", f"unknown department {name!r}"))
            found += [dept for dept in matches if dept not in found]
        return found

    def _owners(self, emails: Iterable[Any]) -> tuple[list[User], list[str]]:
        wanted = [_email(str(e)) for e in emails]
        self.prefetch_owners(wanted)
        owners: list[User] = []
        unknown: list[str] = []
        for email in wanted:
            user = self.users.get(email)
            if user is None:
                unknown.append(email)
            elif user not in owners:
                owners.append(user)
        return owners, unknown


def _email(value: str) -> str:
    return value.strip().lower()


def _enum(meta: Mapping[str, Any], key: str, default: str, bad: set[str]) -> str:
    value = meta.get(key)
    return str(default) if value is None or key in bad else str(value)
