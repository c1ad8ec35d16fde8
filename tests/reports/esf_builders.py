"""Hand-built ESF data: organisations, people and completions written through the real services
(so every signal fires and a programme's summary tables stay in step), and programmes.

    org, depts = unit(session, "Kulturförvaltningen", "Stadsbiblioteket", "Stadsmuseet")
    anna = person(session, org, depts["Stadsbiblioteket"], gender="woman")
    complete(session, anna, date(2024, 3, 5), 90)                      # noon Stockholm time
    complete(session, anna, local(2024, 3, 31, 23, 30), 30, source="attendance")
    lyft = programme(session, date(2024, 1, 1), date(2024, 12, 31), organisations=[org])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import count

from sqlalchemy.orm import Session

from lms.accounts import services as accounts
from lms.accounts.models import Department, Gender, Organisation, User
from lms.catalog.models import Activity
from lms.core.time import STOCKHOLM, utcnow
from lms.progress.models import Completion, ExternalLearning
from lms.progress.personal import decide_external_learning, report_external_learning
from lms.progress.services import record_completion
from lms.reports.models import Programme
from tests.catalog.factories import activity

_seq = count(1)
NOON = time(12, 0)


def unit(
    session: Session, organisation: str, *departments: str
) -> tuple[Organisation, dict[str, Department]]:
    """An organisation and its named departments (made once per test; reused by name)."""
    org = accounts.get_or_create_organisation(session, organisation)
    return org, {
        name: accounts.get_or_create_department(session, org, name) for name in departments
    }


def person(
    session: Session,
    org: Organisation,
    dept: Department | None = None,
    gender: str = Gender.WOMAN,
    *,
    manager: User | None = None,
    name: str | None = None,
) -> User:
    """Someone of `org`, in `dept` (None: no department), without a password (fast)."""
    n = next(_seq)
    return accounts.create_user(
        session,
        email=f"esf{n}@kultur.example.se",
        name=name or f"Deltagare {n}",
        organisation=org,
        department=dept,
        manager=manager,
        gender=Gender(gender),
    )


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A Stockholm wall-clock time as aware UTC (what completions store)."""
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM).astimezone(UTC)


