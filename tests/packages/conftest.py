"""Helpers for the content package tests: small packages on disk, the demo organisation."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.org_import import import_organisation
from lms.catalog.models import Activity, ActivityRevision, ActivitySession, Lesson
from lms.config import REPO_ROOT
from lms.core.audit import AuditEvent
from lms.framework.models import Competence, CompetenceArea, RoleExpectation, Subject
from lms.transfer.models import TransferTask

CONTENT = REPO_ROOT / "content"
FRAMEWORK = """\
areas:
  - code: "4"
    name: Digital säkerhet
    competences:
      - code: "4.1"
        name: Skydda enheter och information
        digcomp: "4.1"
        description: Att skydda datorer och mobiler.
        levels: {1: Med stöd., 2: Själv.}
      - code: "4.2"
        name: Skydda personuppgifter och integritet
job_roles:
  - name: Bibliotekarie
    expected: {"4.1": 3, "4.2": 2}
subjects:
  - {slug: digitala-rattigheter, name: Digitala rättigheter}
"""
ACTIVITY = """\
---
title: Starka lösenord
summary: Så väljer du ett lösenord som håller.
format: nanolesson
level: grund
delivery: digital
minutes: 10
competences: {"4.1": 1.0, "4.2": 0.5}
subjects: [digitala-rattigheter]
---
## Lösenord

Använd en lösenordshanterare.
"""
WORKSHOP = """\
---
title: Workshop om säkerhet
summary: Öva tillsammans.
format: workshop
level: grund
delivery: physical
minutes: 120
competences: {"4.1": 1.0}
pre_tasks:
  - {title: Förbered dig, instructions: Läs på., kind: reflection, required: true}
follow_ups:
  - {title: Pröva, instructions: Gör det., kind: reflection, due_days: 14}
sessions:
  - {starts_at: "2026-03-24T13:00", ends_at: "2026-03-24T15:00", place: Sal 1, capacity: 20}
  - {starts_at: "2026-04-07T09:00", ends_at: "2026-04-07T11:00", place: Sal 2, capacity: 20}
---
Text.
"""
COUNTED = (
    Activity, ActivityRevision, ActivitySession, AuditEvent, Competence, CompetenceArea, Lesson,
    RoleExpectation, Subject, TransferTask,
)  # fmt: skip


def write_package(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path → text) under `root` and return it."""
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text) if text.startswith("\n") else text, encoding="utf-8")
    return root


def row_counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for model in COUNTED
    }


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A small valid package: framework, a nano-lesson and a scheduled workshop."""
    return write_package(
        tmp_path / "package",
        {
            "framework.yaml": FRAMEWORK,
            "activities/starka-losenord.md": ACTIVITY,
            "activities/workshop-om-sakerhet.md": WORKSHOP,
        },
    )


@pytest.fixture
def demo_org(session: Session) -> None:
    """The demo organisation, so the shipped content's owners and departments resolve."""
    import_organisation(session, CONTENT / "demo" / "organisation.csv", send_invitations=False)
    session.flush()
