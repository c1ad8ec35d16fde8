"""Upserting a package's activities by slug, with their lessons, sessions and tasks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, object_session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lms.catalog.meta import MetaResolver
from lms.catalog.models import Activity, ActivitySession, Lesson
from lms.catalog.schedule import sync_seats
from lms.catalog.services import ActivityData, render_body, save_activity
from lms.catalog.uploads import upload_resolver
from lms.packages.framework_importer import set_changed
from lms.packages.records import ActivityRecord, LessonRecord, SessionRecord, TaskRecord
from lms.packages.results import PackageInvalid, PackageResult, Tally
from lms.transfer.models import TransferTask

NewRows = dict[type[ActivitySession] | type[TransferTask], list[dict[str, Any]]]
CHUNK = 500  # keeps IN lists far below every backend's bind-parameter limit
IMPORT_NOTE = "content import"


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def same_activity(activity: Activity, data: ActivityData) -> bool:
    """True when saving `data` would change nothing of the activity."""
    scalars = (
        "summary", "body", "format", "level", "delivery", "minutes", "status", "language",
        "is_repeatable", "url",
    )  # fmt: skip
    if activity.title != data.title.strip():
        return False
    if any(getattr(activity, name) != getattr(data, name) for name in scalars):
        return False
    links = [(link.competence_id, link.weight) for link in activity.competence_links]
    if links != [(competence.id, weight) for competence, weight in data.competences]:
        return False
    collections = ("subjects", "departments", "job_roles", "owners")
    return all(
        {item.id for item in getattr(activity, name)} == {item.id for item in getattr(data, name)}
        for name in collections
    )


class ActivityImport:
    """Imports the activity records of one package (after the framework)."""

    def __init__(
        self, session: Session, result: PackageResult, *, actor_id: int | None, weeks: int,
        skip_unknown_departments: bool,
    ) -> None:  # fmt: skip
        self.session, self.result = session, result
        self.actor_id, self.weeks = actor_id, weeks
        self.skip_unknown_departments = skip_unknown_departments
        self.resolver = MetaResolver(session)
        self.existing: dict[str, Activity] = {}
        self.tasks: dict[int, list[TransferTask]] = {}
        # New sessions and tasks are inserted at the end in bulk, not one flush per activity.
        self.new_rows: NewRows = {ActivitySession: [], TransferTask: []}

    def run(self, records: list[ActivityRecord]) -> None:
        self.resolver.prefetch_owners(e for r in records for e in r.meta.get("owners", []))
        self._load([record.slug for record in records])
        for record in records:
            self._import(record)
        self.session.flush()
        for model, rows in self.new_rows.items():
            if rows:
                self.session.execute(insert(model).execution_options(render_nulls=True), rows)
        self._add_seats({row["activity_id"] for row in self.new_rows[ActivitySession]})

    def _add_seats(self, activity_ids: set[int]) -> None:
        """The seats of the sessions inserted in bulk (new activities have only those)."""
        for chunk in _chunks(sorted(activity_ids)):
            stmt = select(ActivitySession).where(ActivitySession.activity_id.in_(chunk))
            for activity_session in self.session.scalars(stmt):
                sync_seats(self.session, activity_session)

    def _load(self, slugs: list[str]) -> None:
        options = [
            selectinload(getattr(Activity, name))
            for name in ("competence_links", "subjects", "departments", "job_roles", "owners")
        ]
        options += [selectinload(Activity.lessons), selectinload(Activity.sessions)]
        for chunk in _chunks(slugs):
            stmt = select(Activity).where(Activity.slug.in_(chunk)).options(*options)
            self.existing.update((a.slug, a) for a in self.session.scalars(stmt))
        ids = [activity.id for activity in self.existing.values()]
        for chunk in _chunks(ids):
            query = select(TransferTask).where(TransferTask.activity_id.in_(chunk))
            for task in self.session.scalars(query.order_by(TransferTask.id)):
                self.tasks.setdefault(task.activity_id, []).append(task)

    def _data(self, record: ActivityRecord) -> ActivityData:
        resolved = self.resolver.resolve(record.meta, record.body)
        self.result.unknown_owners += resolved.unknown_owners
        if self.skip_unknown_departments:
            known = self.resolver.departments
            unknown = [name for name in record.meta["departments"] if name not in known]
            self.result.unknown_departments += unknown
        problems = [
            f"{record.path}:1: {reason}"
            for key, reason in resolved.problems
            if not (key == "departments" and self.skip_unknown_departments)
        ]
        if problems:  # the reader checks all of this; a safety net, the caller rolls back
            raise PackageInvalid(problems)
        return resolved.data

    def _import(self, record: ActivityRecord) -> None:
        data = self._data(record)
        activity = self.existing.get(record.slug)
        tally = self.result.courses if record.lessons is not None else self.result.activities
        before = tally.changed + self.result.sessions.changed
        if activity is None:
            activity = save_activity(
                self.session, actor_id=self.actor_id, slug=record.slug, data=data, note=IMPORT_NOTE
            )
            set_committed_value(activity, "lessons", [])  # new: nothing to load
            tally.created += 1
        elif same_activity(activity, data):
            tally.unchanged += 1
        else:
            save_activity(
                self.session, actor_id=self.actor_id, slug=record.slug, data=data,
                activity=activity, note=IMPORT_NOTE,
            )  # fmt: skip
            tally.updated += 1
        if record.lessons is not None:
            _upsert_lessons(self.session, activity, record.lessons, self.result.lessons)
        sessions = [session.shifted(self.weeks) for session in record.sessions]
        if activity.slug in self.existing:
            _upsert_sessions(activity, sessions, self.result.sessions, self.new_rows)
        else:  # the activity's (unloaded) collection stays right: it loads after the flush
            _upsert_sessions(None, sessions, self.result.sessions, self.new_rows, activity.id)
        if tally.changed + self.result.sessions.changed != before:
            self.result.changed_activity_ids.add(activity.id)
        tasks = self.tasks.get(activity.id, [])
        _upsert_tasks(self.session, activity, record.tasks, tasks, self.result.tasks, self.new_rows)


def _upsert_lessons(
    session: Session, course: Activity, records: list[LessonRecord], tally: Tally
) -> None:
    """Lessons by slug; positions from the file names; lessons not in the package go."""
    by_slug = {lesson.slug: lesson for lesson in course.lessons}
    for record in records:
        lesson = by_slug.pop(record.slug, None)
        created = lesson is None
        if lesson is None:
            lesson = Lesson(slug=record.slug)
            course.lessons.append(lesson)
        changed = set_changed(
            lesson, position=record.position, title=record.title, summary=record.summary,
            minutes=record.minutes, is_required=record.is_required,
        )  # fmt: skip
        if lesson.body != record.body:
            lesson.body = record.body
            resolver = upload_resolver(session)  # as the catalogue renders lessons
            lesson.body_html, lesson.quiz, _problems = render_body(record.body, resolver)
            changed = True
        tally.count(created, changed)
    for lesson in by_slug.values():
        course.lessons.remove(lesson)
        tally.deleted += 1


def _session_values(record: SessionRecord) -> dict[str, Any]:
    return {
        "starts_at": record.starts_at, "ends_at": record.ends_at, "place": record.place,
        "online_url": record.online_url, "capacity": record.capacity,
    }  # fmt: skip


def _upsert_sessions(
    activity: Activity | None,
    records: list[SessionRecord],
    tally: Tally,
    new_rows: NewRows,
    activity_id: int | None = None,
) -> None:
    """The i-th session of the package updates the i-th existing one by start time."""
    existing = sorted(activity.sessions, key=lambda s: (s.starts_at, s.id)) if activity else []
    db_session = object_session(activity) if activity is not None else None
    for index, record in enumerate(records):
        values = _session_values(record)
        if index < len(existing):
            changed = set_changed(existing[index], **values)
            tally.count(False, changed)
            if changed and db_session is not None:
                existing[index].sequence += 1  # calendar programs update the event
                sync_seats(db_session, existing[index])
        else:
            if activity is not None and db_session is not None:
                added = ActivitySession(**values)
                activity.sessions.append(added)
                sync_seats(db_session, added)
            elif activity is not None:
                activity.sessions.append(ActivitySession(**values))
            else:
                new_rows[ActivitySession].append({"activity_id": activity_id, **values})
            tally.created += 1
    if activity is not None:
        for extra in existing[len(records) :]:
            activity.sessions.remove(extra)
            tally.deleted += 1


def _upsert_tasks(
    session: Session,
    activity: Activity,
    records: list[TaskRecord],
    existing: list[TransferTask],
    tally: Tally,
    new_rows: NewRows,
) -> None:
    """Tasks replaced in place by phase and position; tasks not in the package go."""
    by_key: dict[tuple[str, int], TransferTask] = {}
    for task in existing:
        if (task.phase, task.position) in by_key:
            session.delete(task)  # a second task at the same place: the package has one
            tally.deleted += 1
        else:
            by_key[(task.phase, task.position)] = task
    for record in records:
        values = {
            "title": record.title, "instructions": record.instructions, "kind": record.kind,
            "is_required": record.is_required, "due_days": record.due_days,
            "is_shared_with_owner": record.is_shared_with_owner, "prompt": record.prompt,
            "items": list(record.items),
        }  # fmt: skip
        found = by_key.pop((record.phase, record.position), None)
        if found is None:
            key = {"activity_id": activity.id, "phase": record.phase, "position": record.position}
            new_rows[TransferTask].append(key | values)
            tally.created += 1
        else:
            tally.count(False, set_changed(found, **values))
    for task in by_key.values():
        session.delete(task)
        tally.deleted += 1