def _moment(when: date | datetime) -> datetime:
    """A date means noon Stockholm time; a naive datetime is Stockholm local time."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            return when.replace(tzinfo=STOCKHOLM).astimezone(UTC)
        return when.astimezone(UTC)
    return datetime.combine(when, NOON, tzinfo=STOCKHOLM).astimezone(UTC)


def complete(
    session: Session,
    user: User,
    when: date | datetime,
    minutes: int,
    source: str = "catalogue",
    activity: Activity | None = None,
    *,
    title: str = "",
) -> Completion:
    """A completion of `user` (in their current department) through `record_completion`;
    each call is a new occurrence."""
    return record_completion(
        session,
        user,
        occurrence_key=f"{source}:esf-test-{next(_seq)}",
        activity=activity,
        title=title or ("" if activity is not None else "Extern utbildning"),
        minutes=minutes,
        source=source,
        completed_at=_moment(when),
    )


def move(session: Session, user: User, dept: Department | None) -> User:
    """The person changes department (their earlier completions keep the old one)."""
    user.department_id = dept.id if dept is not None else None
    session.flush()
    return user


def programme(
    session: Session,
    starts_on: date,
    ends_on: date,
    *,
    organisations: Sequence[Organisation] = (),
    departments: Sequence[Department] = (),
    slug: str | None = None,
    name: str = "Digitalt kompetenslyft",
    target_participants: int | None = None,
    target_hours: int | None = None,
    target_hours_per_participant: float | None = None,
) -> Programme:
    """A programme over whole `organisations` and single `departments` (summary not built)."""
    made = Programme(
        slug=slug or f"program-{next(_seq)}",
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        target_participants=target_participants,
        target_hours=target_hours,
        target_hours_per_participant=target_hours_per_participant,
        organisations=list(organisations),
        departments=list(departments),
    )
    session.add(made)
    session.flush()
    return made


# --- the hand-built scenario whose every figure the ESF tests check ---------------------------

PERIOD = (date(2024, 3, 1), date(2024, 5, 31))


@dataclass
class Scenario:
    """Two organisations, seven counted completions of five people in PERIOD and the
    near misses around it (see `scenario`)."""

    organisations: dict[str, Organisation]
    departments: dict[str, Department]
    people: dict[str, User]
    activities: dict[str, Activity]
    period: tuple[date, date] = PERIOD
    extra: dict[str, object] = field(default_factory=dict)


def scenario(session: Session) -> Scenario:
    """Counted, in 2024-03-01 – 2024-05-31 (Stockholm):

    anna (woman, Kulturförvaltningen/Stadsbiblioteket): nano 60 min catalogue 10 March;
        workshop 120 min attendance 5 April
    bo (man, Kulturförvaltningen/Stadsbiblioteket): nano 45 min catalogue 31 May 23:30 local
    cleo (non-binary, Kulturförvaltningen/Stadsmuseet): elearning 90 min import 1 March 00:30
    dag (unstated, Kulturförvaltningen, no department): approved external learning 30 min 15 April
    eva (woman, Nacka kommun/Konsthallen): workshop 120 min attendance 20 April; an import
        without an activity 60 min 2 May

    Not counted: fred's completions on 1 June 00:30 and 29 February 23:30 local, gus's
    zero-minute completion, anna's pending and bo's rejected external learning.
    Activities: nano (nanolesson, area 4), workshop (workshop, areas 1 and 4),
    elearning (elearning, area 2).
    """
    kultur, kultur_depts = unit(session, "Kulturförvaltningen", "Stadsbiblioteket", "Stadsmuseet")
    nacka, nacka_depts = unit(session, "Nacka kommun", "Konsthallen")
    depts = {**kultur_depts, **nacka_depts}
    library, museum = depts["Stadsbiblioteket"], depts["Stadsmuseet"]
    chef = person(session, kultur, library, "man", name="Chef Chefsson")
    people = {
        "anna": person(session, kultur, library, "woman", manager=chef, name="Anna"),
        "bo": person(session, kultur, library, "man", manager=chef, name="Bo"),
        "cleo": person(session, kultur, museum, "non_binary", name="Cleo"),
        "dag": person(session, kultur, None, "unstated", manager=chef, name="Dag"),
        "eva": person(session, nacka, depts["Konsthallen"], "woman", name="Eva"),
        "fred": person(session, kultur, library, "man", name="Fred"),
        "gus": person(session, kultur, museum, "woman", name="Gus"),
    }
    acts = {
        "nano": activity(session, title="Nano", format="nanolesson", competences={"4.1": 1.0}),
        "workshop": activity(
            session, title="Verkstad", format="workshop", competences={"1.1": 1.0, "4.2": 0.5}
        ),
        "elearning": activity(
            session, title="E-kurs", format="elearning", competences={"2.1": 1.0}
        ),
    }
    p, a = people, acts
    complete(session, p["anna"], date(2024, 3, 10), 60, "catalogue", a["nano"])
    complete(session, p["anna"], date(2024, 4, 5), 120, "attendance", a["workshop"])
    complete(session, p["bo"], local(2024, 5, 31, 23, 30), 45, "catalogue", a["nano"])
    complete(session, p["cleo"], local(2024, 3, 1, 0, 30), 90, "import", a["elearning"])
    _external(session, p["dag"], chef, date(2024, 4, 15), "0,5", approve=True)
    complete(session, p["eva"], date(2024, 4, 20), 120, "attendance", a["workshop"])
    complete(session, p["eva"], date(2024, 5, 2), 60, "import", title="Extern kurs")
    complete(session, p["fred"], local(2024, 6, 1, 0, 30), 60, "catalogue", a["nano"])
    complete(session, p["fred"], local(2024, 2, 29, 23, 30), 60, "attendance", a["workshop"])
    complete(session, p["gus"], date(2024, 4, 10), 0, "catalogue", a["nano"])
    _external(session, p["anna"], chef, date(2024, 4, 1), "2", approve=None)
    _external(session, p["bo"], chef, date(2024, 4, 2), "3", approve=False)
    organisations = {"Kulturförvaltningen": kultur, "Nacka kommun": nacka}
    return Scenario(organisations, depts, people, acts, extra={"chef": chef})


def _external(
    session: Session, user: User, manager: User, day: date, hours: str, *, approve: bool | None
) -> ExternalLearning:
    """An external learning report; decided by `manager` unless `approve` is None (pending)."""
    report = report_external_learning(
        session, user, title="Konferens", learned_on=day, hours=hours, description=""
    )
    if approve is not None:
        decide_external_learning(
            session,
            manager,
            report,
            approve=approve,
            comment="" if approve else "Nej",
            now=utcnow(),
        )
    return report
