"""Programme rules: validation, who may manage which programme, which programmes a reader sees,
and that a change of period or coverage rebuilds the ESF summaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from lms.accounts.models import ReportScope, User
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.errors import PermissionDenied, ValidationError
from lms.reports import esf_summary
from lms.reports.esf_data import Coverage
from lms.reports.models import Programme
from lms.reports.programmes import (
    ProgrammeData,
    create_programme,
    delete_programme,
    get_programme,
    list_programmes,
    may_manage_programme,
    programme_coverage,
    programme_slug,
    update_programme,
)
from tests import factories


@pytest.fixture
def world(session) -> dict[str, Any]:
    kultur = factories.organisation(session, "Kulturförvaltningen")
    nacka = factories.organisation(session, "Nacka kommun")
    return {
        "kultur": kultur,
        "nacka": nacka,
        "bibliotek": factories.department(session, "Stadsbiblioteket", kultur),
        "museum": factories.department(session, "Stadsmuseet", kultur),
        "forum": factories.department(session, "Forumbiblioteken", nacka),
    }


@pytest.fixture
def rebuilt(monkeypatch) -> list[str]:
    """The slugs whose summaries were rebuilt (the real rebuild runs too)."""
    calls: list[str] = []
    real = esf_summary.rebuild_programme

    def record(session, programme) -> None:
        calls.append(programme.slug)
        real(session, programme)

    monkeypatch.setattr(esf_summary, "rebuild_programme", record)
    return calls


def coordinator(session, world, scope: ReportScope, dept: str = "bibliotek") -> User:
    user = factories.user(session, permissions=Permission.COORDINATOR, dept=world[dept])
    user.report_scope = scope
    return user


def data(**changes: Any) -> ProgrammeData:
    base = ProgrammeData(
        name="Digitalt kompetenslyft",
        starts_on=date(2023, 9, 1),
        ends_on=date(2026, 3, 31),
        description="ESF-finansierat kompetenslyft.",
        target_participants=1098,
        target_hours=18920,
        target_hours_per_participant=Decimal("18"),
    )
    return replace(base, **changes)


def test_slug_is_the_name_in_lowercase_ascii_with_hyphens() -> None:
    assert programme_slug("Digitalt kompetenslyft") == "digitalt-kompetenslyft"
    assert programme_slug("Åre, Älvdalen & Östra Göinge 2024!") == "are-alvdalen-ostra-goinge-2024"
    assert programme_slug("!!!") == ""


def test_create_sets_everything_audits_and_builds_the_summaries(session, world, rebuilt) -> None:
    admin = factories.admin(session)
    programme = create_programme(
        session,
        admin,
        data(organisation_ids=[world["kultur"].id], department_ids=[world["forum"].id]),
    )
    assert programme.slug == "digitalt-kompetenslyft"
    assert (programme.target_participants, programme.target_hours) == (1098, 18920)
    assert programme.target_hours_per_participant == 18.0
    assert programme_coverage(programme) == Coverage(
        organisation_ids=frozenset({world["kultur"].id}),
        department_ids=frozenset({world["forum"].id}),
    )
    assert rebuilt == ["digitalt-kompetenslyft"]
    assert programme.summary_built_at is not None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "programme.create"))
    assert event is not None and event.object_id == str(programme.id)


def test_targets_are_optional_and_hours_per_participant_may_have_decimals(session, world) -> None:
    programme = create_programme(
        session,
        factories.admin(session),
        data(
            target_participants=None, target_hours=None,
            target_hours_per_participant=Decimal("17.5"), department_ids=[world["museum"].id],
        ),
    )  # fmt: skip
    assert programme.target_participants is None and programme.target_hours is None
    assert programme.target_hours_per_participant == 17.5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "???"}, "name"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": date(2023, 8, 31)}, "ends_on"),
        ({"target_participants": 0}, "target_participants"),
        ({"target_participants": -5}, "target_participants"),
        ({"target_participants": 10**12}, "target_participants"),
        ({"target_hours": 10**10}, "target_hours"),
        ({"target_hours": True}, "target_hours"),
        ({"target_hours_per_participant": Decimal("0")}, "target_hours_per_participant"),
        ({"target_hours_per_participant": Decimal("-1")}, "target_hours_per_participant"),
        ({"target_hours_per_participant": Decimal("1e9")}, "target_hours_per_participant"),
        ({"target_hours_per_participant": "many"}, "target_hours_per_participant"),
        ({"description": "x" * 5001}, "description"),
        ({"organisation_ids": [], "department_ids": []}, "targets"),
        ({"organisation_ids": [999_999]}, "targets"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(
    session, world, changes, field
) -> None:
    admin = factories.admin(session)
    values = {"organisation_ids": [world["kultur"].id], **changes}
    with pytest.raises(ValidationError) as raised:
        create_programme(session, admin, data(**values))
    assert raised.value.field == field
    assert session.scalar(select(Programme.id)) is None


def test_a_name_already_taken_is_refused_with_a_clear_error(session, world) -> None:
    admin = factories.admin(session)
    create_programme(session, admin, data(organisation_ids=[world["kultur"].id]))
    with pytest.raises(ValidationError) as raised:
        create_programme(
            session,
            admin,
            data(name="DIGITALT  kompetenslyft", organisation_ids=[world["nacka"].id]),
        )
    assert raised.value.field == "name"
    other = create_programme(
        session, admin, data(name="Digitalt kompetenslyft 2", organisation_ids=[world["nacka"].id])
    )
    with pytest.raises(ValidationError):  # renaming onto it is refused too
        update_programme(
            session,
            admin,
            other,
            data(name="Digitalt Kompetenslyft", organisation_ids=[world["nacka"].id]),
        )


def test_update_keeps_the_slug_and_rebuilds_only_when_period_or_coverage_change(
    session, world, rebuilt
) -> None:
    admin = factories.admin(session)
    programme = create_programme(session, admin, data(organisation_ids=[world["kultur"].id]))
    rebuilt.clear()
    update_programme(
        session, admin, programme, data(name="Kompetenslyft", organisation_ids=[world["kultur"].id])
    )
    assert (programme.slug, programme.name, rebuilt) == (
        "digitalt-kompetenslyft",
        "Kompetenslyft",
        [],
    )
    update_programme(
        session, admin, programme,
        data(ends_on=date(2026, 6, 30), organisation_ids=[world["kultur"].id]),
    )  # fmt: skip
    update_programme(
        session, admin, programme,
        data(ends_on=date(2026, 6, 30), organisation_ids=[], department_ids=[world["forum"].id]),
    )  # fmt: skip
    assert rebuilt == ["digitalt-kompetenslyft"] * 2
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "programme")
    )
    assert list(actions).count("programme.update") == 3


def test_a_refused_update_changes_nothing(session, world) -> None:
    admin = factories.admin(session)
    programme = create_programme(session, admin, data(organisation_ids=[world["kultur"].id]))
    with pytest.raises(ValidationError):
        update_programme(
            session, admin, programme,
            data(name="Nytt namn", target_hours=-1, organisation_ids=[world["nacka"].id]),
        )  # fmt: skip
    assert programme.name == "Digitalt kompetenslyft"
    assert [o.id for o in programme.organisations] == [world["kultur"].id]


def test_delete_removes_the_programme_and_audits(session, world) -> None:
    admin = factories.admin(session)
    programme = create_programme(session, admin, data(organisation_ids=[world["kultur"].id]))
    programme_id = programme.id
    delete_programme(session, admin, programme)
    assert session.get(Programme, programme_id) is None
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "programme.delete"))


def test_coordinators_with_scope_all_and_admins_manage_any_programme(session, world) -> None:
    everyone = coordinator(session, world, ReportScope.ALL)
    programme = create_programme(
        session, everyone, data(organisation_ids=[world["kultur"].id, world["nacka"].id])
    )
    assert may_manage_programme(everyone, programme)
    assert may_manage_programme(factories.admin(session), programme)


def test_an_organisation_coordinator_manages_only_programmes_within_their_organisation(
    session, world
) -> None:
    own = coordinator(session, world, ReportScope.ORGANISATION)
    mine = create_programme(
        session,
        own,
        data(organisation_ids=[world["kultur"].id], department_ids=[world["museum"].id]),
    )
    assert may_manage_programme(own, mine)
    with pytest.raises(ValidationError) as raised:
        create_programme(session, own, data(name="Nacka", department_ids=[world["forum"].id]))
    assert raised.value.field == "targets"
    shared = create_programme(
        session,
        factories.admin(session),
        data(name="Gemensamt", organisation_ids=[world["kultur"].id, world["nacka"].id]),
    )
    assert not may_manage_programme(own, shared)
    with pytest.raises(PermissionDenied):
        update_programme(session, own, shared, data(organisation_ids=[world["kultur"].id]))
    with pytest.raises(PermissionDenied):
        delete_programme(session, own, shared)


@pytest.mark.parametrize("permissions", [Permission.NONE, Permission.MANAGER, Permission.REPORTING])
def test_department_coordinators_and_others_manage_no_programme(
    session, world, permissions
) -> None:
    reader = coordinator(session, world, ReportScope.DEPARTMENT)
    other = factories.user(session, permissions=permissions, dept=world["bibliotek"])
    for user in (reader, other):
        with pytest.raises(PermissionDenied):
            create_programme(session, user, data(department_ids=[world["bibliotek"].id]))
    programme = create_programme(
        session, factories.admin(session), data(department_ids=[world["bibliotek"].id])
    )
    assert not may_manage_programme(reader, programme)
    with pytest.raises(PermissionDenied):
        delete_programme(session, reader, programme)


@pytest.fixture
def four(session, world) -> dict[str, Programme]:
    """Whole Kultur; the library only; the museum only; Nacka's Forum only."""
    admin = factories.admin(session)
    made = {
        "kultur": data(name="Hela kultur", organisation_ids=[world["kultur"].id]),
        "bibliotek": data(name="Biblioteket", department_ids=[world["bibliotek"].id]),
        "museum": data(name="Museet", department_ids=[world["museum"].id]),
        "forum": data(name="Forum", department_ids=[world["forum"].id]),
    }
    return {key: create_programme(session, admin, value) for key, value in made.items()}


