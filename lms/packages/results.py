"""What a package import did: counts per kind of record, and the summary the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class PackageInvalid(Exception):
    """The package has problems; `errors` holds one "path:line: reason" per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the content package")
        self.errors = errors


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    @property
    def total(self) -> int:
        """The records in the package (deleted ones are not)."""
        return self.created + self.updated + self.unchanged

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def changes(self) -> str:
        if not self.changed:
            return ""
        return f" ({self.created} created, {self.updated} updated, {self.deleted} deleted)"


@dataclass
class PackageResult:
    has_framework: bool = False
    competences: int = 0
    job_roles: int = 0
    subjects: int = 0
    framework: Tally = field(default_factory=Tally)  # areas, competences, roles, subjects
    activities: Tally = field(default_factory=Tally)  # activities other than courses
    courses: Tally = field(default_factory=Tally)
    lessons: Tally = field(default_factory=Tally)
    sessions: Tally = field(default_factory=Tally)
    tasks: Tally = field(default_factory=Tally)
    themes: Tally = field(default_factory=Tally)  # theme months
    programmes: Tally = field(default_factory=Tally)
    shifted_weeks: int = 0
    shifted_months: int = 0  # the demo's theme months (negative: moved back)
    unknown_owners: list[str] = field(default_factory=list)  # skipped e-mails, sorted
    unknown_departments: list[str] = field(default_factory=list)  # skipped when asked to
    unknown_organisations: list[str] = field(default_factory=list)  # a programme's, skipped too
    # Activities saved, with sessions changed, or in a changed published theme month: what
    # `import_package` tells the recommendations about (lms.catalog.signals).
    changed_activity_ids: set[int] = field(default_factory=set)

    @property
    def changed(self) -> int:
        """The number of rows created, updated or deleted (0: the import changed nothing)."""
        tallies = (self.framework, self.activities, self.courses, self.lessons, self.sessions)
        others = (self.tasks, self.themes, self.programmes)
        return sum(tally.changed for tally in (*tallies, *others))

    def summary(self) -> str:
        framework = (
            f"framework: {self.competences} competences, {self.job_roles} job roles, "
            f"{self.subjects} subjects{self.framework.changes()}"
            if self.has_framework
            else "framework: not in the package"
        )
        shifted = f", moved {self.shifted_weeks} weeks ahead" if self.shifted_weeks else ""
        parts = [
            framework,
            f"{self.activities.total} activities {_triple(self.activities)}",
            f"{self.courses.total} courses {_triple(self.courses)}, "
            f"{self.lessons.total} lessons{self.lessons.changes()}",
            f"{self.sessions.total} sessions{shifted}{self.sessions.changes()}",
            f"{self.tasks.total} tasks{self.tasks.changes()}",
        ]
        if self.themes.total or self.themes.changed:
            moved = f", moved {self.shifted_months:+d} months" if self.shifted_months else ""
            parts.append(f"{self.themes.total} theme months {_triple(self.themes)}{moved}")
        if self.programmes.total or self.programmes.changed:
            parts.append(f"{self.programmes.total} programmes {_triple(self.programmes)}")
        return "; ".join(parts) + ("" if self.changed else "; no changes")

    def counts(self) -> dict[str, Any]:
        """Plain numbers for the audit trail."""
        names = (
            "framework", "activities", "courses", "lessons", "sessions", "tasks", "themes",
            "programmes",
        )  # fmt: skip
        return {name: vars(getattr(self, name)) for name in names} | {
            "shifted_weeks": self.shifted_weeks,
            "shifted_months": self.shifted_months,
        }


def _triple(tally: Tally) -> str:
    return f"({tally.created} created, {tally.updated} updated, {tally.unchanged} unchanged)"
