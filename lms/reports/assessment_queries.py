"""Reads for assessment analytics: a round's ratings and population as plain rows, in a few big
queries (only the columns the figures need: never a comment, never a name of a person).

Every read takes the reader's `coverage` (`lms.reports.scope.reader_coverage`; None: everything).
A person passes when their organisation is one of the coverage's organisations or their
department one of its departments: for an assessment, the department it was made in (its
snapshot; the person's current organisation when the snapshot has no department), for a
targeted person without an assessment, their current department and organisation. The filter
is part of each query, so a scoped report takes as many queries as a whole one."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from lms.accounts.models import Department, JobRole, Organisation, User
from lms.assessment.models import (
    COUNTED_STATUSES,
    Assessment,
    AssessmentRound,
    Rating,
    round_departments,
    round_organisations,
)
from lms.assessment.rounds_base import targeted_user_ids
from lms.framework.models import Competence, CompetenceArea, RoleExpectation
from lms.reports.assessment_metrics import Person, RatingTuple
from lms.reports.esf_data import Coverage

_COUNTED = Assessment.status.in_(COUNTED_STATUSES)
_RATED = or_(Rating.self_level.is_not(None), Rating.agreed_level.is_not(None))


def get_round(session: Session, round_id: int) -> AssessmentRound | None:
    return session.get(AssessmentRound, round_id)


def get_round_by_name(session: Session, name: str) -> AssessmentRound | None:
    return session.scalar(select(AssessmentRound).where(AssessmentRound.name == name))


def _either(parts: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """Any of `parts`; nothing passes when there are none (an empty coverage)."""
    return or_(*parts) if parts else false()


def assessment_in(coverage: Coverage) -> ColumnElement[bool]:
    """Whether an assessment was made within `coverage`: its department (snapshot) is covered
    or belongs to a covered organisation; without a department, the person's organisation."""
    departments, organisations = sorted(coverage.department_ids), sorted(coverage.organisation_ids)
    parts: list[ColumnElement[bool]] = []
    if departments:
        parts.append(Assessment.department_id.in_(departments))
    if organisations:
        parts.append(
            Assessment.department_id.in_(
                select(Department.id).where(Department.organisation_id.in_(organisations))
            )
        )
        parts.append(
            and_(
                Assessment.department_id.is_(None),
                Assessment.user_id.in_(
                    select(User.id).where(User.organisation_id.in_(organisations))
                ),
            )
        )
    return _either(parts)


def _person_in(person: Any, coverage: Coverage) -> ColumnElement[bool]:
    """Whether a person (the `users` table or an alias of it) is now within `coverage`."""
    parts: list[ColumnElement[bool]] = []
    if coverage.department_ids:
        parts.append(person.department_id.in_(sorted(coverage.department_ids)))
    if coverage.organisation_ids:
        parts.append(person.organisation_id.in_(sorted(coverage.organisation_ids)))
    return _either(parts)


def _scoped(condition: Any, coverage: Coverage | None) -> tuple[ColumnElement[bool], ...]:
    """The WHERE clauses limiting a read to `coverage`: none when it covers everything."""
    return () if coverage is None else (condition(coverage),)


def round_meets(coverage: Coverage) -> ColumnElement[bool]:
    """Whether a round targets anyone within `coverage`: one of its organisations is covered
    or holds a covered department, or one of its departments is covered or belongs to a
    covered organisation."""
    departments, organisations = sorted(coverage.department_ids), sorted(coverage.organisation_ids)
    by_organisation: list[ColumnElement[bool]] = []
    by_department: list[ColumnElement[bool]] = []
    if organisations:
        by_organisation.append(round_organisations.c.organisation_id.in_(organisations))
        by_department.append(
            round_departments.c.department_id.in_(
                select(Department.id).where(Department.organisation_id.in_(organisations))
            )
        )
    if departments:
        by_organisation.append(
            round_organisations.c.organisation_id.in_(
                select(Department.organisation_id).where(Department.id.in_(departments))
            )
        )
        by_department.append(round_departments.c.department_id.in_(departments))
    if not by_organisation:
        return false()
    return or_(
        exists().where(
            round_organisations.c.round_id == AssessmentRound.id, _either(by_organisation)
        ),
        exists().where(round_departments.c.round_id == AssessmentRound.id, _either(by_department)),
    )