def _names(programmes: list[Programme]) -> set[str]:
    return {programme.name for programme in programmes}


def test_readers_see_the_programmes_their_coverage_meets(session, world, four) -> None:
    assert _names(list_programmes(session, None)) == {p.name for p in four.values()}
    organisation = Coverage(organisation_ids=frozenset({world["kultur"].id}))
    assert _names(list_programmes(session, organisation)) == {
        "Hela kultur",
        "Biblioteket",
        "Museet",
    }
    department = Coverage(department_ids=frozenset({world["bibliotek"].id}))
    assert _names(list_programmes(session, department)) == {"Hela kultur", "Biblioteket"}
    assert list_programmes(session, Coverage()) == []


def test_get_programme_is_none_when_unknown_or_not_visible(session, world, four) -> None:
    department = Coverage(department_ids=frozenset({world["bibliotek"].id}))
    assert get_programme(session, "biblioteket", department) is four["bibliotek"]
    assert get_programme(session, "museet", department) is None
    assert get_programme(session, "museet", None) is four["museum"]
    assert get_programme(session, "finns-inte", None) is None
    assert get_programme(session, "x" * 500, None) is None


def test_listing_takes_a_constant_number_of_queries(session, world, four, count_queries) -> None:
    session.expire_all()
    with count_queries() as counter:
        found = list_programmes(session, None)
        _ = [(p.organisations, [d.organisation.name for d in p.departments]) for p in found]
    assert counter.count <= 4
