"""A small but complete world for the security walks: two organisations, a user per role, and
for every relation (self / report / other / none) one object of every kind a URL names.

    w = build_world(session)            # inside the test's rolled-back session; committed
    w.users["manager"]                  # the signed-in person of a role (None: anonymous)
    w.value("assessment", "manager", "report")   # an id to put in a URL, or None (no case)
    w.url(rule, "manager", "report")    # a URL of `rule` for that case, or None

Relations, seen from the signed-in person of a role:

- self:   their own object (their assessment, booking, notification…); for shared objects, the
          one in their reach (the published course of the course owner in organisation A, a
          programme or round of organisation A, their own department);
- report: an object of Rut, who reports to the manager: for the manager their report's, for
          everyone else a colleague's in the same team; for shared objects a draft of the course
          owner's, or another department of organisation A;
- other:  Olle's in the other team (organisation B, another manager); for shared objects
          another owner's draft, organisation B's programme, round, department, upload;
- none:   an id or slug that does not exist.

Everything is made through the services and the domain test factories, and committed (the
app's request sessions see it); the `session` fixture rolls it all back after the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from lms.accounts.models import Department, JobRole, ReportScope, User
from lms.assessment import plans
from lms.assessment import requests as learning_requests
from lms.assessment.models import AssessmentStatus, PlanGoal
from lms.catalog.models import Activity, ThemeStatus
from lms.catalog.uploads import store_upload
from lms.core.access import Permission
from lms.core.outbox import enqueue_email
from lms.core.time import utcnow
from lms.discover.feeds import create_department_feed
from lms.notify.services import notify, unsubscribe_token
from lms.progress import bookings, ical
from lms.progress.personal import report_external_learning
from tests import factories
from tests.assessment import factories as af
from tests.assessment.plan_helpers import EXPECTED, RATINGS
from tests.catalog import factories as cf
from tests.catalog.factories import role_with_expectations
from tests.discover import calendar_factories as calf
from tests.reports.esf_builders import programme
from tests.transfer import factories as tf

ROLES = (
    "anonymous",
    "employee",
    "manager",
    "course_owner",
    "coordinator",  # organisation-scoped reports
    "coordinator_all",  # report scope "all"
    "admin",
    "reporting",  # coordinator (organisation scope) holding REPORTING
)
RELATIONS = ("self", "report", "other", "none")
PERMISSIONS = {
    "employee": Permission.NONE,
    "manager": Permission.MANAGER,
    "course_owner": Permission.COURSE_OWNER,
    "coordinator": Permission.COORDINATOR,
    "coordinator_all": Permission.COORDINATOR,
    "admin": Permission.ADMIN,
    "reporting": Permission.COORDINATOR | Permission.REPORTING,
}
MISSING_ID = 987_654
MISSING_SLUG = "finns-inte"
MISSING_TOKEN = "A" * 43
# A 1×1 PNG: the upload check reads the magic bytes only.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

# What each URL argument names, by argument; ENDPOINT_KINDS overrides where a name is reused.
ARG_KINDS = {
    "assessment_id": "assessment",
    "goal_id": "goal",
    "booking_id": "booking",
    "completion_id": "completion",
    "response_id": "response",
    "report_id": "external",
    "notification_id": "notification",
    "mail_id": "mail",
    "user_id": "user",
    "slug": "course",
    "lesson_slug": "lesson",
    "session_id": "workshop_session",
    "task_id": "task",
    "number": "number",
    "theme_id": "theme",
    "year_month": "theme_month",
    "round_id": "round",
    "dept_id": "department",
    "department_id": "department",
    "role_id": "job_role",
    "feed_id": "shared_feed",
    "token": "shared_feed_token",
    "raw": "raw_token",
    "name": "upload",
    "filename": "static_file",
    "code": "area",
    "competence_id": "wished_competence",
    "activity_id": "theme_activity",
}
ENDPOINT_KINDS: dict[str, dict[str, str]] = {
    "bookings.feed": {"token": "personal_feed_token"},
    "notify.unsubscribe": {"token": "unsubscribe_token"},
    "bookings.coaching_slots": {"slug": "coaching"},
    "editor.add_session": {"slug": "workshop"},
    "editor.cancel_session": {"slug": "workshop"},
    "editor.delete_session": {"slug": "workshop"},
    "discover.subject": {"slug": "subject"},
    "discover.theme_month": {"slug": "theme_slug"},
    "esf_reports.programme": {"slug": "programme"},
    "esf_reports.programme_csv": {"slug": "programme"},
    "esf_reports.programme_xlsx": {"slug": "programme"},
    "esf_reports.people": {"slug": "programme"},
    "esf_reports.people_csv": {"slug": "programme"},
    "esf_reports.people_xlsx": {"slug": "programme"},
    "programmes.edit": {"slug": "programme"},
    "programmes.delete": {"slug": "programme"},
    "transfer.pre_task": {"task_id": "pre_task"},
    "plans.unlink_activity": {"activity_id": "goal_activity"},
    "assessment.step": {"number": "step"},
}
# Kinds whose objects belong to a person: self → the viewer's, report → Rut's, other → Olle's.
PERSONAL_KINDS = {
    "assessment",
    "goal",
    "goal_activity",
    "booking",
    "completion",
    "response",
    "external",
    "notification",
    "mail",
    "user",
    "personal_feed_token",
    "unsubscribe_token",
}


@dataclass
class Belongings:
    """One person's objects."""

    user: User
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, User]  # by role (anonymous absent)
    people: dict[str, Belongings]  # by role, plus "report" (Rut) and "other" (Olle)
    shared: dict[str, dict[str, Any]]  # kind → relation → value (a missing relation: no case)
    extra: dict[str, Any] = field(default_factory=dict)

    def value(self, kind: str, role: str, relation: str) -> Any:
        """The URL value of `kind` for the case; None when the world has no such case."""
        if kind in PERSONAL_KINDS:
            if relation == "none":
                return (
                    MISSING_ID
                    if kind not in ("personal_feed_token", "unsubscribe_token")
                    else (MISSING_TOKEN)
                )
            owner = role if relation == "self" else relation
            owner = "employee" if owner == "anonymous" else owner
            return self.people[owner].values[kind]
        return self.shared[kind].get(relation)

    def kinds(self, rule: Rule) -> dict[str, str]:
        """What each argument of `rule` names."""
        overrides = ENDPOINT_KINDS.get(rule.endpoint, {})
        return {arg: overrides.get(arg, ARG_KINDS[arg]) for arg in sorted(rule.arguments)}

    def url(self, rule: Rule, role: str, relation: str) -> str | None:
        """A URL of `rule` for the case, or None when the world has no object for it."""
        values = {}
        for arg, kind in self.kinds(rule).items():
            found = self.value(kind, role, relation)
            if found is None:
                return None
            values[arg] = found
        built = rule.build(values, append_unknown=False)
        assert built is not None, (rule.rule, values)
        return built[1]

    def relations(self, rule: Rule) -> tuple[str, ...]:
        """The relations a rule is requested with: all four when it names an object."""
        return RELATIONS if rule.arguments else ("-",)


