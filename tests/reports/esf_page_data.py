"""A small world for the ESF report pages, exports and CLI tests: two organisations, a
programme over one of them plus one department of the other, people of every gender, every
source, one person who moved, a protected identity, and readers of each report scope.

    Kulturförvaltningen (whole)   Stadsbiblioteket: Anna (w), Bo (m), Fia (w, moved), Skyddad (w)
                                  Stadsmuseet:      Cia (nb), Dan (unstated), Fia after moving
    Nacka kommun                  Nacka bibliotek (in the programme): Eva (w)
                                  Nacka konsthall (not in it):        Gus (m)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation, ReportScope, User
from lms.catalog.models import Activity
from lms.core.access import Permission
from lms.reports.models import Programme
from tests import factories
from tests.catalog.factories import activity
from tests.reports.esf_builders import complete, local, move, person, programme, unit

START, END = date(2024, 1, 1), date(2024, 12, 31)


@dataclass
class World:
    culture: Organisation
    nacka: Organisation
    depts: dict[str, Department]
    programme: Programme
    people: dict[str, User] = field(default_factory=dict)
    readers: dict[str, User] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)


def build_world(session: Session, *, slug: str = "lyftet") -> World:
    """The world above (nothing committed)."""
    culture, culture_depts = unit(session, "Kulturförvaltningen", "Stadsbiblioteket", "Stadsmuseet")
    nacka, nacka_depts = unit(session, "Nacka kommun", "Nacka bibliotek", "Nacka konsthall")
    depts = {**culture_depts, **nacka_depts}
    lyft = programme(
        session,
        START,
        END,
        organisations=[culture],
        departments=[depts["Nacka bibliotek"]],
        slug=slug,
        name="Digitalt kompetenslyft",
        target_participants=10,
        target_hours=20,
        target_hours_per_participant=2.0,
    )
    world = World(culture, nacka, depts, lyft)
    _people(session, world)
    _completions(session, world)
    _readers(session, world)
    session.flush()
    return world


def _people(session: Session, world: World) -> None:
    plan = {
        "anna": ("Stadsbiblioteket", "woman"),
        "bo": ("Stadsbiblioteket", "man"),
        "fia": ("Stadsbiblioteket", "woman"),
        "skyddad": ("Stadsbiblioteket", "woman"),
        "cia": ("Stadsmuseet", "non_binary"),
        "dan": ("Stadsmuseet", "unstated"),
        "eva": ("Nacka bibliotek", "woman"),
        "gus": ("Nacka konsthall", "man"),
    }
    for key, (dept_name, gender) in plan.items():
        dept = world.depts[dept_name]
        world.people[key] = person(
            session,
            dept.organisation,
            dept,
            gender,
            name=f"{key.capitalize()} Testsson",
        )
    world.people["skyddad"].is_protected_identity = True


def _completions(session: Session, world: World) -> None:
    p = world.people
    world.activities["nano"] = activity(
        session, title="Säkra lösenord", format="nanolesson", competences={"4.1": 1.0}
    )
    world.activities["workshop"] = activity(
        session, title="Verkstad", format="workshop", competences={"1.1": 1.0, "4.1": 0.5}
    )
    complete(session, p["anna"], date(2024, 3, 5), 90, activity=world.activities["nano"])
    complete(session, p["anna"], local(2024, 3, 31, 23, 30), 30, "attendance",
             world.activities["workshop"])  # fmt: skip
    complete(session, p["anna"], date(2023, 12, 31), 60)  # before the programme
    complete(session, p["bo"], date(2024, 5, 10), 60, "import")
    complete(session, p["bo"], date(2024, 5, 11), 0, "import")  # no hours: not counted
    complete(session, p["skyddad"], date(2024, 5, 20), 30)
    complete(session, p["cia"], date(2024, 6, 1), 120, "external")
    complete(session, p["dan"], date(2024, 2, 1), 45, activity=world.activities["nano"])
    complete(session, p["eva"], date(2024, 7, 7), 75, "attendance", world.activities["workshop"])
    complete(session, p["gus"], date(2024, 7, 8), 600)  # not in the programme
    complete(session, p["fia"], date(2024, 4, 1), 60)
    move(session, p["fia"], world.depts["Stadsmuseet"])
    complete(session, p["fia"], date(2024, 8, 1), 30)
    p["dan"].is_active = False  # deactivated people's hours still count


def _reader(
    session: Session, dept: Department, scope: ReportScope, permissions: Permission
) -> User:
    made = factories.user(session, dept=dept, permissions=permissions)
    made.report_scope = scope
    return made


def _readers(session: Session, world: World) -> None:
    d = world.depts
    coordinator = Permission.COORDINATOR
    world.readers = {
        "admin": factories.user(session, dept=d["Nacka konsthall"], permissions=Permission.ADMIN),
        "org": _reader(session, d["Stadsbiblioteket"], ReportScope.ORGANISATION, coordinator),
        "dept": _reader(session, d["Stadsmuseet"], ReportScope.DEPARTMENT, coordinator),
        "nacka": _reader(session, d["Nacka konsthall"], ReportScope.ORGANISATION, coordinator),
        "all": _reader(session, d["Nacka konsthall"], ReportScope.ALL, coordinator),
        "reporting": _reader(
            session,
            d["Stadsbiblioteket"],
            ReportScope.ORGANISATION,
            coordinator | Permission.REPORTING,
        ),
        "employee": factories.user(session, dept=d["Stadsbiblioteket"]),
        "manager": factories.user(
            session, dept=d["Stadsbiblioteket"], permissions=Permission.MANAGER
        ),
    }