def list_report_rounds(session: Session, coverage: Coverage | None = None) -> list[AssessmentRound]:
    """Every round (that targets anyone within `coverage`), newest first."""
    return list(
        session.scalars(
            select(AssessmentRound)
            .where(*_scoped(round_meets, coverage))
            .order_by(AssessmentRound.opens_on.desc(), AssessmentRound.id.desc())
        )
    )


def list_scope_names(
    session: Session, coverage: Coverage
) -> tuple[list[str], list[tuple[str, str]]]:
    """The names of a coverage, for saying what a report covers: its organisations, and its
    departments as (department, organisation), each sorted by name (one query)."""
    departments = select(Organisation.name, Department.name.label("department")).join(
        Department, Department.organisation_id == Organisation.id
    )
    stmt = union_all(
        select(Organisation.name, cast(null(), String).label("department")).where(
            Organisation.id.in_(sorted(coverage.organisation_ids))
        ),
        departments.where(Department.id.in_(sorted(coverage.department_ids))),
    )
    organisations: list[str] = []
    named: list[tuple[str, str]] = []
    for organisation, department in session.execute(stmt):
        if department is None:
            organisations.append(organisation)
        else:
            named.append((department, organisation))
    return sorted(organisations, key=str.casefold), sorted(
        named, key=lambda pair: (pair[0].casefold(), pair[1].casefold())
    )


def list_rating_rows(
    session: Session, round_id: int, coverage: Coverage | None = None
) -> list[RatingTuple]:
    """Each rating of the round's counted assessments (made within `coverage`) as a tuple in
    RatingRow's field order, with the expected level for the role the assessment was made in
    (its snapshot); ratings without any level are left out."""
    stmt = (
        select(
            Assessment.user_id,
            Competence.code.label("competence"),
            CompetenceArea.code.label("area"),
            Rating.self_level,
            Rating.agreed_level,
            Rating.motivation,
            RoleExpectation.level.label("expected"),
        )
        .select_from(Rating)
        .join(Assessment, Assessment.id == Rating.assessment_id)
        .join(Competence, Competence.id == Rating.competence_id)
        .join(CompetenceArea, CompetenceArea.id == Competence.area_id)
        .outerjoin(
            RoleExpectation,
            and_(
                RoleExpectation.job_role_id == Assessment.job_role_id,
                RoleExpectation.competence_id == Rating.competence_id,
            ),
        )
        .where(Assessment.round_id == round_id, _COUNTED, _RATED, *_scoped(assessment_in, coverage))
    )
    return _plain_rows(session, stmt)  # tuples of the columns above


def _plain_rows(session: Session, stmt: Executable) -> list[tuple[Any, ...]]:
    """The rows as the database driver returns them: plain tuples.

    A large round has hundreds of thousands of ratings, and building SQLAlchemy's Row objects
    for them costs as much as the query (DESIGN asks for a 20,000-person round in under 2 s).
    The statement still runs through SQLAlchemy (events, logging, query counts see it); only
    the rows skip the Row wrapper, which is safe because every column here is an integer or a
    string, which the drivers return as Python values already.
    """
    result = session.connection().execute(stmt)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _population(
    round_id: int, coverage: Coverage | None = None
) -> Select[tuple[int, int | None, int | None]]:
    """(user, job role, department) of everyone the round concerns (within `coverage`).

    Those with a counted assessment, and the targeted active people; the role and department
    are the assessment's snapshot when the person has one in the round, else their current.
    """
    person = aliased(User)  # targeted_user_ids selects from `users` itself: keep it apart
    with_assessment = select(
        Assessment.user_id, Assessment.job_role_id, Assessment.department_id
    ).where(
        Assessment.round_id == round_id,
        or_(_COUNTED, Assessment.user_id.in_(targeted_user_ids(round_id))),
        *_scoped(assessment_in, coverage),
    )
    without = select(person.id, person.job_role_id, person.department_id).where(
        person.id.in_(targeted_user_ids(round_id)),
        ~exists().where(Assessment.round_id == round_id, Assessment.user_id == person.id),
        *_scoped(lambda covered: _person_in(person, covered), coverage),
    )
    return union_all(with_assessment, without)  # type: ignore[return-value]