def _person(
    session: Session,
    name: str,
    dept: Department,
    role: JobRole,
    permissions: Permission = Permission.NONE,
    manager: User | None = None,
    *,
    password: bool = True,
) -> User:
    slug = name.lower().replace(" ", ".")
    return factories.user(
        session,
        email=f"{slug}@world.example.se",
        name=name,
        dept=dept,
        role=role,
        manager=manager,
        permissions=permissions,
        password=factories.PASSWORD if password else None,
    )


def _course(
    session: Session, w: dict[str, Any], title: str, slug: str, owner: User, status: str
) -> Activity:
    """A course with a lesson, an optional pre-task and a follow-up task (ids in w["tasks"])."""
    made = cf.activity(
        session, title=title, slug=slug, format="course", status=status, owners=[owner]
    )
    cf.lesson(session, made, title=f"{title}: lektion", slug="lektion-1")
    pre = tf.task(session, made, phase="pre", required=False, title=f"{title}: inför")
    follow_up = tf.task(session, made, phase="follow_up", title=f"{title}: efteråt")
    w.setdefault("tasks", {})[slug] = (pre.id, follow_up.id)
    session.refresh(made)
    return made


def _workshop(session: Session, title: str, slug: str, owner: User, status: str) -> Activity:
    made = cf.activity(
        session,
        title=title,
        slug=slug,
        format="workshop",
        delivery="physical",
        status=status,
        owners=[owner],
    )
    calf.occurrence(session, made, utcnow().replace(microsecond=0) + timedelta(days=10))
    session.refresh(made)
    return made


