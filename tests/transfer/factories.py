"""Transfer of Training test data: tasks on activities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.progress.services import record_completion
from lms.transfer.models import TaskResponse, TransferTask


def task(
    session: Session,
    activity: Activity,
    *,
    phase: str = "pre",
    kind: str = "reflection",
    title: str | None = None,
    instructions: str = "Skriv ner ett moment i ditt arbete där det här kan spara tid.",
    required: bool = True,
    due_days: int | None = None,
    shared: bool = False,
    prompt: str | None = None,
    items: Sequence[str] = (),
    position: int = 0,
) -> TransferTask:
    """A task; a follow-up gets `due_days` 14 unless told, a checklist two items unless told."""
    if phase == "follow_up" and due_days is None:
        due_days = 14
    if kind == "checklist" and not items:
        items = ("Jag har läst instruktionen", "Jag har provat på riktigt")
    created = TransferTask(
        activity_id=activity.id,
        phase=phase,
        kind=kind,
        title=title or ("Inför: förbered dig" if phase == "pre" else "Efter två veckor"),
        instructions=instructions,
        is_required=required,
        due_days=due_days,
        is_shared_with_owner=shared,
        prompt=prompt,
        items=list(items),
        position=position,
    )
    session.add(created)
    session.flush()
    return created


def complete(
    session: Session, user: User, activity: Activity, *, at: datetime
) -> list[TaskResponse]:
    """Complete `activity` (self-paced) at `at`; returns the follow-ups that opened."""
    completion = record_completion(
        session,
        user,
        occurrence_key=f"activity:{activity.id}",
        activity=activity,
        minutes=10,
        source="catalogue",
        completed_at=at,
    )
    session.flush()
    stmt = select(TaskResponse).where(TaskResponse.completion_id == completion.id)
    return list(session.scalars(stmt.order_by(TaskResponse.id)))
