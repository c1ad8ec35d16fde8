"""Reading an activity's pre-tasks, follow-ups and sessions, and checking Markdown bodies."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lms.catalog.models import ActivitySession
from lms.core.markdown import ImageUrl, render_markdown
from lms.packages.checks import Fields, Sink
from lms.packages.frontmatter import Document
from lms.packages.records import LOCAL_TIME_FORMAT, SessionRecord, TaskRecord
from lms.transfer.models import TaskKind, TaskPhase, TransferTask

TASK_KEYS = {
    "title": True, "instructions": True, "kind": False, "required": False, "due_days": False,
    "shared_with_owner": False, "prompt": False, "items": False,
}  # fmt: skip
SESSION_KEYS = {
    "starts_at": True, "ends_at": True, "place": False, "online_url": False, "capacity": True,
}  # fmt: skip
PHASES = {"pre_tasks": TaskPhase.PRE, "follow_ups": TaskPhase.FOLLOW_UP}
KINDS = tuple(kind.value for kind in TaskKind)
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
PROBLEM_RE = re.compile(r"^line (\d+): (.*)$", re.DOTALL)


def _length(model: Any, column: str) -> int:
    return int(model.__table__.c[column].type.length)


TASK_TITLE_LENGTH = _length(TransferTask, "title")
PLACE_LENGTH = _length(ActivitySession, "place")
ONLINE_URL_LENGTH = _length(ActivitySession, "online_url")


def read_tasks(front: Fields) -> list[TaskRecord]:
    """The pre-tasks then the follow-ups, each numbered from 0 within its phase."""
    tasks = []
    for key, phase in PHASES.items():
        what = "a pre-task" if phase == TaskPhase.PRE else "a follow-up"
        for position, item in enumerate(front.items(key)):
            fields = Fields(front.sink, item, (*front.at(key), position), what, TASK_KEYS)
            tasks.append(_task(fields, phase, position))
    return tasks


def _task(fields: Fields, phase: str, position: int) -> TaskRecord:
    kind = fields.raw("kind") or TaskKind.REFLECTION.value
    if kind not in KINDS:
        fields.sink.add(fields.at("kind"), f"unknown task kind {kind!r} (use {', '.join(KINDS)})")
    task = TaskRecord(
        phase=phase,
        position=position,
        title=fields.text("title", max_length=TASK_TITLE_LENGTH).strip(),
        instructions=fields.text("instructions"),
        kind=str(kind),
        is_required=fields.flag("required", False),
        due_days=fields.whole("due_days", minimum=1),
        is_shared_with_owner=fields.flag("shared_with_owner", False),
        prompt=fields.text("prompt") or None,
        items=fields.names("items"),
    )
    _check_task(fields, task)
    return task


def _check_task(fields: Fields, task: TaskRecord) -> None:
    has_due_days = fields.raw("due_days") is not None
    if task.phase == TaskPhase.PRE and has_due_days:
        fields.sink.add(fields.at("due_days"), "a pre-task has no due_days (only follow-ups do)")
    if task.phase == TaskPhase.FOLLOW_UP and not has_due_days:
        fields.sink.add(fields.path, "a follow-up needs due_days: the days after completion")
    if task.items and task.kind != TaskKind.CHECKLIST:
        fields.sink.add(fields.at("items"), "only a checklist task has items")
    if task.kind == TaskKind.CHECKLIST and not task.items:
        fields.sink.add(fields.path, "a checklist task needs items")


def read_sessions(front: Fields) -> list[SessionRecord]:
    """The sessions in start order (the order the importer matches them by)."""
    sessions = []
    for index, item in enumerate(front.items("sessions")):
        path = (*front.at("sessions"), index)
        session = _session(Fields(front.sink, item, path, "a session", SESSION_KEYS))
        if session is not None:
            sessions.append(session)
    return sorted(sessions, key=lambda session: session.starts_local)


def _session(fields: Fields) -> SessionRecord | None:
    starts, ends = _local_time(fields, "starts_at"), _local_time(fields, "ends_at")
    capacity = fields.whole("capacity", minimum=1)
    place = fields.text("place", max_length=PLACE_LENGTH)
    online_url = fields.text("online_url", max_length=ONLINE_URL_LENGTH) or None
    if starts is None or ends is None or capacity is None:
        return None
    if ends <= starts:
        fields.sink.add(fields.at("ends_at"), "a session ends after it starts")
        return None
    return SessionRecord(starts, ends, place, online_url, capacity)


def _local_time(fields: Fields, key: str) -> datetime | None:
    value = fields.raw(key)
    if value is None:
        return None
    text = value if isinstance(value, str) else ""
    try:
        if not TIME_RE.match(text):
            raise ValueError(text)
        return datetime.strptime(text, LOCAL_TIME_FORMAT)
    except ValueError:
        reason = f"{key} must be a Stockholm local time YYYY-MM-DDTHH:MM, not {value!r}"
        fields.sink.add(fields.at(key), reason)
        return None


def check_body(sink: Sink, document: Document, image_url: ImageUrl | None = None) -> None:
    """Report the Markdown problems of the body at their line in the file.

    `image_url` is the one the catalogue saves with (uploads only), so an image the save
    would refuse is reported here, before anything is written.
    """
    for problem in render_markdown(document.body, image_url=image_url).problems:
        match = PROBLEM_RE.match(problem)
        if match is None:
            sink.add_line(document.body_line, problem)
        else:
            sink.add_line(document.body_line + int(match.group(1)) - 1, match.group(2))
