"""Writing the synthetic organisation of `recommend_data` into a migrated database, fast.

Core bulk inserts with the generator's own ids (so the database and the plain data name the
same rows), in chunks; on PostgreSQL the id sequences are moved past them and the tables
analysed, as autovacuum would after a bulk load.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from recommend_data import Organisation
from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session

from lms.accounts.models import Department, JobRole, User
from lms.accounts.models import Organisation as OrganisationRow
from lms.assessment.models import (
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    GoalActivity,
    PlanGoal,
    Rating,
    round_organisations,
)
from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    ActivitySession,
    SessionSeat,
    ThemeMonth,
    ThemeMonthActivity,
    activity_departments,
    activity_job_roles,
)
from lms.core.time import local_date
from lms.framework.models import Competence, CompetenceArea, RoleExpectation
from lms.progress.models import Booking, Completion
from lms.recommend.models import NotInterested

CHUNK = 10_000
FIRST = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Mohammed", "Eva", "Ali")
LAST = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
        "Persson", "Svensson", "Gustafsson", "Hassan", "Lindberg")  # fmt: skip
# Tables given explicit ids, whose PostgreSQL sequences must then move past them.
SEQUENCED = ("organisations", "departments", "job_roles", "competence_areas", "competences",
             "activities", "sessions", "users", "assessment_rounds", "assessments",
             "development_plans", "plan_goals", "theme_months")  # fmt: skip


def _put(session: Session, table: Table | Any, rows: Iterable[dict[str, Any]]) -> int:
    """Insert `rows` into `table` (a Table or a mapped class) in chunks; how many."""
    target = table if isinstance(table, Table) else table.__table__
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            session.execute(insert(target), batch)
            count, batch = count + len(batch), []
    if batch:
        session.execute(insert(target), batch)
        count += len(batch)
    return count


def _framework(session: Session, org: Organisation) -> None:
    area_ids = {code: n for n, (code, _) in enumerate(org.areas, start=1)}
    _put(session, CompetenceArea, (
        {"id": n, "code": code, "name": name, "position": n}
        for code, n in area_ids.items() for name in [dict(org.areas)[code]]
    ))  # fmt: skip
    _put(session, Competence, (
        {"id": c, "area_id": area_ids[area], "code": code, "name": name, "digcomp": None,
         "description": "", "levels": {}, "position": c}
        for c, (area, code, name) in org.competences.items()
    ))  # fmt: skip
    _put(session, JobRole, ({"id": r, "name": name} for r, name in org.roles.items()))
    _put(session, RoleExpectation, (
        {"job_role_id": r, "competence_id": c, "level": level}
        for r, expected in org.expected.items() for c, level in expected.items()
    ))  # fmt: skip


def _catalogue(session: Session, org: Organisation) -> None:
    now = org.now
    _put(session, Activity, (
        {"id": a.id, "slug": f"aktivitet-{a.id:05d}", "title": a.title,
         "summary": "Praktisk träning för arbetsplatsen.", "body": "", "body_html": "",
         "quiz": [], "format": a.format, "level": a.level, "delivery": "digital",
         "minutes": a.minutes, "status": a.status, "language": "sv",
         "is_repeatable": a.is_repeatable, "url": None, "created_at": now, "updated_at": now,
         "published_at": None if a.status == "draft" else now}
        for a in org.activities.values()
    ))  # fmt: skip
    _put(session, ActivityCompetence, (
        {"activity_id": a.id, "competence_id": c, "weight": w, "position": p}
        for a in org.activities.values() for p, (c, w) in enumerate(a.competences.items())
    ))  # fmt: skip
    _put(session, activity_departments, (
        {"activity_id": a.id, "department_id": d}
        for a in org.activities.values() for d in sorted(a.departments)
    ))  # fmt: skip
    _put(session, activity_job_roles, (
        {"activity_id": a.id, "job_role_id": r}
        for a in org.activities.values() for r in sorted(a.job_roles)
    ))  # fmt: skip
    sessions = [(a, s) for a in org.activities.values() for s in a.sessions]
    _put(session, ActivitySession, (
        {"id": s.id, "activity_id": a.id, "starts_at": s.starts_at,
         "ends_at": s.starts_at + timedelta(minutes=max(a.minutes, 30)),
         "place": "Kulturhuset, sal 3", "online_url": None, "capacity": s.capacity,
         "is_cancelled": s.is_cancelled, "booking_deadline": None, "cancel_deadline": None,
         "sequence": 0}
        for a, s in sessions
    ))  # fmt: skip
    _put(session, SessionSeat, (
        {"session_id": s.id, "seat": seat} for _, s in sessions
        for seat in range(1, s.capacity + 1)
    ))  # fmt: skip
    _put(session, Booking, (
        {"session_id": s.id, "user_id": u, "status": "booked", "seat": seat,
         "attendance": None, "is_walk_in": False, "created_at": now}
        for _, s in sessions for seat, u in enumerate(s.booked, start=1)
    ))  # fmt: skip
    today = local_date(now)
    _put(session, ThemeMonth, [{
        "id": 1, "year": today.year, "month": today.month, "slug": "informationssakerhet",
        "title": org.theme_title, "intro": "Månadens tema.", "intro_html": "<p>Månadens tema.</p>",
        "status": "published", "published_at": now, "announced_at": now,
    }])  # fmt: skip
    _put(session, ThemeMonthActivity, (
        {"theme_month_id": 1, "activity_id": a, "position": p}
        for p, a in enumerate(org.theme_activity_ids)
    ))  # fmt: skip


def _people(session: Session, org: Organisation, password_hash: str, signed_in: set[int]) -> None:
    now = org.now
    _put(session, OrganisationRow, [{"id": 1, "name": "Kulturförvaltningen"}])
    _put(session, Department, (
        {"id": d, "organisation_id": 1, "name": name, "parent_id": None}
        for d, name in org.departments.items()
    ))  # fmt: skip
    _put(session, User, (
        {"id": p.id, "email": f"person{p.id:05d}@kultur.example.se",
         "name": f"{FIRST[p.id % len(FIRST)]} {LAST[p.id // 7 % len(LAST)]}",
         "organisation_id": 1, "department_id": p.department_id, "job_role_id": p.job_role_id,
         "manager_id": None, "gender": ("woman", "man", "unstated")[p.id % 3],
         "is_protected_identity": False, "permissions": 0, "is_active": True,
         "password_hash": password_hash if p.id in signed_in else None,
         "session_version": 1, "language": None, "created_at": now, "last_login_at": None}
        for p in org.people.values()
    ))  # fmt: skip


def _assessments(session: Session, org: Organisation) -> None:
    now = org.now
    opens = local_date(now - timedelta(days=40))
    _put(session, AssessmentRound, [{
        "id": 1, "name": "Skattning hösten", "opens_on": opens,
        "closes_on": local_date(now - timedelta(days=10)), "created_at": now,
    }])  # fmt: skip
    _put(session, round_organisations, [{"round_id": 1, "organisation_id": 1}])
    assessed = [p for p in org.people.values() if p.self_levels]
    _put(session, Assessment, (
        {"id": p.id, "round_id": 1, "user_id": p.id,
         "status": "reviewed" if p.agreed_levels else "submitted", "job_role_id": p.job_role_id,
         "department_id": p.department_id, "created_at": now, "updated_at": now,
         "submitted_at": now - timedelta(days=20), "conversation_notes": "",
         "follow_up_notes": ""}
        for p in assessed
    ))  # fmt: skip
    _put(session, Rating, (
        {"assessment_id": p.id, "competence_id": c, "self_level": level,
         "motivation": p.motivation[c], "comment": "", "agreed_level": p.agreed_levels.get(c),
         "agreed_by_id": None, "agreed_at": now if c in p.agreed_levels else None,
         "updated_at": now}
        for p in assessed for c, level in p.self_levels.items()
    ))  # fmt: skip
    planned = [p for p in assessed if p.goals]
    _put(session, DevelopmentPlan, (
        {"id": p.id, "assessment_id": p.id, "user_id": p.id, "created_by_id": None,
         "created_at": now, "updated_at": now}
        for p in planned
    ))  # fmt: skip
    _put(session, PlanGoal, (
        {"id": g.id, "plan_id": p.id, "competence_id": g.competence_id,
         "target_level": g.target_level, "due_on": None, "status": "planned", "note": "",
         "position": n, "created_at": now}
        for p in planned for n, g in enumerate(p.goals)
    ))  # fmt: skip
    _put(session, GoalActivity, (
        {"goal_id": g.id, "activity_id": a, "position": n, "completed_at": None}
        for p in planned for g in p.goals for n, a in enumerate(g.activity_ids)
    ))  # fmt: skip


def _doings(session: Session, org: Organisation) -> None:
    now = org.now
    _put(session, Completion, (
        {"user_id": p.id, "activity_id": a, "session_id": None,
         "occurrence_key": f"activity:{a}", "title": org.activities[a].title,
         "completed_at": when, "completed_on": local_date(when),
         "credited_minutes": org.activities[a].minutes, "source": "catalogue",
         "verified_by_id": None, "department_id": p.department_id, "organisation_id": 1,
         "is_pre_task_missing": False, "created_at": when}
        for p in org.people.values() for a, when in p.completed.items()
    ))  # fmt: skip
    _put(session, NotInterested, (
        {"user_id": p.id, "activity_id": a, "created_at": now}
        for p in org.people.values() for a in sorted(p.not_interested)
    ))  # fmt: skip


def write_organisation(
    session: Session, org: Organisation, *, password_hash: str, signed_in: set[int]
) -> None:
    """Everything the recommender reads, committed; `signed_in` people get the password."""
    _framework(session, org)
    _people(session, org, password_hash, signed_in)
    _catalogue(session, org)
    _assessments(session, org)
    _doings(session, org)
    if session.get_bind().dialect.name == "postgresql":
        for table in SEQUENCED:
            session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            ))  # fmt: skip
        session.commit()
        session.execute(text("ANALYZE"))
    session.commit()