def _belongings(session: Session, person: User, w: dict[str, Any]) -> Belongings:
    """The person's assessment with a plan (a goal with a chosen activity), a booking, a
    completion with its follow-up task, an external-learning report, a notification, a mail."""
    now = utcnow()
    round_ = w["round_b"] if person.organisation_id == w["org_b"].id else w["round_a"]
    made = af.assessment(
        session,
        person,
        round_,
        RATINGS,
        status=AssessmentStatus.REVIEWED,
        agreed_by=person.manager,
    )
    plan = plans.create_plan(session, person, made, now)
    goal = plan.goals[0]
    plans.link_activity(session, person, goal, w["course"])
    learning_requests.create_request(
        session, person, made, goal.competence_id, "Gärna en kurs.", goal=goal, now=now
    )
    booking = bookings.book_session(session, person, w["workshop"].sessions[0], now=now)
    responses = tf.complete(session, person, w["course"], at=now - timedelta(days=20))
    external = report_external_learning(
        session,
        person,
        title="Konferens",
        learned_on=date.today() - timedelta(days=3),
        hours=2,
        description="",
    )
    note = notify(session, person, kind="world", title="Hej")
    mail = enqueue_email(
        session,
        to=person.email,
        subject="Hej",
        body_text="Hej",
        kind="world",
        user_id=person.id,
    )
    assert note is not None and mail is not None and responses
    session.flush()
    return Belongings(
        person,
        {
            "assessment": made.id,
            "goal": goal.id,
            "goal_activity": w["course"].id,
            "booking": booking.id,
            "completion": responses[0].completion_id,
            "response": responses[0].id,
            "external": external.id,
            "notification": note.id,
            "mail": mail.id,
            "user": person.id,
            "personal_feed_token": ical.create_feed(session, person).token,
            "unsubscribe_token": unsubscribe_token(person),
        },
    )


def _people(session: Session, w: dict[str, Any]) -> dict[str, User]:
    """A user per role in team A (organisation A), Rut the manager's report, Olle in team B."""
    lib, role = w["dept_a"], w["job_role_a"]
    manager = _person(session, "Maja Chef", lib, role, Permission.MANAGER)
    users = {
        "manager": manager,
        "employee": _person(session, "Erik Anställd", lib, role, manager=manager),
        "course_owner": _person(
            session, "Cora Kursägare", lib, role, Permission.COURSE_OWNER, manager
        ),
    }
    for key, name in (
        ("coordinator", "Sara Samordnare"),
        ("coordinator_all", "Alma Allsamordnare"),
        ("admin", "Adam Admin"),
        ("reporting", "Rebecka Rapportör"),
    ):
        users[key] = _person(session, name, w["dept_a2"], role, PERMISSIONS[key])
    users["coordinator_all"].report_scope = ReportScope.ALL
    users["report"] = _person(session, "Rut Rapport", lib, role, manager=manager, password=False)
    boss_b = _person(session, "Bo Annanchef", w["dept_b"], role, Permission.MANAGER, password=False)
    users["other"] = _person(
        session, "Olle Annanteam", w["dept_b"], role, manager=boss_b, password=False
    )
    w["owner_b"] = _person(
        session, "Björn Annanägare", w["dept_b"], role, Permission.COURSE_OWNER, password=False
    )
    session.flush()
    return users


def _organisations(session: Session, w: dict[str, Any]) -> None:
    org_a = factories.organisation(session, "Kulturförvaltningen")
    org_b = factories.organisation(session, "Nacka kommun")
    w.update(
        org_a=org_a,
        org_b=org_b,
        dept_a=factories.department(session, "Stadsbiblioteket", org_a),
        dept_a2=factories.department(session, "Kulturskolan", org_a),
        dept_b=factories.department(session, "Forumbiblioteken", org_b),
        job_role_a=role_with_expectations(session, "Bibliotekarie", EXPECTED),
        job_role_b=factories.job_role(session, "Museipedagog"),
    )
    w["round_a"] = af.assessment_round(session, "Omgång A", organisations=[org_a])
    w["round_b"] = af.assessment_round(session, "Omgång B", organisations=[org_b])


def _activities(session: Session, w: dict[str, Any], users: dict[str, User]) -> None:
    owner, owner_b = users["course_owner"], w["owner_b"]
    w["course"] = _course(session, w, "Säker e-post", "saker-epost", owner, "published")
    w["course_draft"] = _course(session, w, "Utkast", "utkast-kurs", owner, "draft")
    w["course_b"] = _course(session, w, "Annans utkast", "annans-utkast", owner_b, "draft")
    w["workshop"] = _workshop(session, "Verkstad", "verkstad", owner, "published")
    w["workshop_draft"] = _workshop(session, "Verkstad utkast", "verkstad-utkast", owner, "draft")
    w["workshop_b"] = _workshop(session, "Annans verkstad", "annans-verkstad", owner_b, "draft")
    coaching = {"format": "coaching", "delivery": "digital"}
    w["coaching"] = cf.activity(
        session, title="Coachning", slug="coachning", owners=[owner], **coaching
    )
    w["coaching_b"] = cf.activity(
        session,
        title="Annans coachning",
        slug="annans-coachning",
        owners=[owner_b],
        status="draft",
        **coaching,
    )


def _themes(session: Session, w: dict[str, Any]) -> None:
    today = date.today()
    w["theme"] = calf.theme_month(
        session,
        year=today.year,
        month=today.month,
        title="Publicerat tema",
        activities=[w["course"]],
    )
    w["theme_draft"] = calf.theme_month(
        session,
        year=today.year,
        month=today.month,
        title="Utkast till tema",
        status=ThemeStatus.DRAFT,
        activities=[w["course"]],
    )