def list_applicable_codes(session: Session) -> dict[int, frozenset[str]]:
    """Job role id → the competence codes with an expected level for it."""
    rows = session.execute(
        select(RoleExpectation.job_role_id, Competence.code).join(
            Competence, Competence.id == RoleExpectation.competence_id
        )
    )
    codes: dict[int, set[str]] = defaultdict(set)
    for role_id, code in rows:
        codes[role_id].add(code)
    return {role_id: frozenset(found) for role_id, found in codes.items()}


def list_round_people(
    session: Session, round_id: int, coverage: Coverage | None = None
) -> list[Person]:
    """Everyone the round concerns (within `coverage`), keyed by department and job role names."""
    applicable = list_applicable_codes(session)
    population = _population(round_id, coverage).subquery()
    stmt = (
        select(
            population.c.user_id,
            population.c.job_role_id,
            Organisation.name,
            Department.name,
            JobRole.name,
        )
        .select_from(population)
        .outerjoin(Department, Department.id == population.c.department_id)
        .outerjoin(Organisation, Organisation.id == Department.organisation_id)
        .outerjoin(JobRole, JobRole.id == population.c.job_role_id)
    )
    nothing: frozenset[str] = frozenset()
    return [
        Person(
            user_id,
            (organisation, department) if department is not None else None,
            role,
            applicable.get(role_id, nothing) if role_id is not None else nothing,
        )
        for user_id, role_id, organisation, department, role in session.execute(stmt)
    ]


def count_respondents_by_round(
    session: Session, coverage: Coverage | None = None
) -> dict[int, int]:
    """Round id → people with at least one rating in a counted assessment (within `coverage`)."""
    rows = session.execute(
        select(Assessment.round_id, func.count(func.distinct(Assessment.user_id)))
        .join(Rating, Rating.assessment_id == Assessment.id)
        .where(_COUNTED, _RATED, *_scoped(assessment_in, coverage))
        .group_by(Assessment.round_id)
    )
    return {round_id: count for round_id, count in rows}


def count_applicable_ratings(
    session: Session, coverage: Coverage | None = None
) -> dict[int, dict[int, int]]:
    """Round id → competence id → ratings of it by people to whom it applies (within
    `coverage`)."""
    rows = session.execute(
        select(Assessment.round_id, Rating.competence_id, func.count())
        .select_from(Rating)
        .join(Assessment, Assessment.id == Rating.assessment_id)
        .join(
            RoleExpectation,
            and_(
                RoleExpectation.job_role_id == Assessment.job_role_id,
                RoleExpectation.competence_id == Rating.competence_id,
            ),
        )
        .where(_COUNTED, _RATED, *_scoped(assessment_in, coverage))
        .group_by(Assessment.round_id, Rating.competence_id)
    )
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for round_id, competence_id, count in rows:
        counts[round_id][competence_id] = count
    return dict(counts)


def count_population_by_role(
    session: Session, round_ids: list[int], coverage: Coverage | None = None
) -> dict[int, dict[int, int]]:
    """Round id → job role id → people the round concerns in that role (within `coverage`;
    one query)."""
    if not round_ids:
        return {}
    parts = []
    for round_id in round_ids:
        population = _population(round_id, coverage).subquery()
        parts.append(
            select(
                literal(round_id).label("round_id"),
                population.c.job_role_id,
                func.count().label("people"),
            )
            .where(population.c.job_role_id.is_not(None))
            .group_by(population.c.job_role_id)
        )
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for round_id, role_id, people in session.execute(union_all(*parts)):
        counts[round_id][role_id] = people
    return dict(counts)


def list_expectations(session: Session) -> dict[int, frozenset[int]]:
    """Job role id → ids of the competences that apply to it."""
    codes: dict[int, set[int]] = defaultdict(set)
    for role_id, competence_id in session.execute(
        select(RoleExpectation.job_role_id, RoleExpectation.competence_id)
    ):
        codes[role_id].add(competence_id)
    return {role_id: frozenset(found) for role_id, found in codes.items()}


def list_framework_names(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    """Area code → name and competence code → name, for labelling the figures."""
    rows = session.execute(
        select(CompetenceArea.code, CompetenceArea.name, Competence.code, Competence.name).join(
            Competence, Competence.area_id == CompetenceArea.id, isouter=True
        )
    )
    areas: dict[str, str] = {}
    competences: dict[str, str] = {}
    for area_code, area_name, code, name in rows:
        areas[area_code] = area_name
        if code is not None:
            competences[code] = name
    return areas, competences
