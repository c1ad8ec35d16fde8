"""The plain records a content package is read into (no database objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
class Package:
    framework: FrameworkRecord | None = None
    activities: list[ActivityRecord] = field(default_factory=list)


def to_utc(local: datetime) -> datetime:
    """A naive Stockholm wall-clock time as aware UTC."""
    return local.replace(tzinfo=STOCKHOLM).astimezone(UTC)


def to_local_text(moment: datetime) -> str:
    """An aware datetime as Stockholm `YYYY-MM-DDTHH:MM`."""
    return moment.astimezone(STOCKHOLM).strftime(LOCAL_TIME_FORMAT)