def _shared(w: dict[str, Any], users: dict[str, User]) -> dict[str, dict[str, Any]]:
    def rel(self: Any = None, report: Any = None, other: Any = None, none: Any = MISSING_ID):
        return {
            k: v
            for k, v in zip(RELATIONS, (self, report, other, none), strict=True)
            if v is not None
        }

    course, draft, course_b = w["course"], w["course_draft"], w["course_b"]
    theme, theme_draft = w["theme"], w["theme_draft"]
    return {
        "course": rel(course.slug, draft.slug, course_b.slug, MISSING_SLUG),
        "lesson": rel("lektion-1", "lektion-1", "lektion-1", MISSING_SLUG),
        "task": rel(*(w["tasks"][c.slug][1] for c in (course, draft, course_b))),
        "pre_task": rel(*(w["tasks"][c.slug][0] for c in (course, draft, course_b))),
        "number": rel(1, 1, 1, 1),
        "step": rel(1, 1, 1, 1),
        "workshop": rel(
            w["workshop"].slug, w["workshop_draft"].slug, w["workshop_b"].slug, MISSING_SLUG
        ),
        "workshop_session": rel(
            *(w[k].sessions[0].id for k in ("workshop", "workshop_draft", "workshop_b"))
        ),
        "coaching": rel(w["coaching"].slug, None, w["coaching_b"].slug, MISSING_SLUG),
        "theme": rel(theme.id, theme_draft.id),
        "theme_month": rel(theme.year_month, theme_draft.year_month, None, "2001-01"),
        "theme_slug": rel(theme.slug, theme_draft.slug, None, MISSING_SLUG),
        "theme_activity": rel(course.id, course.id),
        "round": rel(w["round_a"].id, None, w["round_b"].id),
        "programme": rel(w["programme_a"].slug, None, w["programme_b"].slug, MISSING_SLUG),
        "department": rel(w["dept_a"].id, w["dept_a2"].id, w["dept_b"].id),
        "job_role": rel(w["job_role_a"].id, None, w["job_role_b"].id),
        "shared_feed": rel(w["feed_a"].id, None, w["feed_b"].id),
        "shared_feed_token": rel(w["feed_a"].token, None, w["feed_b"].token, MISSING_TOKEN),
        "raw_token": rel(none=MISSING_TOKEN),
        "upload": rel(w["upload_a"].name, None, w["upload_b"].name, "0000-finns-inte.png"),
        "static_file": rel("css/app.css", none="css/finns-inte.css"),
        "area": rel("1", none="99"),
        "subject": rel("digital-arbetsplats", none=MISSING_SLUG),
        "wished_competence": rel(w["wished_competence"]),
    }


def build_world(session: Session) -> World:
    """Build and commit the world (about a second); the session fixture rolls it back."""
    w: dict[str, Any] = {}
    _organisations(session, w)
    users = _people(session, w)
    _activities(session, w, users)
    _themes(session, w)
    w["programme_a"] = programme(
        session,
        date(2024, 1, 1),
        date(2030, 12, 31),
        organisations=[w["org_a"]],
        slug="program-a",
        name="Kompetenslyft A",
    )
    w["programme_b"] = programme(
        session,
        date(2024, 1, 1),
        date(2030, 12, 31),
        organisations=[w["org_b"]],
        slug="program-b",
        name="Kompetenslyft B",
    )
    w["feed_a"] = create_department_feed(session, w["dept_a"].id)
    w["feed_b"] = create_department_feed(session, w["dept_b"].id)
    folder = Path(current_app.instance_path) / "uploads"
    w["upload_a"] = store_upload(
        session, folder=folder, data=PNG, filename="a.png", actor_id=users["course_owner"].id
    )
    w["upload_b"] = store_upload(
        session, folder=folder, data=PNG + b"b", filename="b.png", actor_id=w["owner_b"].id
    )
    people = {key: _belongings(session, user, w) for key, user in users.items()}
    w["wished_competence"] = session.get(PlanGoal, people["report"].values["goal"]).competence_id
    session.commit()
    return World(
        users={role: users[role] for role in ROLES if role != "anonymous"},
        people=people,
        shared=_shared(w, users),
        extra=w,
    )


def world_other_names(world: World) -> list[str]:
    """Names that identify the other team's objects: none may show in a refused answer."""
    other = world.people["other"].user
    return [
        other.name,
        other.email,
        "Annans utkast",
        "Annans verkstad",
        "Annans coachning",
        "Kompetenslyft B",
        "Konferens",  # the title of everyone's external-learning report
    ]
