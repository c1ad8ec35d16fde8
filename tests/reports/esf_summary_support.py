"""What the summary tests share: a small world of three organisations and two programmes, the
summary tables' contents, and the checks that incremental upkeep equals a fresh rebuild and
that the summary's aggregates equal the raw ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation, User
from lms.catalog.models import Activity, ActivitySession
from lms.catalog.schedule import sync_seats
from lms.core.access import Permission
from lms.progress import attendance
from lms.reports import esf_summary
from lms.reports.esf_data import Coverage, EsfFilter
from lms.reports.esf_queries import raw_aggregates
from lms.reports.esf_summary import rebuild_programme, summary_aggregates
from lms.reports.models import (
    Programme,
    ProgrammeActivityHours,
    ProgrammeMonthHours,
    ProgrammeParticipant,
)
from lms.reports.programmes import programme_coverage
from tests import factories
from tests.catalog import factories as catalog
from tests.reports.esf_builders import person, programme, unit

SUMMARIES = (ProgrammeParticipant, ProgrammeMonthHours, ProgrammeActivityHours)


@dataclass
class World:
    """Kulturförvaltningen takes part whole in `lyft` (2024), Nacka with Konsthallen only;
    `museer` (2024-03 – 2025-06) covers Stadsmuseet and Musikskolan; Solna takes no part."""

    orgs: dict[str, Organisation]
    depts: dict[str, Department]
    lyft: Programme
    museer: Programme
    owner: User
    nano: Activity
    workshop: Activity
    elearning: Activity
    people: dict[str, User] = field(default_factory=dict)

    @property
    def programmes(self) -> tuple[Programme, Programme]:
        return self.lyft, self.museer


def world(session: Session) -> World:
    kultur, kultur_depts = unit(session, "Kulturförvaltningen", "Stadsbiblioteket", "Stadsmuseet")
    nacka, nacka_depts = unit(session, "Nacka kommun", "Konsthallen", "Musikskolan")
    solna, solna_depts = unit(session, "Solna stad", "Biblioteket")
    depts = {**kultur_depts, **nacka_depts, **solna_depts}
    owner = factories.user(session, permissions=Permission.COURSE_OWNER, password=None)
    made = World(
        orgs={"kultur": kultur, "nacka": nacka, "solna": solna},
        depts=depts,
        lyft=programme(
            session, date(2024, 1, 1), date(2024, 12, 31), organisations=[kultur],
            departments=[depts["Konsthallen"]], slug="lyft",
        ),
        museer=programme(
            session, date(2024, 3, 1), date(2025, 6, 30),
            departments=[depts["Stadsmuseet"], depts["Musikskolan"]], slug="museer",
        ),
        owner=owner,
        nano=catalog.activity(session, title="Lösenord", competences={"4.1": 1.0}, minutes=10),
        workshop=catalog.activity(
            session, title="Workshop i källkritik", format="workshop", delivery="physical",
            competences={"1.2": 1.0, "4.2": 0.5}, owners=[owner],
        ),
        elearning=catalog.activity(
            session, title="Teams grund", format="elearning", competences={"2.1": 1.0}
        ),
    )  # fmt: skip
    genders = ("woman", "man", "non_binary", "unstated")
    for n, (name, org, dept) in enumerate(
        (
            ("anna", kultur, depts["Stadsbiblioteket"]),
            ("bo", kultur, depts["Stadsmuseet"]),
            ("cleo", kultur, None),
            ("dan", nacka, depts["Konsthallen"]),
            ("eva", nacka, depts["Musikskolan"]),
            ("fia", solna, depts["Biblioteket"]),
            ("gun", kultur, depts["Stadsbiblioteket"]),
        )
    ):
        made.people[name] = person(session, org, dept, gender=genders[n % 4], name=name.title())
    return made


def workshop_session(session: Session, w: World, starts: datetime) -> ActivitySession:
    """A two-hour session of the workshop (attendance credits 120 minutes)."""
    occurrence = catalog.session_of(session, w.workshop, starts_at=starts, minutes=120)
    sync_seats(session, occurrence)
    return occurrence


def attend(session: Session, w: World, occurrence: ActivitySession, *people: User) -> None:
    """The owner marks the people present (as walk-ins if they had not booked)."""
    ids = {p.id for p in people}
    attendance.mark_attendance(
        session, w.owner, occurrence, ids, set(), ids, now=occurrence.ends_at
    )


def no_show(session: Session, w: World, occurrence: ActivitySession, *people: User) -> None:
    """The owner corrects the people to no-show (taking their credited completion back)."""
    ids = {p.id for p in people}
    attendance.mark_attendance(
        session, w.owner, occurrence, set(), ids, set(), now=occurrence.ends_at
    )


def contents(session: Session, programme_: Programme) -> dict[str, list[tuple[Any, ...]]]:
    """Every summary row of the programme, sorted, per table."""
    found = {}
    for model in SUMMARIES:
        columns = [c for c in model.__table__.columns if c.name != "programme_id"]
        rows = session.execute(select(*columns).where(model.programme_id == programme_.id))
        found[model.__tablename__] = sorted(tuple(row) for row in rows)
    return found


def assert_rebuild_changes_nothing(session: Session, programme_: Programme) -> None:
    """The incrementally kept rows are exactly what a fresh rebuild writes."""
    kept = contents(session, programme_)
    rebuild_programme(session, programme_)
    assert kept == contents(session, programme_)


def reader_coverages(w: World) -> list[tuple[Coverage, ...]]:
    """Extra coverages to check: none, each organisation, single departments, a department
    filter inside an organisation coordinator's scope, and one that matches nothing."""
    orgs = [Coverage(organisation_ids=frozenset({o.id})) for o in w.orgs.values()]
    depts = [Coverage(department_ids=frozenset({d.id})) for d in w.depts.values()]
    return [
        (),
        *((c,) for c in orgs),
        *((c,) for c in depts),
        (orgs[0], depts[0]),
        (orgs[1], depts[0]),
        (Coverage(frozenset({w.orgs["nacka"].id}), frozenset({w.depts["Stadsmuseet"].id})),),
        (Coverage(),),
    ]


def assert_summary_equals_raw(
    session: Session, programme_: Programme, extra: Sequence[tuple[Coverage, ...]]
) -> None:
    """summary_aggregates == raw_aggregates for the programme and each extra coverage set,
    with and without the programme's own coverage among the summary's coverages."""
    own = programme_coverage(programme_)
    for coverages in extra:
        raw = raw_aggregates(
            session, EsfFilter(programme_.starts_on, programme_.ends_on, (own, *coverages))
        )
        assert summary_aggregates(session, programme_, (own, *coverages)) == raw, coverages
        assert summary_aggregates(session, programme_, tuple(coverages)) == raw, coverages


def built(session: Session, *programmes: Programme) -> None:
    for made in programmes:
        rebuild_programme(session, made)


def connect_upkeep() -> None:
    """The lead wires esf_summary.connect() in lms/app.py; connecting again is a no-op."""
    esf_summary.connect()
