"""Programmes as package files in one canonical form, so export → import → export is lossless.

Keys in the documented order (lms.packages.programme_reader); `description`, `organisations`,
`departments` and `targets` only when set; organisations by name, departments as
{organisation, department} by organisation then department; a description as a `|` block;
hours per participant as a whole number when it is one.
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import Department
from lms.reports.models import Programme

__all__ = ["list_programmes_to_export", "programme_data", "programme_file"]

WIDTH = 1 << 16  # names are one line: never fold them


class _Block(str):
    """Text written as a literal `|` block (descriptions keep their paragraphs)."""


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key (`  - name`), as people write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _block(dumper: yaml.SafeDumper, text: _Block) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style="|")


_Dumper.add_representer(_Block, _block)


def list_programmes_to_export(session: Session) -> list[Programme]:
    """Every programme by slug, with its organisations and departments loaded."""
    stmt = (
        select(Programme)
        .options(
            selectinload(Programme.organisations),
            selectinload(Programme.departments).selectinload(Department.organisation),
        )
        .order_by(Programme.slug)
    )
    return list(session.scalars(stmt))


def _number(value: float | None) -> float | int | None:
    return int(value) if value is not None and float(value).is_integer() else value


def programme_data(programme: Programme) -> dict[str, Any]:
    """The file's mapping, keys in order, empty values left out."""
    departments = sorted((d.organisation.name, d.name) for d in programme.departments)
    targets = {
        "participants": programme.target_participants,
        "hours": programme.target_hours,
        "hours_per_participant": _number(programme.target_hours_per_participant),
    }
    description = programme.description.strip()
    data: dict[str, Any] = {
        "name": programme.name,
        "description": _Block(description + "\n") if description else None,
        "period": {"from": programme.starts_on, "to": programme.ends_on},
        "organisations": sorted(organisation.name for organisation in programme.organisations),
        "departments": [{"organisation": org, "department": name} for org, name in departments],
        "targets": {key: value for key, value in targets.items() if value is not None},
    }
    return {key: value for key, value in data.items() if value}


def programme_file(programme: Programme) -> str:
    """The whole `programmes/<slug>.yaml` file."""
    return yaml.dump(
        programme_data(programme),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=WIDTH,
    )
