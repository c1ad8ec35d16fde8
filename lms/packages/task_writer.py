"""The front matter of tasks, sessions and course lessons in a package's canonical form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from lms.catalog.models import ActivitySession, Lesson
from lms.transfer.models import TaskKind, TransferTask


def task_items(tasks: Iterable[TransferTask], phase: str) -> list[dict[str, Any]]:
    """The tasks of one phase in order; keys in the documented order, defaults left out."""
    items = []
    for task in (task for task in tasks if task.phase == phase):
        item: dict[str, Any] = {
            "title": task.title,
            "instructions": task.instructions,
            "kind": None if task.kind == TaskKind.REFLECTION else task.kind,
            "required": task.is_required or None,
            "due_days": task.due_days,
            "shared_with_owner": task.is_shared_with_owner or None,
            "prompt": task.prompt or None,
            "items": list(task.items or []) or None,
        }
        required = ("title", "instructions")
        items.append({key: value for key, value in item.items() if key in required or value})
    return items


def session_items(
    sessions: Iterable[ActivitySession], local: Callable[[datetime], str]
) -> list[dict[str, Any]]:
    """The sessions by start time, in Stockholm local time."""
    items = []
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        item: dict[str, Any] = {
            "starts_at": local(session.starts_at),
            "ends_at": local(session.ends_at),
            "place": session.place or None,
            "online_url": session.online_url or None,
            "capacity": session.capacity,
        }
        items.append({key: value for key, value in item.items() if value is not None})
    return items


def lesson_files(lessons: list[Lesson]) -> list[tuple[str, dict[str, Any], str]]:
    """(file name, front matter, body) per lesson; NN is the position when it fits two digits."""
    ordered = sorted(lessons, key=lambda lesson: (lesson.position, lesson.id))
    positions = [lesson.position for lesson in ordered]
    fits = len(set(positions)) == len(positions) and all(0 <= p <= 99 for p in positions)
    files = []
    for index, lesson in enumerate(ordered, start=1):
        number = lesson.position if fits else index
        meta: dict[str, Any] = {"title": lesson.title, "minutes": lesson.minutes}
        if not lesson.is_required:
            meta["required"] = False
        if lesson.summary:
            meta["summary"] = lesson.summary
        files.append((f"{number:02d}-{lesson.slug}.md", meta, lesson.body))
    return files
