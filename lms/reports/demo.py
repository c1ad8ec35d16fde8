"""The demo's learning history, so the ESF report and the dashboard show something real at
`make run`: about 800 completions from September 2023 to today, written through the real
services (catalogue and attendance of the shipped activities, an import of the project's
first months, external learning approved and rejected by managers), with feedback and
follow-up answers. The plan is `lms.reports.demo_plan`; loading it twice changes nothing.

The demo logins and the accounts the browser tests walk with are left out, so their journeys
start from a clean slate; one person moved department in 2025 and keeps their earlier hours
where they were done.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import Department, Organisation, ReportScope, User
from lms.catalog.models import Activity, ActivitySession, Status
from lms.catalog.schedule import sync_seats
from lms.core.access import Permission
from lms.core.outbox import MailStatus, OutboxEmail
from lms.core.time import STOCKHOLM, UTC
from lms.notify.models import Notification
from lms.progress.completions_import import import_completions, occurrence_key
from lms.progress.models import Completion, Feedback
from lms.progress.personal import decide_external_learning, report_external_learning
from lms.progress.services import record_completion
from lms.reports.demo_plan import HistoryPlan, PlannedCompletion, PlannedSession, plan_history
from lms.transfer.models import ResponseStatus, TaskKind, TaskPhase, TaskResponse, TransferTask
from lms.transfer.services import answer_follow_up, answer_pre_task

QUIET_DAYS = 7  # nothing in the last week: today's pages are the visitor's
REPORTER = "karin.holm@kultur.example.se"  # the coordinator who reports to the funder
# The demo logins and the accounts the browser tests own: no history for them.
LEFT_OUT = frozenset(
    f"{name}@kultur.example.se"
    for name in (
        "fatima.ahmed", "anders.lund", "maria.lindqvist", "karin.holm", "peter.sjoberg",
        "lan.nguyen", "zeynep.kaya", "klara.hedlund", "aleksandra.nowak",
    )
)  # fmt: skip
# The workshop series whose first session the transfer journey (a browser test) books and
# holds: it keeps only its upcoming sessions.
NO_PAST_SESSIONS = frozenset({"kallkritik-och-ai-pa-biblioteket-workshopserie"})
MOVED = ("daniel.persson@kultur.example.se", "Liljevalchs konsthall", date(2025, 1, 13))
# The project's first months, kept in a spreadsheet before Lärlyft: imported (title, day, hours).
IMPORTED = (
    ("Uppstartsdag Digitalt kompetenslyft", date(2023, 9, 14), 3),
    ("Digital mognad i kulturförvaltningen – workshop", date(2023, 10, 5), 2),
)
PREPARED = "Jag har läst igenom materialet och skrivit ner två frågor jag vill ha svar på."
REFLECTION = "Jag har provat det i mitt arbete och visat två kollegor hur det går till."
# (email, title, learned on, hours, description, decision: True approve / False reject / None)
EXTERNAL = (
    ("rebecka.olsson@kultur.example.se", "Internetdagarna 2024", date(2024, 11, 19), 6,
     "Två dagar om digital infrastruktur, AI och tillgänglighet.", True),
    ("nils.granberg@nacka.example.se", "Studiebesök på Oodi, Helsingfors centralbibliotek",
     date(2024, 5, 14), 7, "Makerspace, digital vägledning och bokningssystem.", True),
    ("sofia.ramirez@kultur.example.se", "Webbinarieserie om tillgänglighetsdirektivet",
     date(2025, 2, 12), 3, "Tre webbinarier från DIGG om de nya kraven.", True),
    ("ahmad.karimi@kultur.example.se", "Kurs i digital musikproduktion, Musikverket",
     date(2025, 10, 8), 12, "Ableton Live i undervisningen, två dagar.", True),
    ("viktor.holmberg@kultur.example.se", "Kurs i akvarellmålning", date(2025, 4, 5), 8,
     "Helgkurs på folkhögskola.", False),
    ("elif.demir@kultur.example.se", "Seminarium om AI och upphovsrätt, Bokmässan",
     date(2026, 9, 25), 2, "Panelsamtal om AI-genererade bilder i förmedlingen.", None),
)  # fmt: skip
REJECTED_BECAUSE = "Kursen gäller inte digital kompetens, så den räknas inte i projektet."


@dataclass
class DemoHistory:
    completions: int = 0  # recorded by this load
    skipped: bool = False  # already loaded

    def summary(self) -> str:
        if self.skipped:
            return "already loaded"
        return f"{self.completions} completions since September 2023"


def load_demo_history(session: Session, today: date) -> DemoHistory:
    """Load the history up to a week before `today` (the caller commits; safe to rerun).

    Needs the demo organisation and the shipped content. Also makes the coordinator Karin
    Holm the one who reports to the funder (scope "all", the REPORTING permission).
    """
    _make_reporter(session)
    if _already_loaded(session):
        return DemoHistory(skipped=True)
    people = _people(session)
    activities = _activities(session)
    plan = plan_history(sorted(people), [(a.slug, a.format) for a in activities.values()])
    pre_tasks = _pre_tasks(session)
    cutoff = today - timedelta(days=QUIET_DAYS)
    held = _hold_sessions(session, activities, plan, cutoff)
    moved_user, earlier, moved_on = _earlier_department(session, people)
    current = moved_user.department_id if moved_user else None
    if moved_user is not None:
        moved_user.department_id = earlier
    _import_first_months(session, sorted(people))
    before = _count(session)
    for planned in plan.completions:
        if planned.at.date() > cutoff or (planned.session and planned.session not in held):
            continue
        if moved_user is not None and people[planned.email] is moved_user:
            moved_user.department_id = earlier if planned.at.date() < moved_on else current
        activity = activities[planned.slug]
        _prepare(session, people[planned.email], pre_tasks.get(activity.id, []), planned, held)
        _complete(session, people[planned.email], activity, planned, held)
    if moved_user is not None:
        moved_user.department_id = current
    _external_learning(session, people, today)
    session.flush()
    return DemoHistory(completions=_count(session) - before)


def _make_reporter(session: Session) -> None:
    karin = session.scalar(select(User).where(User.email == REPORTER))
    if karin is not None:
        karin.report_scope = ReportScope.ALL
        karin.permissions = int(karin.permission_flags | Permission.REPORTING)


def _already_loaded(session: Session) -> bool:
    """The first import of the history is there (the whole history is one transaction)."""
    title, day, _hours = IMPORTED[0]
    key = occurrence_key(title, day)
    stmt = select(Completion.id).where(Completion.occurrence_key == key).limit(1)
    return session.scalar(stmt) is not None


def _count(session: Session) -> int:
    return len(session.scalars(select(Completion.id)).all())


def _people(session: Session) -> dict[str, User]:
    """Everyone active in the demo's organisations except the accounts left out."""
    stmt = select(User).join(Organisation).where(User.is_active.is_(True))
    return {u.email: u for u in session.scalars(stmt) if u.email not in LEFT_OUT}


