"""External learning, feedback, my learning and the team overview (services and routes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import SessionSeat
from lms.core.access import Permission
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.time import local_date, start_of_local_day, utcnow
from lms.notify.models import Notification
from lms.progress import personal
from lms.progress.models import Booking, Completion, Enrolment, ExternalLearning, Feedback
from lms.progress.services import record_completion
from tests import factories
from tests.catalog import factories as catalog_factories
from tests.conftest import Auth

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)


@pytest.fixture
def org(session: Session) -> dict[str, User]:
    """Boss → manager → employee, and another team: other_manager → outsider."""
    boss = factories.user(session, name="Bo Chef", permissions=Permission.MANAGER)
    manager = factories.user(
        session, name="Maja Chef", permissions=Permission.MANAGER, manager=boss
    )
    employee = factories.user(session, name="Eva Anställd", manager=manager)
    other_manager = factories.user(session, name="Olle Chef", permissions=Permission.MANAGER)
    outsider = factories.user(session, name="Ulla Annan", manager=other_manager)
    return {
        "boss": boss, "manager": manager, "employee": employee,
        "other_manager": other_manager, "outsider": outsider,
    }  # fmt: skip


def _report(session: Session, user: User, **kw: object) -> ExternalLearning:
    values: dict[str, object] = {
        "title": "Biblioteksdagarna", "learned_on": local_date(utcnow()) - timedelta(days=3),
        "hours": 6, "description": "Konferens om digital delaktighet",
    }  # fmt: skip
    values.update(kw)
    return personal.report_external_learning(session, user, **values)  # type: ignore[arg-type]


def _completions(session: Session, user: User) -> int:
    stmt = select(func.count()).select_from(Completion).where(Completion.user_id == user.id)
    return int(session.scalar(stmt) or 0)


# --- external learning -----------------------------------------------------------------------


def test_report_external_learning_stores_minutes_and_is_pending(
    session: Session, org: dict[str, User]
) -> None:
    report = _report(session, org["employee"], hours="1,5")
    assert (report.minutes, report.status) == (90, "pending")
    assert _completions(session, org["employee"]) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"hours": 0}, "hours"),
        ({"hours": 40.5}, "hours"),
        ({"hours": "mycket"}, "hours"),
        ({"learned_on": local_date(utcnow()) + timedelta(days=1)}, "learned_on"),
    ],
)
def test_report_external_learning_validates(
    session: Session, org: dict[str, User], changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        _report(session, org["employee"], **changes)
    assert raised.value.field == field


def test_forty_hours_is_allowed(session: Session, org: dict[str, User]) -> None:
    assert _report(session, org["employee"], hours=40).minutes == 2400


def test_approval_creates_the_completion_and_notifies(
    session: Session, org: dict[str, User]
) -> None:
    report = _report(session, org["employee"])
    personal.decide_external_learning(
        session, org["manager"], report, approve=True, comment="Bra!", now=NOW
    )
    completion = session.get(Completion, report.completion_id)
    assert completion is not None
    assert (completion.source, completion.credited_minutes) == ("external", 360)
    assert completion.occurrence_key == f"external:{report.id}"
    assert completion.verified_by_id == org["manager"].id
    assert completion.completed_at == start_of_local_day(report.learned_on)
    assert (report.status, report.decided_by_id) == ("approved", org["manager"].id)
    kinds = session.scalars(
        select(Notification.kind).where(Notification.user_id == org["employee"].id)
    ).all()
    assert "external_learning_decided" in kinds


def test_rejection_creates_no_completion_and_needs_a_comment(
    session: Session, org: dict[str, User]
) -> None:
    report = _report(session, org["employee"])
    with pytest.raises(ValidationError):
        personal.decide_external_learning(
            session, org["manager"], report, approve=False, comment=" ", now=NOW
        )
    personal.decide_external_learning(
        session, org["manager"], report, approve=False, comment="Inte kompetensutveckling", now=NOW
    )
    assert report.status == "rejected"
    assert report.completion_id is None
    assert _completions(session, org["employee"]) == 0


def test_a_decided_report_cannot_be_decided_again(session: Session, org: dict[str, User]) -> None:
    report = _report(session, org["employee"])
    personal.decide_external_learning(
        session, org["manager"], report, approve=True, comment="", now=NOW
    )
    with pytest.raises(Conflict):
        personal.decide_external_learning(
            session, org["manager"], report, approve=False, comment="Nej", now=NOW
        )
    assert _completions(session, org["employee"]) == 1


def test_manager_of_another_team_can_neither_see_nor_decide(
    session: Session, org: dict[str, User]
) -> None:
    report = _report(session, org["employee"])
    assert personal.list_reports_for_manager(session, org["other_manager"]) == []
    with pytest.raises(PermissionDenied):
        personal.decide_external_learning(
            session, org["other_manager"], report, approve=True, comment="", now=NOW
        )
    assert report.status == "pending"
    assert _completions(session, org["employee"]) == 0


def test_own_report_and_a_peer_cannot_decide(session: Session, org: dict[str, User]) -> None:
    report = _report(session, org["manager"])
    for actor in (org["manager"], org["employee"]):
        with pytest.raises(PermissionDenied):
            personal.decide_external_learning(
                session, actor, report, approve=True, comment="", now=NOW
            )


def test_indirect_manager_sees_and_can_decide(session: Session, org: dict[str, User]) -> None:
    report = _report(session, org["employee"])
    assert personal.list_reports_for_manager(session, org["boss"]) == [report]
    assert personal.list_reports_for_manager(session, org["manager"]) == [report]
    personal.decide_external_learning(
        session, org["boss"], report, approve=True, comment="", now=NOW
    )
    assert report.status == "approved"
    assert personal.list_reports_for_manager(session, org["boss"]) == []


def test_manager_chain_with_a_cycle_ends(session: Session, org: dict[str, User]) -> None:
    # The database refuses only self-management; a longer cycle can come from old data.
    org["boss"].manager_id = org["employee"].id
    session.flush()
    report = _report(session, org["outsider"])
    with pytest.raises(PermissionDenied):
        personal.decide_external_learning(
            session, org["boss"], report, approve=True, comment="", now=NOW
        )
    names = {m.user.name for m in personal.team_overview(session, org["boss"], now=NOW)}
    assert names == {"Maja Chef", "Eva Anställd"}


# --- feedback --------------------------------------------------------------------------------


def _completion(session: Session, user: User, activity: object = None, key: str = "") -> Completion:
    return record_completion(
        session, user, occurrence_key=key or f"test:{user.id}:{id(activity)}",
        activity=activity, title="Kurs", minutes=60, source="catalogue",  # type: ignore[arg-type]
        completed_at=NOW,
    )  # fmt: skip


def test_feedback_once_on_own_completion(session: Session, org: dict[str, User]) -> None:
    completion = _completion(session, org["employee"])
    with pytest.raises(PermissionDenied):
        personal.give_feedback(
            session, org["outsider"], completion, rating=5, comment="", will_apply=True
        )
    with pytest.raises(ValidationError):
        personal.give_feedback(
            session, org["employee"], completion, rating=6, comment="", will_apply=True
        )
    personal.give_feedback(
        session, org["employee"], completion, rating=4, comment=" Bra ", will_apply=True
    )
    with pytest.raises(Conflict):
        personal.give_feedback(
            session, org["employee"], completion, rating=2, comment="", will_apply=False
        )
    feedback = session.scalars(select(Feedback)).one()
    assert (feedback.rating, feedback.comment, feedback.will_apply) == (4, "Bra", True)


def test_feedback_summary_aggregates_per_activity(session: Session, org: dict[str, User]) -> None:
    first = catalog_factories.activity(session)
    second = catalog_factories.activity(session)
    silent = catalog_factories.activity(session)
    for user, rating, applies in ((org["employee"], 5, True), (org["outsider"], 2, False)):
        completion = _completion(session, user, first, key=f"activity:{first.id}")
        personal.give_feedback(
            session, user, completion, rating=rating, comment="", will_apply=applies
        )
    completion = _completion(session, org["manager"], second, key=f"activity:{second.id}")
    personal.give_feedback(
        session, org["manager"], completion, rating=4, comment="", will_apply=True
    )
    summary = personal.feedback_summary(session, [first.id, second.id, silent.id])
    assert summary[first.id] == personal.FeedbackSummary(2, 3.5, 0.5)
    assert summary[second.id] == personal.FeedbackSummary(1, 4.0, 1.0)
    assert silent.id not in summary
    assert personal.feedback_summary(session, []) == {}


# --- my learning and the team overview -------------------------------------------------------


def _booking(session: Session, user: User, status: str, starts_in: timedelta) -> Booking:
    activity = catalog_factories.activity(session, format="workshop")
    occurrence = catalog_factories.session_of(session, activity, starts_in=starts_in, now=NOW)
    seat = None
    if status == "booked":
        session.add(SessionSeat(session_id=occurrence.id, seat=1))
        session.flush()
        seat = 1
    booking = Booking(session_id=occurrence.id, user_id=user.id, status=status, seat=seat)
    session.add(booking)
    session.flush()
    return booking


def test_my_learning_figures(session: Session, org: dict[str, User]) -> None:
    me = org["employee"]
    # New Year's Eve 23:30 in Stockholm is still last year; 00:30 on 1 January is this year.
    last_year = datetime(2025, 12, 31, 22, 30, tzinfo=UTC)
    this_year = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    for key, when, minutes in (("a", last_year, 120), ("b", this_year, 90), ("c", NOW, 30)):
        record_completion(session, me, occurrence_key=key, title=key, minutes=minutes,
                          source="import", completed_at=when)  # fmt: skip
    _completion(session, org["outsider"])  # someone else's hours never count
    started = catalog_factories.activity(session)
    session.add(Enrolment(user_id=me.id, activity_id=started.id, status="in_progress"))
    booked = _booking(session, me, "booked", timedelta(days=3))
    waiting = _booking(session, me, "waitlisted", timedelta(days=5))
    _booking(session, me, "booked", timedelta(days=-30))  # over
    pending = _report(session, me)
    decided = _report(session, me, title="Studiebesök")
    personal.decide_external_learning(session, org["manager"], decided, approve=False,
                                      comment="Nej", now=NOW)  # fmt: skip
    learning = personal.my_learning(session, me, today=TODAY)
    assert learning.hours_this_year == 2.0
    assert learning.hours_total == 4.0
    assert [c.occurrence_key for c in learning.completions] == ["c", "b", "a"]
    assert [e.activity_id for e in learning.in_progress] == [started.id]
    assert learning.bookings == [booked]
    assert learning.waitlists == [waiting]
    assert learning.pending_external == [pending]
    assert len(learning.external) == 2


def test_team_overview_is_the_chain_only_in_constant_queries(
    session: Session, org: dict[str, User], count_queries: object
) -> None:
    protected = factories.user(
        session, name="Hemlig Person", manager=org["manager"], protected=True
    )
    record_completion(session, org["employee"], occurrence_key="x", minutes=180, source="import",
                      completed_at=NOW - timedelta(days=1))  # fmt: skip
    _booking(session, org["employee"], "booked", timedelta(days=2))
    _report(session, protected)
    _report(session, org["outsider"])
    with count_queries() as counter:  # type: ignore[operator]
        members = personal.team_overview(session, org["boss"], now=NOW)
        names = [
            (m.user.name, m.user.department.name if m.user.department else "") for m in members
        ]
    assert counter.count == 1
    assert [name for name, _ in names] == ["Eva Anställd", "Hemlig Person", "Maja Chef"]
    figures = {m.user.name: m for m in members}
    assert figures["Eva Anställd"].hours_this_year == 3.0
    assert figures["Eva Anställd"].completions == 1
    assert figures["Eva Anställd"].upcoming_bookings == 1
    assert figures["Hemlig Person"].pending_approvals == 1
    for _ in range(3):
        factories.user(session, manager=org["employee"])
    with count_queries() as counter:  # type: ignore[operator]
        assert len(personal.team_overview(session, org["boss"], now=NOW)) == 6
    assert counter.count == 1
    other = [m.user.name for m in personal.team_overview(session, org["other_manager"], now=NOW)]
    assert other == ["Ulla Annan"]


# --- routes ----------------------------------------------------------------------------------


def _login(auth: Auth, session: Session, user: User) -> None:
    session.flush()
    assert auth.login(user.email).status_code == 302


def test_team_route_refuses_another_teams_report(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    report = _report(session, org["employee"])
    _login(auth, session, org["other_manager"])
    page = client.get("/mitt-larande/team").get_data(as_text=True)
    assert "Biblioteksdagarna" not in page
    response = client.post(f"/mitt-larande/team/extern/{report.id}", data={"decision": "approve"})
    assert response.status_code == 404  # the same answer as for an unknown id
    session.refresh(report)
    assert report.status == "pending"
    assert _completions(session, org["employee"]) == 0


def test_team_route_lets_the_manager_approve(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    report = _report(session, org["employee"])
    _login(auth, session, org["boss"])
    page = client.get("/mitt-larande/team").get_data(as_text=True)
    assert "Biblioteksdagarna" in page and "Eva Anställd" in page
    response = client.post(
        f"/mitt-larande/team/extern/{report.id}", data={"decision": "approve", "comment": "Ok"}
    )
    assert response.status_code == 302
    session.refresh(report)
    assert report.status == "approved"
    assert _completions(session, org["employee"]) == 1


def test_team_route_needs_the_manager_permission(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    _login(auth, session, org["employee"])
    assert client.get("/mitt-larande/team").status_code == 403


def test_my_learning_page_and_external_form(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    assert client.get("/mitt-larande/").status_code == 302  # to the login page
    _login(auth, session, org["employee"])
    assert client.get("/mitt-larande/").status_code == 200
    assert client.get("/mitt-larande/extern").status_code == 200
    data = {"title": "Studiebesök i Malmö", "learned_on": "2026-01-15", "hours": "5",
            "description": ""}  # fmt: skip
    assert client.post("/mitt-larande/extern", data=data).status_code == 302
    reports = session.scalars(
        select(ExternalLearning).where(ExternalLearning.user_id == org["employee"].id)
    )
    assert [r.minutes for r in reports] == [300]
    data["hours"] = "41"
    assert client.post("/mitt-larande/extern", data=data).status_code == 200


def test_feedback_route_own_completion_once(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    mine = _completion(session, org["employee"])
    theirs = _completion(session, org["outsider"])
    _login(auth, session, org["employee"])
    assert client.get(f"/mitt-larande/aterkoppling/{theirs.id}").status_code == 404
    url = f"/mitt-larande/aterkoppling/{mine.id}"
    assert client.get(url).status_code == 200
    data = {"rating": "5", "comment": "Lärorikt", "will_apply": "y"}
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 200  # shown again with the message
    assert session.scalar(select(func.count()).select_from(Feedback)) == 1


def test_course_owner_sees_feedback_summary(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    activity = catalog_factories.activity(session, title="Säkra lösenord", owners=[owner])
    completion = _completion(session, org["employee"], activity, key=f"activity:{activity.id}")
    personal.give_feedback(session, org["employee"], completion, rating=4, comment="",
                           will_apply=True)  # fmt: skip
    _login(auth, session, owner)
    page = client.get("/mitt-larande/").get_data(as_text=True)
    assert "Säkra lösenord" in page and "4,0" in page and "100 %" in page
    assert org["employee"].name not in page
