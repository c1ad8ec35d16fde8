"""Exporting the framework and catalogue as a content package in one canonical form.

Everything the importer reads is written (also draft and archived activities), keys in a
fixed order, defaults and empty values left out, times in Stockholm local time, bodies as
stored: exporting the same database twice gives the same bytes, and importing an export
into an empty database and exporting again gives them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import JobRole
from lms.catalog.models import Activity, ActivityCompetence, Format, Status
from lms.framework.models import CompetenceArea, RoleExpectation, Subject
from lms.packages.importer import upload_folder
from lms.packages.programme_writer import list_programmes_to_export, programme_file
from lms.packages.records import to_local_text
from lms.packages.task_writer import lesson_files, session_items, task_items
from lms.packages.theme_writer import banner_path, list_themes, theme_file
from lms.transfer.models import TransferTask

__all__ = ["ExportResult", "dump_yaml", "export_package", "front_matter_file"]


@dataclass
class ExportResult:
    competences: int = 0
    activities: int = 0
    courses: int = 0
    lessons: int = 0
    themes: int = 0
    programmes: int = 0
    written: set[Path] = field(default_factory=set)
    removed: list[Path] = field(default_factory=list)
    missing_banners: list[str] = field(default_factory=list)  # theme keys, banner left out

    def summary(self) -> str:
        removed = f"; {len(self.removed)} stale files removed" if self.removed else ""
        missing = (
            f"; banner image missing from the uploads, left out: {', '.join(self.missing_banners)}"
            if self.missing_banners
            else ""
        )
        return (
            f"{len(self.written)} files: framework ({self.competences} competences), "
            f"{self.activities} activities, {self.courses} courses with {self.lessons} lessons, "
            f"{self.themes} theme months, {self.programmes} programmes{removed}{missing}"
        )


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def front_matter_file(meta: dict[str, Any], body: str) -> str:
    """A Markdown file: `---` front matter, the body as stored, a final newline."""
    if body and not body.endswith("\n"):
        body += "\n"
    return f"---\n{dump_yaml(meta)}---\n{body}"


def export_package(
    session: Session, directory: Path, *, uploads: Path | None = None
) -> ExportResult:
    """Write the package into `directory`; stale files of activities/, courses/, themes/ and
    programmes/ go.

    Banners are read from `uploads` (default: the instance's upload folder).
    """
    result = ExportResult()
    framework = _framework(session, result)
    if framework:
        _write(directory / "framework.yaml", dump_yaml(framework), result)
    tasks = _tasks_by_activity(session)
    for activity in _activities(session):
        meta = activity_front_matter(activity, tasks.get(activity.id, []))
        if activity.format == Format.COURSE:
            folder = directory / "courses" / activity.slug
            _write(folder / "course.md", front_matter_file(meta, activity.body), result)
            for name, lesson_meta, body in lesson_files(activity.lessons):
                _write(folder / name, front_matter_file(lesson_meta, body), result)
            result.courses += 1
            result.lessons += len(activity.lessons)
        else:
            path = directory / "activities" / f"{activity.slug}.md"
            _write(path, front_matter_file(meta, activity.body), result)
            result.activities += 1
    _export_themes(session, directory / "themes", uploads or upload_folder(), result)
    for programme in list_programmes_to_export(session):
        path = directory / "programmes" / f"{programme.slug}.yaml"
        _write(path, programme_file(programme), result)
        result.programmes += 1
    _remove_stale(directory, result)
    return result


def _export_themes(session: Session, folder: Path, uploads: Path, result: ExportResult) -> None:
    for theme in list_themes(session):
        banner = banner_path(theme)
        image = uploads / theme.banner.name if theme.banner is not None else None
        if banner is not None and (image is None or not image.is_file()):
            result.missing_banners.append(theme.key)  # the rest of the file still travels
            banner = image = None
        _write(folder / f"{theme.key}.md", theme_file(theme, banner), result)
        if banner is not None and image is not None:
            _write(folder / banner, image.read_bytes(), result)
        result.themes += 1


def _write(path: Path, content: str | bytes, result: ExportResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)
    result.written.add(path)


def _remove_stale(directory: Path, result: ExportResult) -> None:
    """Remove files this export did not write (deleted activities, renamed lessons, banners)."""
    stale = [
        *(directory / "activities").glob("*.md"),
        *(directory / "courses").glob("*/*.md"),
        *(directory / "themes").glob("*.md"),
        *(directory / "programmes").glob("*.yaml"),
        *(p for p in (directory / "themes" / "images").glob("*") if _is_visible_file(p)),
    ]
    for path in sorted(stale):
        if path not in result.written:
            path.unlink()
            result.removed.append(path)
    courses = directory / "courses"
    for folder in sorted(courses.iterdir() if courses.is_dir() else []):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _is_visible_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".")


# --- framework --------------------------------------------------------------------------------


def _framework(session: Session, result: ExportResult) -> dict[str, Any]:
    areas = session.scalars(
        select(CompetenceArea)
        .options(selectinload(CompetenceArea.competences))
        .order_by(CompetenceArea.position, CompetenceArea.code)
    ).all()
    order = {c.id: c.code for area in areas for c in _competences(area)}
    result.competences = len(order)
    data: dict[str, Any] = {"areas": [_area(area) for area in areas]}
    data["job_roles"] = [_job_role(role, order) for role in _job_roles(session)]
    subjects = session.scalars(select(Subject).order_by(Subject.position, Subject.slug))
    data["subjects"] = [{"slug": s.slug, "name": s.name} for s in subjects]
    return {key: value for key, value in data.items() if value}


def _competences(area: CompetenceArea) -> list[Any]:
    return sorted(area.competences, key=lambda c: (c.position, c.code))


def _area(area: CompetenceArea) -> dict[str, Any]:
    competences = []
    for competence in _competences(area):
        item: dict[str, Any] = {"code": competence.code, "name": competence.name}
        if competence.digcomp:
            item["digcomp"] = competence.digcomp
        if competence.description:
            item["description"] = competence.description
        if competence.levels:
            item["levels"] = {_level_key(k): v for k, v in sorted(competence.levels.items())}
        competences.append(item)
    data: dict[str, Any] = {"code": area.code, "name": area.name}
    return data | ({"competences": competences} if competences else {})


def _level_key(key: str) -> int | str:
    return int(key) if key.isdigit() else key


def _job_roles(session: Session) -> list[tuple[JobRole, dict[int, int]]]:
    expected: dict[int, dict[int, int]] = {}
    for item in session.scalars(select(RoleExpectation)):
        expected.setdefault(item.job_role_id, {})[item.competence_id] = item.level
    roles = session.scalars(select(JobRole).order_by(JobRole.name))
    return [(role, expected.get(role.id, {})) for role in roles]


def _job_role(pair: tuple[JobRole, dict[int, int]], order: dict[int, str]) -> dict[str, Any]:
    role, levels = pair
    item: dict[str, Any] = {"name": role.name}
    expected = {code: levels[cid] for cid, code in order.items() if cid in levels}
    return item | ({"expected": expected} if expected else {})


# --- activities -------------------------------------------------------------------------------


def _activities(session: Session) -> list[Activity]:
    options = [
        selectinload(Activity.competence_links).selectinload(ActivityCompetence.competence),
        *(
            selectinload(getattr(Activity, name))
            for name in ("subjects", "departments", "job_roles", "owners", "lessons", "sessions")
        ),
    ]
    return list(session.scalars(select(Activity).options(*options).order_by(Activity.slug)))


def _tasks_by_activity(session: Session) -> dict[int, list[TransferTask]]:
    tasks: dict[int, list[TransferTask]] = {}
    stmt = select(TransferTask).order_by(TransferTask.position, TransferTask.id)
    for task in session.scalars(stmt):
        tasks.setdefault(task.activity_id, []).append(task)
    return tasks


def activity_front_matter(activity: Activity, tasks: list[TransferTask]) -> dict[str, Any]:
    """The front matter of an activity, keys in the documented order, defaults left out."""
    meta: dict[str, Any] = {
        "title": activity.title,
        "summary": activity.summary,
        "format": activity.format,
        "level": activity.level,
        "delivery": activity.delivery,
        "minutes": activity.minutes,
        "competences": {link.competence.code: link.weight for link in activity.competence_links},
        "subjects": [subject.slug for subject in activity.subjects],
        "departments": sorted({dept.name for dept in activity.departments}),
        "job_roles": sorted(role.name for role in activity.job_roles),
        "owners": sorted(user.email for user in activity.owners),
        "status": None if activity.status == Status.PUBLISHED else activity.status,
        "language": None if activity.language == "sv" else activity.language,
        "repeatable": activity.is_repeatable or None,
        "url": activity.url or None,
        "pre_tasks": task_items(tasks, "pre"),
        "follow_ups": task_items(tasks, "follow_up"),
        "sessions": session_items(activity.sessions, to_local_text),
    }
    required = ("title", "summary", "format", "level", "delivery", "minutes", "competences")
    return {key: value for key, value in meta.items() if key in required or value}
