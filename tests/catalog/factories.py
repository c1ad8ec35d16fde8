"""Catalogue test objects: a small framework, activities saved through the real service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, JobRole, User
from lms.catalog.models import Activity, ActivitySession, Lesson
from lms.catalog.services import ActivityData, render_body, save_activity
from lms.core.time import utcnow
from lms.framework.models import Competence, CompetenceArea, RoleExpectation, Subject
from lms.transfer.models import TransferTask
from tests import factories

_seq = count(1)

AREAS = {
    "1": "Informations- och datakunnighet",
    "2": "Kommunikation och samarbete",
    "3": "Digitalt innehållsskapande",
    "4": "Digital säkerhet",
    "5": "Problemlösning",
    "6": "Digitalisering",
}
COMPETENCES = {
    "1.1": "Söka och filtrera information",
    "1.2": "Källkritik och värdering av information",
    "2.1": "Kommunicera med digital teknik",
    "3.1": "Skapa digitalt innehåll",
    "4.1": "Skydda enheter",
    "4.2": "Skydda personuppgifter och integritet",
    "5.1": "Lösa tekniska problem",
    "6.1": "Leda digital utveckling",
}
SUBJECTS = {
    "digital-arbetsplats": "Digital arbetsplats",
    "digital-innovation": "Digital innovation",
}
QUIZ = """
```quiz
- question: Vad gör du med ett misstänkt mejl?
  kind: single
  options:
    - text: Klickar på länken
      feedback: Det är precis vad angriparen vill.
    - text: Rapporterar det
      correct: true
      feedback: Rätt – rapportera och radera.
- question: Vilka är tecken på nätfiske?
  kind: multiple
  options:
    - text: Brådska
      correct: true
      feedback: Rätt – brådska är ett klassiskt knep.
    - text: Korrekt svenska
      feedback: Felfri svenska betyder inte att mejlet är äkta.
    - text: Okänd avsändare
      correct: true
```
"""


@dataclass
class Framework:
    areas: dict[str, CompetenceArea] = field(default_factory=dict)
    competences: dict[str, Competence] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)


def framework(session: Session) -> Framework:
    """Six areas, a few competences with level texts, two subjects (created once per test)."""
    result = Framework()
    existing = {a.code: a for a in session.scalars(select(CompetenceArea))}
    for position, (code, name) in enumerate(AREAS.items()):
        area = existing.get(code) or CompetenceArea(code=code, name=name, position=position)
        session.add(area)
        result.areas[code] = area
    session.flush()
    known = {c.code: c for c in session.scalars(select(Competence))}
    for position, (code, name) in enumerate(COMPETENCES.items()):
        competence = known.get(code) or Competence(
            area=result.areas[code.split(".")[0]],
            code=code,
            name=name,
            digcomp=code,
            description=f"Beskrivning av {name.lower()}.",
            levels={str(n): f"Nivå {n} i {code}." for n in range(1, 6)},
            position=position,
        )
        session.add(competence)
        result.competences[code] = competence
    subjects = {s.slug: s for s in session.scalars(select(Subject))}
    for position, (slug, name) in enumerate(SUBJECTS.items()):
        subject = subjects.get(slug) or Subject(slug=slug, name=name, position=position)
        session.add(subject)
        result.subjects[slug] = subject
    session.flush()
    return result


def activity(
    session: Session,
    *,
    title: str | None = None,
    slug: str | None = None,
    summary: str = "",
    body: str = "",
    format: str = "nanolesson",
    level: str = "grund",
    delivery: str = "digital",
    minutes: int = 10,
    status: str = "published",
    competences: Mapping[str, float] | None = None,
    subjects: Sequence[str] = (),
    departments: Sequence[Department] = (),
    job_roles: Sequence[JobRole] = (),
    owners: Sequence[User] = (),
) -> Activity:
    """An activity saved with `save_activity` (so rendered, revisioned and indexed)."""
    fw = framework(session)
    n = next(_seq)
    data = ActivityData(
        title=title or f"Aktivitet {n}",
        summary=summary,
        body=body,
        format=format,
        level=level,
        delivery=delivery,
        minutes=minutes,
        status=status,
        competences=[(fw.competences[c], w) for c, w in (competences or {"4.1": 1.0}).items()],
        subjects=[fw.subjects[s] for s in subjects],
        departments=list(departments),
        job_roles=list(job_roles),
        owners=list(owners),
    )
    return save_activity(session, actor_id=None, slug=slug or f"aktivitet-{n}", data=data)


def session_of(
    session: Session,
    activity: Activity,
    *,
    starts_in: timedelta = timedelta(days=7),
    starts_at: datetime | None = None,
    minutes: int = 60,
    place: str = "Stadsbiblioteket, sal 2",
    online_url: str | None = None,
    capacity: int = 20,
    cancelled: bool = False,
    now: datetime | None = None,
) -> ActivitySession:
    start = starts_at or (now or utcnow()).replace(microsecond=0) + starts_in
    occurrence = ActivitySession(
        activity=activity,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        place=place,
        online_url=online_url,
        capacity=capacity,
        is_cancelled=cancelled,
    )
    session.add(occurrence)
    session.flush()
    return occurrence


def lesson(
    session: Session,
    course: Activity,
    *,
    title: str,
    slug: str,
    body: str = "",
    minutes: int = 5,
    required: bool = True,
) -> Lesson:
    html, quiz, problems = render_body(body)
    assert not problems, problems
    created = Lesson(
        course=course,
        position=len(course.lessons) + 1,
        slug=slug,
        title=title,
        minutes=minutes,
        is_required=required,
        body=body,
        body_html=html,
        quiz=quiz,
    )
    session.add(created)
    session.flush()
    return created


def pre_task(
    session: Session, activity: Activity, title: str, *, required: bool = True, position: int = 0
) -> TransferTask:
    task = TransferTask(
        activity_id=activity.id, phase="pre", title=title, is_required=required, position=position
    )
    session.add(task)
    session.flush()
    return task


def role_with_expectations(session: Session, name: str, expected: Mapping[str, int]) -> JobRole:
    fw = framework(session)
    role = factories.job_role(session, name)
    for code, level in expected.items():
        session.add(
            RoleExpectation(job_role_id=role.id, competence_id=fw.competences[code].id, level=level)
        )
    session.flush()
    return role
