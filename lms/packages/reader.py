"""Reading a content package directory into plain records, validating every file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lms.catalog.meta import check_meta
from lms.catalog.models import Activity, Format, Lesson, Status
from lms.core.markdown import ImageUrl
from lms.packages.checks import Fields, Sink
from lms.packages.framework_reader import SLUG_PATTERN, read_framework
from lms.packages.frontmatter import read_text, split_front_matter
from lms.packages.programme_reader import read_programmes
from lms.packages.records import ActivityRecord, FrameworkRecord, LessonRecord, Package
from lms.packages.tasks_reader import check_body, read_sessions, read_tasks
from lms.packages.theme_reader import read_themes

SLUG_RE = re.compile(SLUG_PATTERN)
LESSON_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
SLUG_LENGTH: int = Activity.__table__.c.slug.type.length  # type: ignore[attr-defined]
LESSON_TITLE_LENGTH: int = Lesson.__table__.c.title.type.length  # type: ignore[attr-defined]
ACTIVITY_KEYS = {
    "title": True, "summary": True, "format": True, "level": True, "delivery": True,
    "minutes": True, "competences": True, "subjects": False, "departments": False,
    "job_roles": False, "owners": False, "status": False, "language": False,
    "repeatable": False, "url": False, "pre_tasks": False, "follow_ups": False,
    "sessions": False,
}  # fmt: skip
LESSON_KEYS = {"title": True, "minutes": True, "required": False, "summary": False}

__all__ = ["Known", "read_package"]


@dataclass
class Known:
    """The names a package may refer to besides its own framework (from the database)."""

    competences: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    job_roles: set[str] = field(default_factory=set)
    activities: set[str] = field(default_factory=set)  # slugs a theme month may curate
    departments: set[str] | None = None  # None: department names are not checked
    # A programme's whole organisations and (organisation, department) pairs; None: unchecked.
    organisations: set[str] | None = None
    organisation_departments: set[tuple[str, str]] | None = None
    image_url: ImageUrl | None = None  # how the catalogue resolves image names (uploads)

    def with_framework(self, framework: FrameworkRecord) -> Known:
        return replace(
            self,
            competences=self.competences | {c.code for c in framework.competences},
            subjects=self.subjects | {s.slug for s in framework.subjects},
            job_roles=self.job_roles | {r.name for r in framework.job_roles},
        )


def read_package(directory: Path, known: Known | None = None) -> tuple[Package, list[str]]:
    """Every record of the package and every problem, as "path:line: reason"."""
    known = known or Known()
    package = Package()
    if not directory.is_dir():
        return package, [f"{directory}:1: not a directory"]
    problems: list[str] = []
    framework_path = directory / "framework.yaml"
    if framework_path.is_file():
        text = read_text(framework_path, "framework.yaml", problems)
        framework, found = read_framework(text, "framework.yaml", known.competences)
        package.framework, known = framework, known.with_framework(framework)
        problems += found
    for path in sorted((directory / "activities").glob("*.md")):
        relpath = f"activities/{path.name}"
        text = read_text(path, relpath, problems)
        record = _read_activity(text, relpath, path.stem, known, problems, course=False)
        package.activities.append(record)
    courses = directory / "courses"
    for folder in sorted(courses.iterdir() if courses.is_dir() else []):
        if folder.is_dir() and not folder.name.startswith("."):
            package.activities.append(_read_course(folder, known, problems))
    problems += _duplicate_slugs(package.activities)
    package.themes, found = read_themes(
        directory,
        activities=known.activities | {record.slug for record in package.activities},
        departments=known.departments,
        image_url=known.image_url,
    )
    problems += found
    package.programmes, found = read_programmes(
        directory,
        organisations=known.organisations,
        departments=known.organisation_departments,
    )
    problems += found
    empty = package.framework is None and not package.activities and not package.themes
    if empty and not package.programmes and not problems:
        where = "no framework.yaml, activities/, courses/ or themes/ found"
        problems.append(f"{directory.name}:1: {where}")
    return package, problems


def _duplicate_slugs(records: list[ActivityRecord]) -> list[str]:
    first: dict[str, str] = {}
    problems = []
    for record in records:
        if record.slug in first:
            problems.append(f"{record.path}:1: slug {record.slug!r} is also {first[record.slug]}")
        else:
            first[record.slug] = record.path
    return problems


def _check_slug(sink: Sink, slug: str, what: str) -> None:
    if not SLUG_RE.match(slug) or len(slug) > SLUG_LENGTH:
        reason = f"{what} {slug!r} must be lowercase a-z, 0-9 and single hyphens"
        sink.add_line(1, f"{reason} (at most {SLUG_LENGTH} characters)")


def _read_activity(
    text: str, relpath: str, slug: str, known: Known, problems: list[str], *, course: bool
) -> ActivityRecord:
    document = split_front_matter(text)
    sink = Sink(relpath, document)
    _check_slug(sink, slug, "the file name" if not course else "the course folder name")
    record = ActivityRecord(slug=slug, path=relpath, meta={}, body=document.body)
    if isinstance(document.data, dict):
        fields = Fields(sink, document.data, (), "the front matter", ACTIVITY_KEYS)
        record.meta = _meta(fields, known)
        _check_format(fields, record.meta, course)
        record.tasks = read_tasks(fields)
        record.sessions = read_sessions(fields)
    check_body(sink, document, known.image_url)
    problems += sink.formatted()
    return record


def _meta(fields: Fields, known: Known) -> dict[str, Any]:
    """The front matter in the shape of `activity_meta`, with reference problems reported."""
    weights = fields.mapping("competences")
    meta = {
        "title": fields.text("title"),
        "summary": fields.text("summary"),
        **{key: fields.raw(key) for key in ("format", "level", "delivery", "minutes")},
        "status": fields.raw("status") or Status.PUBLISHED.value,
        "language": fields.raw("language") or "sv",
        "repeatable": fields.flag("repeatable", False),
        "url": fields.text("url") or None,
        "competences": {str(code): weight for code, weight in weights.items()},
        "subjects": fields.names("subjects"),
        "departments": fields.names("departments"),
        "job_roles": fields.names("job_roles"),
        "owners": [email.lower() for email in fields.names("owners")],
    }
    for key, reason in check_meta(meta):
        if fields.raw(key) is not None or not ACTIVITY_KEYS.get(key):  # else: reported missing
            fields.sink.add(fields.at(key), reason)
    _check_references(fields, meta, known)
    return meta


def _check_references(fields: Fields, meta: dict[str, Any], known: Known) -> None:
    for code in meta["competences"]:
        if code not in known.competences:
            fields.sink.add((*fields.at("competences"), code), f"unknown competence code {code!r}")
    checks: list[tuple[str, str, set[str] | None]] = [
        ("subjects", "subject", known.subjects),
        ("job_roles", "job role", known.job_roles),
        ("departments", "department", known.departments),
    ]
    for key, what, names in checks:
        for index, name in enumerate(meta[key]):
            if names is not None and name not in names:
                fields.sink.add((*fields.at(key), index), f"unknown {what} {name!r}")


def _check_format(fields: Fields, meta: dict[str, Any], course: bool) -> None:
    is_course = meta.get("format") == Format.COURSE
    if course and not is_course and meta.get("format") is not None:
        fields.sink.add(fields.at("format"), "a course.md has format: course")
    elif is_course and not course:
        reason = "a course lives in courses/<slug>/course.md with its lesson files"
        fields.sink.add(fields.at("format"), reason)


def _read_course(folder: Path, known: Known, problems: list[str]) -> ActivityRecord:
    relpath = f"courses/{folder.name}/course.md"
    path = folder / "course.md"
    if not path.is_file():
        problems.append(f"{relpath}:1: the course folder has no course.md")
        record = ActivityRecord(slug=folder.name, path=relpath, meta={}, body="", lessons=[])
        return record
    text = read_text(path, relpath, problems)
    record = _read_activity(text, relpath, folder.name, known, problems, course=True)
    record.lessons = []
    for lesson_path in sorted(folder.glob("*.md")):
        if lesson_path.name != "course.md":
            lesson = _read_lesson(lesson_path, f"courses/{folder.name}", known, problems)
            if lesson is not None:
                record.lessons.append(lesson)
    problems += _lesson_duplicates(record)
    return record


def _read_lesson(path: Path, folder: str, known: Known, problems: list[str]) -> LessonRecord | None:
    relpath = f"{folder}/{path.name}"
    match = LESSON_FILE_RE.match(path.name)
    if match is None:
        problems.append(f"{relpath}:1: a lesson file is named NN-slug.md, e.g. 01-introduktion.md")
        return None
    document = split_front_matter(read_text(path, relpath, problems))
    sink = Sink(relpath, document)
    lesson = LessonRecord(
        slug=match.group(2), position=int(match.group(1)), title="", minutes=1, body=document.body
    )
    if isinstance(document.data, dict):
        fields = Fields(sink, document.data, (), "the lesson's front matter", LESSON_KEYS)
        lesson.title = fields.text("title", max_length=LESSON_TITLE_LENGTH).strip()
        lesson.minutes = fields.whole("minutes") or 1
        lesson.is_required = fields.flag("required", True)
        lesson.summary = fields.text("summary")
        if fields.raw("title") is not None and not lesson.title:
            sink.add(fields.at("title"), "a title is required")
    check_body(sink, document, known.image_url)
    problems += sink.formatted()
    return lesson


def _lesson_duplicates(record: ActivityRecord) -> list[str]:
    problems = []
    seen_positions: set[int] = set()
    seen_slugs: set[str] = set()
    for lesson in record.lessons or []:
        relpath = f"courses/{record.slug}/{lesson.position:02d}-{lesson.slug}.md"
        if lesson.position in seen_positions:
            problems.append(f"{relpath}:1: another lesson also has number {lesson.position:02d}")
        if lesson.slug in seen_slugs:
            problems.append(f"{relpath}:1: another lesson also has slug {lesson.slug!r}")
        seen_positions.add(lesson.position)
        seen_slugs.add(lesson.slug)
    return problems
