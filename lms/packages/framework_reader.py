"""Reading and validating a package's framework.yaml: areas, competences, job roles, subjects."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from lms.accounts.models import JobRole
from lms.framework.models import Competence, CompetenceArea, Subject
from lms.packages.checks import Fields, Sink
from lms.packages.frontmatter import Path_, load_yaml
from lms.packages.records import (
    AreaRecord,
    CompetenceRecord,
    FrameworkRecord,
    JobRoleRecord,
    SubjectRecord,
)

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
LEVELS = ("1", "2", "3", "4", "5")
FRAMEWORK_KEYS = {"areas": False, "job_roles": False, "subjects": False}
AREA_KEYS = {"code": True, "name": True, "competences": False}
COMPETENCE_KEYS = {
    "code": True, "name": True, "digcomp": False, "description": False, "levels": False,
}  # fmt: skip
JOB_ROLE_KEYS = {"name": True, "expected": False}
SUBJECT_KEYS = {"slug": True, "name": True}
T = TypeVar("T")


def _length(model: Any, column: str) -> int:
    return int(model.__table__.c[column].type.length)


CODE_LENGTH = min(_length(CompetenceArea, "code"), _length(Competence, "code"))
NAME_LENGTH = _length(Competence, "name")
JOB_ROLE_LENGTH = _length(JobRole, "name")
SUBJECT_SLUG_LENGTH = _length(Subject, "slug")


def read_framework(
    text: str, relpath: str, known_competences: set[str]
) -> tuple[FrameworkRecord, list[str]]:
    """The framework of the file and its problems as "file:line: reason"."""
    document = load_yaml(text)
    sink = Sink(relpath, document)
    framework = FrameworkRecord()
    if document.errors:
        return framework, sink.formatted()
    top = Fields(sink, document.data, (), "framework.yaml", FRAMEWORK_KEYS)
    framework.areas = _each(top, "areas", _area)
    _unique(sink, [(("areas", i), a.code) for i, a in enumerate(framework.areas)], "area")
    competences = [
        (("areas", i, "competences", j), competence.code)
        for i, area in enumerate(framework.areas)
        for j, competence in enumerate(area.competences)
    ]
    codes = _unique(sink, competences, "competence code")
    known = known_competences | codes
    framework.job_roles = _each(top, "job_roles", lambda f: _job_role(f, known))
    _unique(sink, [(("job_roles", i), r.name) for i, r in enumerate(framework.job_roles)], "role")
    framework.subjects = _each(top, "subjects", _subject)
    _unique(sink, [(("subjects", i), s.slug) for i, s in enumerate(framework.subjects)], "slug")
    return framework, sink.formatted()


def _each(parent: Fields, key: str, read: Callable[[Fields], T]) -> list[T]:
    what = key.rstrip("s").replace("_", " ")
    keys = {"areas": AREA_KEYS, "job_roles": JOB_ROLE_KEYS, "subjects": SUBJECT_KEYS}[key]
    return [
        read(Fields(parent.sink, item, (*parent.at(key), index), f"the {what}", keys))
        for index, item in enumerate(parent.items(key))
    ]


def _unique(sink: Sink, keyed: Sequence[tuple[Path_, str]], what: str) -> set[str]:
    seen: set[str] = set()
    for path, key in keyed:
        if key and key in seen:
            sink.add(path, f"duplicate {what} {key!r}")
        seen.add(key)
    return seen


def _area(fields: Fields) -> AreaRecord:
    area = AreaRecord(
        code=fields.text("code", max_length=CODE_LENGTH),
        name=fields.text("name", max_length=NAME_LENGTH),
    )
    for index, item in enumerate(fields.items("competences")):
        path = (*fields.at("competences"), index)
        competence = Fields(fields.sink, item, path, "the competence", COMPETENCE_KEYS)
        area.competences.append(_competence(competence))
    return area


def _competence(fields: Fields) -> CompetenceRecord:
    return CompetenceRecord(
        code=fields.text("code", max_length=CODE_LENGTH),
        name=fields.text("name", max_length=NAME_LENGTH),
        digcomp=fields.text("digcomp", max_length=CODE_LENGTH) or None,
        description=fields.text("description"),
        levels=_levels(fields),
    )


def _levels(fields: Fields) -> dict[str, str]:
    levels: dict[str, str] = {}
    for key, text in fields.mapping("levels").items():
        level = str(key)
        if level not in LEVELS:
            fields.sink.add((*fields.at("levels"), level), f"level {key!r} is not 1–5")
        elif not isinstance(text, str) or not text.strip():
            fields.sink.add((*fields.at("levels"), level), f"level {level} needs a description")
        else:
            levels[level] = text
    return dict(sorted(levels.items()))


def _job_role(fields: Fields, known: set[str]) -> JobRoleRecord:
    role = JobRoleRecord(name=fields.text("name", max_length=JOB_ROLE_LENGTH).strip())
    for code, level in fields.mapping("expected").items():
        path = (*fields.at("expected"), str(code))
        if str(code) not in known:
            fields.sink.add(path, f"unknown competence code {str(code)!r}")
        elif isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            fields.sink.add(path, f"the expected level of {code} must be 1–5, not {level!r}")
        else:
            role.expected[str(code)] = level
    return role


def _subject(fields: Fields) -> SubjectRecord:
    slug = fields.text("slug", max_length=SUBJECT_SLUG_LENGTH)
    if slug and not re.match(SLUG_PATTERN, slug):
        fields.sink.add(
            fields.at("slug"), f"subject slug {slug!r} must be like digital-arbetsplats"
        )
    return SubjectRecord(slug=slug, name=fields.text("name", max_length=NAME_LENGTH))
