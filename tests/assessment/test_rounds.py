"""Round rules (create, change, delete) and the progress counts coordinators see."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, ReportScope, User
from lms.accounts.scope import Coverage, reader_coverage
from lms.assessment import round_queries as queries
from lms.assessment.models import AssessmentRound, AssessmentStatus
from lms.assessment.rounds import (
    create_round,
    delete_round,
    may_create_rounds,
    may_manage_round,
    update_round,
)
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.assessment.round_helpers import Org, coordinator, data, org
from tests.catalog.conftest import sv


@pytest.fixture
def place(session: Session) -> Org:
    return org(session)


def _field(error: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return error.value.field


# --- creating ------------------------------------------------------------------------------


def test_coordinator_creates_a_round_with_targets(session: Session, place: Org) -> None:
    boss = coordinator(session, dept=place.library)
    made = create_round(
        session,
        boss,
        data(
            name="  Skattning   hösten 2026 ",
            organisations=[place.nacka],
            departments=[place.school],
        ),
    )
    assert made.name == "Skattning hösten 2026"
    assert (made.opens_on, made.closes_on) == (date(2026, 11, 20), date(2026, 12, 10))
    assert made.organisations == [place.nacka] and made.departments == [place.school]
    assert made.created_by_id == boss.id and made.announced_at is None
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "assessment_round.create")
    ).one()
    assert event.object_id == str(made.id) and event.actor_id == boss.id


@pytest.mark.parametrize(
    "permission", [Permission.NONE, Permission.MANAGER, Permission.COURSE_OWNER]
)
def test_only_coordinators_and_admins_manage_rounds(
    session: Session, place: Org, permission: Permission
) -> None:
    person = factories.user(session, permissions=permission, dept=place.library)
    with pytest.raises(PermissionDenied):
        create_round(session, person, data(organisations=[place.culture]))
    existing = assessment_round(session, organisations=[place.culture])
    with pytest.raises(PermissionDenied):
        update_round(session, person, existing, data(organisations=[place.culture]))
    with pytest.raises(PermissionDenied):
        delete_round(session, person, existing)
    admin = factories.admin(session, dept=place.library)
    assert create_round(session, admin, data(name="Av admin", organisations=[place.culture]))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"closes_on": date(2026, 11, 19)}, "closes_on"),
        ({"organisations": []}, "targets"),
    ],
)
def test_bad_rounds_are_refused_with_the_field(
    session: Session, place: Org, changes: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"organisations": [place.culture], **changes}
    with pytest.raises(ValidationError) as error:
        create_round(session, coordinator(session), data(**values))  # type: ignore[arg-type]
    assert _field(error) == field
    assert session.scalar(select(AssessmentRound.id)) is None


def test_a_round_may_open_and_close_on_the_same_day(session: Session, place: Org) -> None:
    one_day = data(closes_on=date(2026, 11, 20), organisations=[place.culture])
    assert create_round(session, coordinator(session), one_day).closes_on == date(2026, 11, 20)


def test_names_are_unique(session: Session, place: Org) -> None:
    boss = coordinator(session)
    create_round(session, boss, data(organisations=[place.culture]))
    with pytest.raises(ValidationError) as error:
        create_round(session, boss, data(name="Skattning  hösten 2026", departments=[place.forum]))
    assert _field(error) == "name"
    assert str(error.value) == sv("Another assessment round already has this name.")


def test_unknown_targets_are_refused(session: Session, place: Org) -> None:
    bad = data(organisations=[place.culture])
    bad.department_ids = [999_999]
    with pytest.raises(ValidationError) as error:
        create_round(session, coordinator(session), bad)
    assert _field(error) == "targets"


# --- changing ------------------------------------------------------------------------------


def test_a_round_not_yet_announced_may_change_everything(session: Session, place: Org) -> None:
    boss = coordinator(session)
    made = create_round(session, boss, data(organisations=[place.culture]))
    changed = data(
        name="Skattning vintern 2026",
        opens_on=date(2026, 12, 1),
        closes_on=date(2026, 12, 5),
        departments=[place.forum],
    )
    update_round(session, boss, made, changed)
    assert (made.name, made.opens_on, made.closes_on) == (
        "Skattning vintern 2026",
        date(2026, 12, 1),
        date(2026, 12, 5),
    )
    assert made.organisations == [] and made.departments == [place.forum]


def test_keeping_its_own_name_is_not_a_duplicate(session: Session, place: Org) -> None:
    boss = coordinator(session)
    made = create_round(session, boss, data(organisations=[place.culture]))
    update_round(session, boss, made, data(organisations=[place.nacka]))
    assert made.organisations == [place.nacka]


def test_an_announced_round_keeps_its_start_and_may_only_be_extended(
    session: Session, place: Org
) -> None:
    boss = coordinator(session)
    made = create_round(session, boss, data(organisations=[place.culture]))
    made.announced_at = datetime(2026, 11, 20, 5, 10, tzinfo=UTC)
    with pytest.raises(ValidationError) as moved:
        update_round(
            session, boss, made, data(opens_on=date(2026, 11, 21), organisations=[place.culture])
        )
    assert _field(moved) == "opens_on"
    with pytest.raises(ValidationError) as shortened:
        update_round(
            session, boss, made, data(closes_on=date(2026, 12, 9), organisations=[place.culture])
        )
    assert _field(shortened) == "closes_on"
    update_round(
        session, boss, made, data(closes_on=date(2026, 12, 17), organisations=[place.culture])
    )
    assert (made.opens_on, made.closes_on) == (date(2026, 11, 20), date(2026, 12, 17))


# --- deleting ------------------------------------------------------------------------------


def test_a_round_nobody_answered_can_be_deleted(session: Session, place: Org) -> None:
    boss = coordinator(session)
    made = create_round(session, boss, data(organisations=[place.culture]))
    delete_round(session, boss, made)
    assert session.scalar(select(AssessmentRound.id)) is None


def test_a_round_with_an_assessment_cannot_be_deleted(session: Session, place: Org) -> None:
    boss = coordinator(session)
    made = create_round(session, boss, data(organisations=[place.culture]))
    person = factories.user(session, dept=place.library)
    assessment(session, person, made, {}, status=AssessmentStatus.DRAFT)
    with pytest.raises(Conflict):
        delete_round(session, boss, made)
    assert session.get(AssessmentRound, made.id) is not None


# --- reading -------------------------------------------------------------------------------


def test_rounds_are_listed_newest_first(session: Session, place: Org) -> None:
    old = assessment_round(
        session, "Våren 2025", opens_on=date(2025, 3, 1), organisations=[place.culture]
    )
    new = assessment_round(
        session, "Våren 2026", opens_on=date(2026, 3, 2), departments=[place.forum]
    )
    listed = queries.list_rounds(session, None)
    assert listed == [new, old]
    assert listed[0].departments == [place.forum]


def _progress_world(session: Session, place: Org) -> tuple[AssessmentRound, AssessmentRound]:
    """Hand-checked: targets are Kulturförvaltningen and the department Forumbiblioteken."""
    round_ = assessment_round(session, organisations=[place.culture], departments=[place.forum])
    other = assessment_round(session, "En annan omgång", organisations=[place.culture])
    S, R, F, D = (
        AssessmentStatus.SUBMITTED,
        AssessmentStatus.REVIEWED,
        AssessmentStatus.FOLLOWED_UP,
        AssessmentStatus.DRAFT,
    )

    def person(dept: Department) -> User:
        return factories.user(session, dept=dept)

    for status in (S, R, D, F):
        assessment(session, person(place.library), round_, {"4.2": (3, 4)}, status=status)
    person(place.library)  # has not started
    person(place.library).is_active = False  # not counted: not targeted, no assessment
    person(place.school)  # has not started
    moved = person(place.library)
    assessment(session, moved, round_, {}, status=S)
    moved.department_id = place.school.id  # counted where they answered: Stadsbiblioteket
    person(place.library).department_id = None  # in the organisation, no department
    unplaced = assessment(session, person(place.library), round_, {}, status=S)
    unplaced.department_id = None  # answered while without a department
    assessment(session, person(place.forum), round_, {}, status=S)
    left = person(place.forum)
    assessment(session, left, round_, {}, status=S)
    left.is_active = False  # still counted: they answered
    person(place.diesel)  # not targeted
    assessment(session, person(place.diesel), round_, {}, status=S)  # answered, then untargeted
    # In another round only (and not yet started in this one):
    assessment(session, person(place.library), other, {}, status=R)
    session.flush()
    return round_, other


def _rows(progress: queries.RoundProgress) -> list[tuple[str, str | None, int, int, int]]:
    return [
        (r.organisation, r.department, r.targeted, r.submitted, r.reviewed) for r in progress.rows
    ]


def test_progress_counts_per_department_with_the_assessments_department(
    session: Session, place: Org
) -> None:
    round_, other = _progress_world(session, place)

    progress = queries.count_progress(session, round_, None)

    rows = [
        (r.organisation, r.department, r.targeted, r.submitted, r.reviewed) for r in progress.rows
    ]
    assert rows == [
        ("Kulturförvaltningen", None, 2, 1, 0),
        ("Kulturförvaltningen", "Kulturskolan", 1, 0, 0),
        ("Kulturförvaltningen", "Stadsbiblioteket", 7, 4, 2),
        ("Nacka kommun", "Dieselverkstadens bibliotek", 1, 1, 0),
        ("Nacka kommun", "Forumbiblioteken", 2, 2, 0),
    ]
    library = progress.rows[2]
    assert library.share_submitted == pytest.approx(4 / 7)
    assert library.share_reviewed == pytest.approx(2 / 7)
    total = progress.total
    assert (total.targeted, total.submitted, total.reviewed) == (13, 8, 2)
    totals = queries.count_round_totals(session, [round_, other], None)
    assert totals[round_.id] == total
    assert (totals[other.id].targeted, totals[other.id].submitted) == (10, 1)


def test_a_round_without_people_counts_zero(session: Session, place: Org) -> None:
    empty = assessment_round(session, departments=[place.diesel])
    progress = queries.count_progress(session, empty, None)
    assert progress.rows == [] and progress.total.targeted == 0
    assert progress.total.share_submitted is None
    assert queries.count_round_totals(session, [empty], None)[empty.id] == queries.ProgressCount()
    assert queries.count_round_totals(session, [], None) == {}


# --- report scope: who finds, counts and manages which round --------------------------------

CULTURE_ROWS = [
    ("Kulturförvaltningen", None, 2, 1, 0),
    ("Kulturförvaltningen", "Kulturskolan", 1, 0, 0),
    ("Kulturförvaltningen", "Stadsbiblioteket", 7, 4, 2),
]


def test_a_scoped_reader_counts_only_the_people_of_their_coverage(
    session: Session, place: Org
) -> None:
    round_, other = _progress_world(session, place)
    culture = Coverage(organisation_ids=frozenset({place.culture.id}))
    nacka = Coverage(organisation_ids=frozenset({place.nacka.id}))
    forum = Coverage(department_ids=frozenset({place.forum.id}))
    school = Coverage(department_ids=frozenset({place.school.id}))

    assert _rows(queries.count_progress(session, round_, culture)) == CULTURE_ROWS
    assert _rows(queries.count_progress(session, round_, nacka)) == [
        ("Nacka kommun", "Dieselverkstadens bibliotek", 1, 1, 0),
        ("Nacka kommun", "Forumbiblioteken", 2, 2, 0),
    ]
    assert _rows(queries.count_progress(session, round_, forum)) == [
        ("Nacka kommun", "Forumbiblioteken", 2, 2, 0)
    ]
    assert _rows(queries.count_progress(session, round_, school)) == [
        ("Kulturförvaltningen", "Kulturskolan", 1, 0, 0)
    ]
    assert queries.count_progress(session, round_, Coverage()).rows == []
    for coverage in (culture, nacka, forum, school, Coverage()):
        total = queries.count_progress(session, round_, coverage).total
        assert queries.count_round_totals(session, [round_, other], coverage)[round_.id] == total
    culture_total = queries.count_round_totals(session, [round_], culture)[round_.id]
    assert (culture_total.targeted, culture_total.submitted, culture_total.reviewed) == (10, 5, 2)


def test_a_reader_finds_only_the_rounds_that_target_some_of_their_coverage(
    session: Session, place: Org
) -> None:
    of_culture = assessment_round(session, "Kultur", organisations=[place.culture])
    of_school = assessment_round(session, "Skolan", departments=[place.school])
    of_nacka = assessment_round(session, "Nacka", organisations=[place.nacka])
    of_forum = assessment_round(session, "Forum", departments=[place.forum])
    shared = assessment_round(session, "Båda", departments=[place.library, place.forum])
    every = {of_culture, of_school, of_nacka, of_forum, shared}
    culture = Coverage(organisation_ids=frozenset({place.culture.id}))
    library = Coverage(department_ids=frozenset({place.library.id}))
    forum = Coverage(department_ids=frozenset({place.forum.id}))

    def found(coverage: Coverage | None) -> set[AssessmentRound]:
        return set(queries.list_rounds(session, coverage))

    assert found(None) == every
    assert found(culture) == {of_culture, of_school, shared}
    # A department sees its organisation's whole-organisation rounds and its own.
    assert found(library) == {of_culture, shared}
    assert found(forum) == {of_nacka, of_forum, shared}
    assert found(Coverage()) == set()
    for round_ in every:
        expected = round_ if round_ in found(culture) else None
        assert queries.get_round(session, round_.id, culture) is expected
        assert queries.get_round(session, round_.id, None) is round_
    assert queries.get_round(session, 999_999, None) is None


def test_an_organisation_coordinator_manages_rounds_within_their_organisation(
    session: Session, place: Org
) -> None:
    boss = coordinator(session, ReportScope.ORGANISATION, dept=place.library)
    assert reader_coverage(boss) == Coverage(organisation_ids=frozenset({place.culture.id}))
    assert may_create_rounds(boss)
    own = create_round(session, boss, data(organisations=[place.culture]))
    assert may_manage_round(boss, own)
    update_round(session, boss, own, data(name="Egen", departments=[place.school]))
    assert own.departments == [place.school]
    for targets in (
        {"organisations": [place.nacka]},
        {"departments": [place.forum]},
        {"organisations": [place.culture], "departments": [place.diesel]},
    ):
        with pytest.raises(ValidationError) as refused:
            create_round(session, boss, data(name="Utanför", **targets))
        assert _field(refused) == "targets"
        with pytest.raises(ValidationError) as refused:
            update_round(session, boss, own, data(name="Egen", **targets))
        assert _field(refused) == "targets"
    assert own.departments == [place.school] and own.organisations == []
    delete_round(session, boss, own)


def test_an_organisation_coordinator_may_not_manage_a_round_reaching_outside(
    session: Session, place: Org
) -> None:
    boss = coordinator(session, ReportScope.ORGANISATION, dept=place.library)
    for targets in (
        {"organisations": [place.nacka]},
        {"organisations": [place.culture], "departments": [place.forum]},
    ):
        outside = assessment_round(session, f"Runda {len(targets)}", **targets)
        assert not may_manage_round(boss, outside)
        with pytest.raises(PermissionDenied):
            update_round(session, boss, outside, data(name="Ändrad", organisations=[place.culture]))
        with pytest.raises(PermissionDenied):
            delete_round(session, boss, outside)
        assert outside.name.startswith("Runda")


@pytest.mark.parametrize("dept_attr", ["library", None])
def test_a_department_coordinator_only_reads(
    session: Session, place: Org, dept_attr: str | None
) -> None:
    boss = coordinator(session, ReportScope.DEPARTMENT, dept=place.library)
    if dept_attr is None:
        boss.department_id = None
        expected = Coverage()
    else:
        expected = Coverage(department_ids=frozenset({place.library.id}))
    assert reader_coverage(boss) == expected
    own = assessment_round(session, organisations=[place.culture])
    assert not may_create_rounds(boss) and not may_manage_round(boss, own)
    with pytest.raises(PermissionDenied):
        create_round(session, boss, data(name="Ny", departments=[place.library]))
    with pytest.raises(PermissionDenied):
        update_round(session, boss, own, data(name="Ny", departments=[place.library]))
    with pytest.raises(PermissionDenied):
        delete_round(session, boss, own)


@pytest.mark.parametrize("who", ["admin", "all"])
def test_admins_and_scope_all_manage_every_round(session: Session, place: Org, who: str) -> None:
    if who == "admin":
        person = factories.admin(session, dept=place.library)
    else:
        person = coordinator(session, ReportScope.ALL, dept=place.library)
    assert reader_coverage(person) is None
    shared = assessment_round(session, organisations=[place.culture, place.nacka])
    assert may_manage_round(person, shared)
    update_round(session, person, shared, data(name="Ändrad", departments=[place.diesel]))
    assert shared.departments == [place.diesel]
    delete_round(session, person, shared)
