"""Reads of learning requests: the coordinators' aggregate (no names) and a person's own list."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lms.accounts.models import Department, User
from lms.assessment.models import LearningRequest, RequestStatus
from lms.catalog.models import Activity, Status
from lms.framework.models import Competence, CompetenceArea


@dataclass
class DepartmentCount:
    department_id: int | None  # None: the person had no department
    name: str
    count: int


@dataclass
class CompetenceRequests:
    """The open wishes in one competence: counts per department and the texts, never who."""

    competence_id: int
    area_code: str
    area_name: str
    code: str
    name: str
    departments: list[DepartmentCount] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(d.count for d in self.departments)


def _count(entry: CompetenceRequests, department_id: int | None, name: str | None) -> None:
    for counted in entry.departments:
        if counted.department_id == department_id:
            counted.count += 1
            return
    entry.departments.append(DepartmentCount(department_id, name or "", 1))


def list_request_summary(session: Session) -> list[CompetenceRequests]:
    """Open wishes per competence (framework order): per department counts and the texts.

    One query whatever the number of wishes; it selects no person, so no name can leak.
    """
    rows = session.execute(
        select(
            LearningRequest.competence_id,
            LearningRequest.department_id,
            LearningRequest.text,
            Competence.code,
            Competence.name,
            CompetenceArea.code,
            CompetenceArea.name,
            Department.name,
        )
        .join(Competence, Competence.id == LearningRequest.competence_id)
        .join(CompetenceArea, CompetenceArea.id == Competence.area_id)
        .outerjoin(Department, Department.id == LearningRequest.department_id)
        .where(LearningRequest.status == RequestStatus.OPEN)
        .order_by(
            CompetenceArea.position,
            Competence.position,
            Competence.code,
            LearningRequest.created_at,
            LearningRequest.id,
        )
    )
    found: dict[int, CompetenceRequests] = {}
    for competence_id, department_id, text, code, name, area_code, area_name, dept in rows:
        entry = found.get(competence_id)
        if entry is None:
            entry = found[competence_id] = CompetenceRequests(
                competence_id, area_code, area_name, code, name
            )
        _count(entry, department_id, dept)
        entry.texts.append(text)
    for entry in found.values():
        entry.departments.sort(key=lambda d: (d.department_id is None, d.name))
    return list(found.values())


def list_answer_activities(session: Session) -> list[tuple[int, str]]:
    """(id, title) of every published activity, for the coordinators' answer form."""
    rows = session.execute(
        select(Activity.id, Activity.title)
        .where(Activity.status == Status.PUBLISHED)
        .order_by(Activity.title, Activity.id)
    )
    return [(activity_id, title) for activity_id, title in rows]


def list_my_requests(session: Session, user: User) -> list[LearningRequest]:
    """The wishes made for `user` (by them or their manager), newest first, with the answers."""
    return list(
        session.scalars(
            select(LearningRequest)
            .options(
                joinedload(LearningRequest.competence).joinedload(Competence.area),
                joinedload(LearningRequest.answer_activity),
            )
            .where(LearningRequest.user_id == user.id)
            .order_by(LearningRequest.created_at.desc(), LearningRequest.id.desc())
        )
    )
