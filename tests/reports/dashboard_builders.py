"""A small hand-built programme for the dashboard tests: two organisations, completions through
the real services (esf_builders), feedback, and Transfer of Training tasks and answers.

    Kulturförvaltningen: Stadsbiblioteket (Anna, Bo, Cia), Stadsmuseet (Dan, Eva)
    Nacka kommun: Biblioteket (Fia, Gus)
    Programme 2024-01-01 – 2024-12-31 over both organisations; targets 10 people, 20 h, 2 h/p.

    Workshop "Verkstad" (60 min): Anna, Bo, Cia, Dan, Fia, with a required pre-task (done in
    time by Anna and Bo, late by Cia) and a required 14-day follow-up (answered on time by Anna
    and Fia, late by Bo and Dan, never by Cia). Nanolesson "Nano" (30 min): Anna, Eva, Gus.
    An import without activity (120 min) for Bo and an approved external training (90 min)
    for Fia. One completion before the programme (Eva, 2023-12-31 23:30 Stockholm time).
    Feedback: Verkstad 5, 4, 3 (Anna, Bo, Fia; two will use it); Nano 2, 4 (Anna, Gus).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation, ReportScope, User
from lms.catalog.models import Activity
from lms.core.access import Permission
from lms.progress.models import Completion, Feedback
from lms.reports.models import Programme
from lms.transfer.models import TaskResponse, TransferTask
from lms.transfer.services import answer_follow_up, answer_pre_task
from tests import factories
from tests.catalog import factories as cf
from tests.reports.esf_builders import complete, local, person, programme, unit
from tests.transfer import factories as tf


@dataclass
class World:
    kultur: Organisation
    nacka: Organisation
    depts: dict[str, Department]
    people: dict[str, User]
    programme: Programme
    workshop: Activity
    nano: Activity
    pre: TransferTask
    follow_up: TransferTask
    completions: dict[tuple[str, str], Completion] = field(default_factory=dict)


def coordinator(session: Session, dept: Department, scope: str = ReportScope.ORGANISATION) -> User:
    """A coordinator of `dept`'s organisation (or department) who can log in."""
    made = factories.user(session, permissions=Permission.COORDINATOR, dept=dept)
    made.report_scope = scope
    session.flush()
    return made


def feedback(session: Session, completion: Completion, rating: int, will_apply: bool) -> None:
    session.add(Feedback(completion_id=completion.id, rating=rating, will_apply=will_apply))
    session.flush()


def _follow_up_of(session: Session, completion: Completion) -> TaskResponse:
    return session.scalars(
        select(TaskResponse).where(TaskResponse.completion_id == completion.id)
    ).one()


def world(session: Session, *, slug: str = "lyftet") -> World:
    kultur, kultur_depts = unit(session, "Kulturförvaltningen", "Stadsbiblioteket", "Stadsmuseet")
    nacka, nacka_depts = unit(session, "Nacka kommun", "Biblioteket")
    depts = {**kultur_depts, **nacka_depts}
    homes = {
        "anna": "Stadsbiblioteket",
        "bo": "Stadsbiblioteket",
        "cia": "Stadsbiblioteket",
        "dan": "Stadsmuseet",
        "eva": "Stadsmuseet",
        "fia": "Biblioteket",
        "gus": "Biblioteket",
    }
    people = {
        name: person(session, depts[home].organisation, depts[home], name=name.title())
        for name, home in homes.items()
    }
    workshop = cf.activity(session, title="Verkstad", format="workshop", minutes=60)
    nano = cf.activity(session, title="Nano", format="nanolesson", minutes=30)
    pre = tf.task(session, workshop, title="Inför verkstaden")
    follow_up = tf.task(session, workshop, phase="follow_up", due_days=14)
    lyft = programme(
        session,
        date(2024, 1, 1),
        date(2024, 12, 31),
        organisations=[kultur, nacka],
        slug=slug,
        name="Lyftet",
        target_participants=10,
        target_hours=20,
        target_hours_per_participant=2,
    )
    made = World(kultur, nacka, depts, people, lyft, workshop, nano, pre, follow_up)
    _complete_everything(session, made)
    return made


def _complete_everything(session: Session, w: World) -> None:
    p = w.people
    # Anna and Bo prepare in time, Cia prepares afterwards, Dan and Fia not at all.
    for name in ("anna", "bo"):
        answer_pre_task(session, p[name], w.pre, text="Klart.", now=local(2024, 2, 1, 9))
    answer_pre_task(session, p["cia"], w.pre, text="Sent.", now=local(2024, 3, 20, 9))
    for name, day in (
        ("anna", date(2024, 2, 10)),
        ("bo", date(2024, 3, 5)),
        ("cia", date(2024, 3, 5)),
        ("dan", date(2024, 6, 1)),
        ("fia", date(2024, 6, 1)),
    ):
        w.completions[(name, "workshop")] = complete(session, p[name], day, 60, activity=w.workshop)
    for name, day in (
        ("anna", date(2024, 1, 15)),
        ("eva", date(2024, 4, 2)),
        ("gus", date(2024, 4, 2)),
    ):
        w.completions[(name, "nano")] = complete(session, p[name], day, 30, activity=w.nano)
    w.completions[("bo", "import")] = complete(session, p["bo"], date(2024, 5, 5), 120, "import")
    w.completions[("fia", "external")] = complete(
        session, p["fia"], date(2024, 8, 20), 90, "external"
    )
    complete(session, p["eva"], datetime(2023, 12, 31, 23, 30), 45, activity=w.nano)  # before
    # Follow-ups (due 14 days after each workshop), answered around midnight Stockholm time
    # of the due day: Anna (winter) and Fia (summer) at 23:30 on it, on time; Bo (winter) and
    # Dan (summer) at 00:30 the day after, late (their UTC date is still the due day). Cia
    # never answers: overdue.
    for name, on_time in (("anna", True), ("fia", True), ("bo", False), ("dan", False)):
        response = _follow_up_of(session, w.completions[(name, "workshop")])
        due = response.due_on
        assert due is not None
        day = due if on_time else due + timedelta(days=1)
        moment = local(day.year, day.month, day.day, *((23, 30) if on_time else (0, 30)))
        answer_follow_up(session, p[name], response, text="Provat.", now=moment)
    # Feedback: Verkstad 5, 4, 3 (two will apply it); Nano 2 and 4 (too few to show).
    for key, rating, apply in (
        (("anna", "workshop"), 5, True),
        (("bo", "workshop"), 4, True),
        (("fia", "workshop"), 3, False),
        (("anna", "nano"), 2, False),
        (("gus", "nano"), 4, True),
    ):
        feedback(session, w.completions[key], rating, apply)
    session.flush()
