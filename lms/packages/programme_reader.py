"""Reading and validating a package's programmes, `programmes/<slug>.yaml`.

The file name is the programme's slug (its address; lowercase a-z, 0-9 and hyphens). Keys
(unknown keys are an error, so typos are caught):

    name: Digitalt kompetenslyft                  # required, one line, at most 200 characters
    description: |                                # optional text
      ESF-finansierat kompetenslyft …
    period: {from: 2023-09-01, to: 2026-03-31}    # required, Stockholm dates, from <= to
    organisations: [Nacka kommun]                 # names of organisations taking part whole
    departments:                                  # single departments taking part
      - {organisation: Stockholms stad kulturförvaltning, department: Kulturskolan}
    targets: {participants: 1098, hours: 18920, hours_per_participant: 18}   # each optional

At least one organisation or department is named. Every problem is reported as
"path:line: reason" and nothing is written when there is one; names no organisation has are
refused, or — with `skip_unknown_departments` (a fresh install without the organisation) —
left out by the importer with a note.
"""

from __future__ import annotations

import re
from pathlib import Path

from lms.packages.checks import Fields, Sink
from lms.packages.frontmatter import load_yaml, read_text
from lms.packages.records import ProgrammeRecord
from lms.reports.models import Programme
from lms.reports.programmes import (
    DESCRIPTION_MAX,
    MAX_HOURS,
    MAX_HOURS_PER_PARTICIPANT,
    MAX_PARTICIPANTS,
    NAME_MAX,
)

PROGRAMME_KEYS = {
    "name": True, "description": False, "period": True, "organisations": False,
    "departments": False, "targets": False,
}  # fmt: skip
PERIOD_KEYS = {"from": True, "to": True}
DEPARTMENT_KEYS = {"organisation": True, "department": True}
TARGET_KEYS = {"participants": False, "hours": False, "hours_per_participant": False}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LENGTH: int = Programme.__table__.c.slug.type.length  # type: ignore[attr-defined]

__all__ = ["PROGRAMME_KEYS", "read_programmes"]


def read_programmes(
    directory: Path,
    *,
    organisations: set[str] | None,
    departments: set[tuple[str, str]] | None,
) -> tuple[list[ProgrammeRecord], list[str]]:
    """The programmes under `directory/programmes` and their problems as "path:line: reason".

    `organisations` and `departments` ((organisation, department) name pairs) are what the
    files may name; None: not checked (unknown names are skipped later).
    """
    folder = directory / "programmes"
    records: list[ProgrammeRecord] = []
    problems: list[str] = []
    if not folder.is_dir():
        return records, problems
    for path in sorted(folder.glob("*.yml")):
        problems.append(f"programmes/{path.name}:1: name programme files <slug>.yaml")
    for path in sorted(folder.glob("*.yaml")):
        records.append(_read(path, organisations, departments, problems))
    problems += _duplicate_names(records)
    return records, problems


def _read(
    path: Path,
    organisations: set[str] | None,
    departments: set[tuple[str, str]] | None,
    problems: list[str],
) -> ProgrammeRecord:
    relpath = f"programmes/{path.name}"
    document = load_yaml(read_text(path, relpath, problems))
    sink = Sink(relpath, document)
    record = ProgrammeRecord(slug=path.stem, path=relpath)
    if not SLUG_RE.match(path.stem) or len(path.stem) > SLUG_LENGTH:
        reason = "the file name must be lowercase a-z, 0-9 and single hyphens"
        sink.add_line(1, f"{reason} (at most {SLUG_LENGTH} characters), e.g. mitt-program.yaml")
    if not document.errors:
        fields = Fields(sink, document.data, (), "the programme file", PROGRAMME_KEYS)
        if fields.values:
            _read_fields(fields, record)
            record.organisations = _organisations(fields, organisations)
            record.departments = _departments(fields, departments)
            if fields.raw("organisations") is None and fields.raw("departments") is None:
                reason = "name at least one organisation or department that takes part"
                sink.add((), reason)
    problems += sink.formatted()
    return record


def _read_fields(fields: Fields, record: ProgrammeRecord) -> None:
    record.name = fields.text("name", max_length=NAME_MAX).strip()
    if "\n" in record.name:
        fields.sink.add(fields.at("name"), "'name' must be one line")
    if fields.raw("name") is not None and not record.name:
        fields.sink.add(fields.at("name"), "a name is required")
    record.description = fields.text("description", max_length=DESCRIPTION_MAX).strip()
    if fields.raw("period") is not None:
        at = fields.at("period")
        period = Fields(fields.sink, fields.raw("period"), at, "period", PERIOD_KEYS)
        record.starts_on, record.ends_on = period.date("from"), period.date("to")
        if record.starts_on and record.ends_on and record.ends_on < record.starts_on:
            fields.sink.add(period.at("to"), "the period ends before it starts ('to' < 'from')")
    if fields.raw("targets") is not None:
        targets = Fields(
            fields.sink, fields.raw("targets"), fields.at("targets"), "targets", TARGET_KEYS
        )
        record.target_participants = targets.whole("participants", maximum=MAX_PARTICIPANTS)
        record.target_hours = targets.whole("hours", maximum=MAX_HOURS)
        record.target_hours_per_participant = _positive(targets, "hours_per_participant")


def _positive(fields: Fields, key: str) -> float | None:
    value = fields.raw(key)
    if value is None:
        return None
    number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
    if not 0 < number <= MAX_HOURS_PER_PARTICIPANT:  # NaN fails too
        bounds = f"above 0 and at most {MAX_HOURS_PER_PARTICIPANT}"
        fields.sink.add(fields.at(key), f"{key!r} must be a number {bounds}, not {value!r}")
        return None
    return number


def _organisations(fields: Fields, known: set[str] | None) -> list[str]:
    names: list[str] = []
    for index, item in enumerate(fields.items("organisations")):
        at = (*fields.at("organisations"), index)
        name = str(item).strip() if isinstance(item, str | int) else ""
        if not name or isinstance(item, bool):
            fields.sink.add(at, "'organisations' must hold organisation names")
        elif name in names:
            fields.sink.add(at, f"organisation {name!r} is listed twice")
        elif known is not None and name not in known:
            fields.sink.add(at, f"unknown organisation {name!r}")
        else:
            names.append(name)
    return names


def _departments(fields: Fields, known: set[tuple[str, str]] | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(fields.items("departments")):
        at = (*fields.at("departments"), index)
        what = "a department ({organisation: …, department: …})"
        entry = Fields(fields.sink, item, at, what, DEPARTMENT_KEYS)
        pair = (entry.text("organisation").strip(), entry.text("department").strip())
        if not all(pair):
            continue  # missing or not text: reported by Fields
        if pair in pairs:
            fields.sink.add(at, f"department {pair[1]!r} of {pair[0]!r} is listed twice")
        elif known is not None and pair not in known:
            fields.sink.add(at, f"unknown department {pair[1]!r} in organisation {pair[0]!r}")
        else:
            pairs.append(pair)
    return pairs


def _duplicate_names(records: list[ProgrammeRecord]) -> list[str]:
    first: dict[str, str] = {}
    problems = []
    for record in records:
        key = record.name.casefold()
        if key and key in first:
            problems.append(f"{record.path}:1: the name {record.name!r} is also {first[key]}")
        elif key:
            first[key] = record.path
    return problems
