"""The plain records a content package is read into (no database objects)."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from lms.core.time import STOCKHOLM, UTC

LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass
class CompetenceRecord:
    code: str
    name: str
    digcomp: str | None = None
    description: str = ""
    levels: dict[str, str] = field(default_factory=dict)  # "1".."5" → text


@dataclass
class AreaRecord:
    code: str
    name: str
    competences: list[CompetenceRecord] = field(default_factory=list)


@dataclass
class JobRoleRecord:
    name: str
    expected: dict[str, int] = field(default_factory=dict)  # competence code → level 1–5


@dataclass
class SubjectRecord:
    slug: str
    name: str


@dataclass
class FrameworkRecord:
    areas: list[AreaRecord] = field(default_factory=list)
    job_roles: list[JobRoleRecord] = field(default_factory=list)
    subjects: list[SubjectRecord] = field(default_factory=list)

    @property
    def competences(self) -> list[CompetenceRecord]:
        return [competence for area in self.areas for competence in area.competences]


@dataclass
class TaskRecord:
    """A pre-task or follow-up; `position` is its order within its phase."""

    phase: str
    position: int
    title: str
    instructions: str
    kind: str = "reflection"
    is_required: bool = False
    due_days: int | None = None
    is_shared_with_owner: bool = False
    prompt: str | None = None
    items: list[Any] = field(default_factory=list)


@dataclass
class SessionRecord:
    """A session in Stockholm local time (naive), as the package writes it."""

    starts_local: datetime
    ends_local: datetime
    place: str = ""
    online_url: str | None = None
    capacity: int = 1

    @property
    def starts_at(self) -> datetime:
        return to_utc(self.starts_local)

    @property
    def ends_at(self) -> datetime:
        return to_utc(self.ends_local)

    def shifted(self, weeks: int) -> SessionRecord:
        """The same weekday and local time `weeks` weeks later."""
        delta = timedelta(weeks=weeks)
        return SessionRecord(
            self.starts_local + delta, self.ends_local + delta,
            self.place, self.online_url, self.capacity,
        )  # fmt: skip


@dataclass
class LessonRecord:
    slug: str
    position: int
    title: str
    minutes: int
    is_required: bool = True
    summary: str = ""
    body: str = ""


@dataclass
class ActivityRecord:
    """One activity file (or course folder): `meta` has the shape of `activity_meta`."""

    slug: str
    path: str  # relative to the package, e.g. "activities/x.md"
    meta: dict[str, Any]
    body: str
    tasks: list[TaskRecord] = field(default_factory=list)
    sessions: list[SessionRecord] = field(default_factory=list)
    lessons: list[LessonRecord] | None = None  # None: not a course


@dataclass
class ThemeRecord:
    """One theme month file, `themes/<yyyy-mm>-<slug>.md`; the banner is read (and checked)."""

    year: int
    month: int
    slug: str
    path: str  # relative to the package, e.g. "themes/2026-10-informationssakerhet.md"
    title: str = ""
    status: str = "draft"
    publish_on: date | None = None
    departments: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)  # slugs, in the curated order
    banner: str | None = None  # as written, relative to themes/
    banner_data: bytes | None = None
    banner_alt: str = ""
    intro: str = ""

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.slug}"

    @property
    def month_number(self) -> int:
        """Months since year 0: what the demo shift compares and moves."""
        return self.year * 12 + self.month - 1

    def shifted(self, months: int) -> ThemeRecord:
        """The same theme `months` months later (earlier when negative), publish_on too."""
        if not months:
            return self
        year, month = divmod(self.month_number + months, 12)
        return replace(
            self, year=year, month=month + 1, publish_on=add_months(self.publish_on, months)
        )


@dataclass
class ProgrammeRecord:
    """One programme file, `programmes/<slug>.yaml` (see lms.packages.programme_reader)."""

    slug: str
    path: str  # relative to the package, e.g. "programmes/digitalt-kompetenslyft.yaml"
    name: str = ""
    description: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    organisations: list[str] = field(default_factory=list)  # names of whole organisations
    departments: list[tuple[str, str]] = field(default_factory=list)  # (organisation, name)
    target_participants: int | None = None
    target_hours: int | None = None
    target_hours_per_participant: float | None = None


@dataclass
class Package:
    framework: FrameworkRecord | None = None
    activities: list[ActivityRecord] = field(default_factory=list)
    themes: list[ThemeRecord] = field(default_factory=list)
    programmes: list[ProgrammeRecord] = field(default_factory=list)


def add_months(day: date | None, months: int) -> date | None:
    """The same day of the month `months` later, or that month's last day when it is shorter."""
    if day is None:
        return None
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def to_utc(local: datetime) -> datetime:
    """A naive Stockholm wall-clock time as aware UTC."""
    return local.replace(tzinfo=STOCKHOLM).astimezone(UTC)


def to_local_text(moment: datetime) -> str:
    """An aware datetime as Stockholm `YYYY-MM-DDTHH:MM`."""
    return moment.astimezone(STOCKHOLM).strftime(LOCAL_TIME_FORMAT)