def _activities(session: Session) -> dict[str, Activity]:
    stmt = (
        select(Activity)
        .where(Activity.status == Status.PUBLISHED)
        .options(selectinload(Activity.sessions), selectinload(Activity.owners))
    )
    return {activity.slug: activity for activity in session.scalars(stmt)}


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=STOCKHOLM).astimezone(UTC)


def _hold_sessions(
    session: Session, activities: dict[str, Activity], plan: HistoryPlan, cutoff: date
) -> dict[PlannedSession, ActivitySession]:
    """The past sessions, each like the activity's first scheduled one (time, place, length)."""
    held: dict[PlannedSession, ActivitySession] = {}
    for planned in plan.sessions:
        activity = activities.get(planned.slug)
        if activity is None or not activity.sessions or planned.day > cutoff:
            continue
        if planned.slug in NO_PAST_SESSIONS:
            continue
        model = min(activity.sessions, key=lambda s: s.starts_at)
        local = model.starts_at.astimezone(STOCKHOLM)
        starts_at = _at(planned.day, local.time())
        found = next((s for s in activity.sessions if s.starts_at == starts_at), None)
        if found is None:
            found = ActivitySession(
                activity=activity, starts_at=starts_at,
                ends_at=starts_at + (model.ends_at - model.starts_at), place=model.place,
                online_url=model.online_url, capacity=model.capacity,
            )  # fmt: skip
            session.add(found)
            sync_seats(session, found)
        held[planned] = found
    return held


def _earlier_department(
    session: Session, people: dict[str, User]
) -> tuple[User | None, int | None, date]:
    email, department, moved_on = MOVED
    user = people.get(email)
    earlier = session.scalar(
        select(Department.id).where(
            Department.name == department,
            Department.organisation_id == (user.organisation_id if user else None),
        )
    )
    if user is None or earlier is None:
        return None, None, moved_on
    return user, earlier, moved_on


def _import_first_months(session: Session, emails: list[str]) -> None:
    """The spreadsheet of the first months, through the real completions import."""
    rows = ["email,activity,completed_at,hours,title"]
    for index, (title, day, hours) in enumerate(IMPORTED):
        attended = emails[index::2] + emails[index::5]
        moment = f"{day.isoformat()}T13:00"
        rows += [f"{email},,{moment},{hours},{title}" for email in sorted(set(attended))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "forsta-manaderna.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        import_completions(session, path)


def _pre_tasks(session: Session) -> dict[int, list[TransferTask]]:
    """Each activity's preparation tasks that the person answers alone (not with the manager)."""
    stmt = (
        select(TransferTask)
        .where(TransferTask.phase == TaskPhase.PRE, TransferTask.kind != TaskKind.MANAGER)
        .order_by(TransferTask.id)
    )
    tasks: dict[int, list[TransferTask]] = {}
    for task in session.scalars(stmt):
        tasks.setdefault(task.activity_id, []).append(task)
    return tasks


def _prepare(
    session: Session,
    user: User,
    tasks: list[TransferTask],
    planned: PlannedCompletion,
    held: dict[PlannedSession, ActivitySession],
) -> None:
    """The conscientious half prepare two days before they take part."""
    if not planned.answers_follow_ups:
        return
    day = held[planned.session].starts_at if planned.session is not None else None
    before = (day or _at(planned.at.date(), planned.at.time())) - timedelta(days=2)
    for task in tasks:
        checked = range(len(task.items)) if task.kind == TaskKind.CHECKLIST else ()
        answer_pre_task(session, user, task, text=PREPARED, checked=checked, now=before)


def _complete(
    session: Session,
    user: User,
    activity: Activity,
    planned: PlannedCompletion,
    held: dict[PlannedSession, ActivitySession],
) -> None:
    owner = activity.owners[0].id if activity.owners else None
    if planned.session is not None:
        occasion = held[planned.session]
        completion = record_completion(
            session, user, occurrence_key=f"session:{occasion.id}", activity=activity,
            session_id=occasion.id, minutes=occasion.minutes, source="attendance",
            completed_at=occasion.ends_at, verified_by_id=owner,
        )  # fmt: skip
    else:
        completion = record_completion(
            session, user, occurrence_key=f"activity:{activity.id}", activity=activity,
            minutes=activity.minutes, source="catalogue",
            completed_at=_at(planned.at.date(), planned.at.time()),
        )  # fmt: skip
    if planned.feedback is not None:
        feedback = planned.feedback
        session.add(
            Feedback(
                completion_id=completion.id, rating=feedback.rating, comment=feedback.comment,
                will_apply=feedback.will_apply, created_at=completion.completed_at + feedback.after,
            )
        )  # fmt: skip
    _follow_through(session, user, completion, planned.answers_follow_ups)


def _follow_through(session: Session, user: User, completion: Completion, answers: bool) -> None:
    """Answer the follow-ups the person did; the others were reminded of back then."""
    responses = session.scalars(
        select(TaskResponse)
        .where(TaskResponse.completion_id == completion.id)
        .options(selectinload(TaskResponse.task))
    )
    for response in responses:
        due = response.due_on or completion.completed_on
        task: TransferTask = response.task
        if answers and task.kind != TaskKind.MANAGER:
            answered = _at(due - timedelta(days=2), time(10))
            checked = range(len(task.items)) if task.kind == TaskKind.CHECKLIST else ()
            answer_follow_up(
                session, user, response, text=REFLECTION, checked=checked, now=answered
            )
        if response.status != ResponseStatus.DONE:
            response.reminded_due_at = _at(due, time(8))
            response.reminded_overdue_at = _at(due + timedelta(days=7), time(8))


def _external_learning(session: Session, people: dict[str, User], today: date) -> None:
    for email, title, learned_on, hours, description, decision in EXTERNAL:
        user = people.get(email)
        if user is None or user.manager is None or learned_on > today:
            continue
        report = report_external_learning(
            session, user, title=title, learned_on=learned_on, hours=hours, description=description
        )
        report.created_at = _at(learned_on + timedelta(days=1), time(9))
        if decision is not None:
            decided = _at(learned_on + timedelta(days=4), time(10))
            decide_external_learning(
                session, user.manager, report, approve=decision,
                comment="" if decision else REJECTED_BECAUSE, now=decided,
            )  # fmt: skip
            _told_back_then(session, user, decided)


def _told_back_then(session: Session, user: User, decided: datetime) -> None:
    """The person heard of the decision when it was made: the mail went, the note was read."""
    kind = "external_learning_decided"
    session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.user_id == user.id, OutboxEmail.kind == kind)
        .where(OutboxEmail.status == MailStatus.PENDING)
        .values(status=MailStatus.SENT, created_at=decided, sent_at=decided, attempts=1)
    )
    session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.kind == kind)
        .where(Notification.read_at.is_(None))
        .values(created_at=decided, read_at=decided + timedelta(hours=2))
    )
