"""The demo's learning history: a realistic amount through the real services, every counted
source, feedback and follow-ups, the department-at-completion story, nothing for the accounts
the browser tests walk with, and loading it twice changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import ReportScope, User
from lms.catalog.models import Activity, ActivitySession
from lms.core.access import Permission
from lms.core.outbox import MailStatus, OutboxEmail
from lms.core.time import local_date, utcnow
from lms.packages.importer import import_package
from lms.progress.models import Completion, ExternalLearning, Feedback
from lms.reports.demo import LEFT_OUT, MOVED, NO_PAST_SESSIONS, QUIET_DAYS, load_demo_history
from lms.reports.demo_plan import plan_history
from lms.reports.esf_report import build_esf_report
from lms.reports.esf_summary import rebuild_all
from lms.reports.models import Programme
from lms.transfer.models import ResponseStatus, TaskResponse
from tests.packages.conftest import CONTENT


@pytest.fixture
def demo(session: Session, demo_org) -> date:
    """The demo organisation, the shipped content and the history, as `init --demo` loads them."""
    import_package(session, CONTENT)
    today = local_date(utcnow())
    load_demo_history(session, today)
    rebuild_all(session)  # as `init --demo` does after the history
    session.flush()
    return today


@pytest.fixture
def demo_org(session: Session) -> None:
    from lms.accounts.org_import import import_organisation

    import_organisation(session, CONTENT / "demo" / "organisation.csv", send_invitations=False)
    session.flush()


def _completions(session: Session) -> list[Completion]:
    return list(session.scalars(select(Completion)))


def check_the_history_is_realistic_and_has_every_counted_source(session: Session, demo) -> None:
    completions = _completions(session)
    sources = Counter(c.source for c in completions)
    assert 500 <= len(completions) <= 900
    assert sources["catalogue"] > 200 and sources["attendance"] > 200
    assert sources["import"] > 20 and sources["external"] == 4
    assert min(c.completed_at for c in completions).year == 2023
    assert max(c.completed_on for c in completions) <= demo
    kept_clear = (
        select(ActivitySession.id).join(Activity).where(Activity.slug.in_(NO_PAST_SESSIONS))
    )
    assert all(
        s.starts_at > utcnow()
        for s in session.scalars(select(ActivitySession).where(ActivitySession.id.in_(kept_clear)))
    )
    attended = [c for c in completions if c.source == "attendance"]
    assert all(
        c.session_id is not None and c.occurrence_key == f"session:{c.session_id}" for c in attended
    )
    assert all(c.credited_minutes > 0 for c in completions)


def check_external_learning_is_approved_pending_and_rejected_by_managers(
    session: Session, demo
) -> None:
    reports = session.scalars(select(ExternalLearning)).all()
    assert Counter(r.status for r in reports) == {"approved": 4, "pending": 1, "rejected": 1}
    assert all(r.completion_id is not None for r in reports if r.status == "approved")
    assert all(r.decided_by_id is not None for r in reports if r.status != "pending")
    pending = session.scalar(select(func.count()).where(OutboxEmail.status == MailStatus.PENDING))
    assert pending == 0  # the decisions were told back then


def check_feedback_and_follow_ups_make_the_averages_and_rates_real(session: Session, demo) -> None:
    ratings = session.scalars(select(Feedback.rating)).all()
    assert len(ratings) > 150 and set(ratings) <= {3, 4, 5} and len(set(ratings)) == 3
    assert 0.3 < sum(session.scalars(select(Feedback.will_apply)).all()) / len(ratings) < 0.9
    responses = session.scalars(select(TaskResponse)).all()
    done = [r for r in responses if r.status == ResponseStatus.DONE]
    assert 0.2 < len(done) / len(responses) < 0.8
    # Nothing from the history waits for a reminder: the job has nothing to send.
    assert all(
        r.reminded_overdue_at is not None for r in responses if r.status != ResponseStatus.DONE
    )


def check_the_browser_tests_accounts_have_no_history(session: Session, demo) -> None:
    emails = set(
        session.scalars(select(User.email).join(Completion, Completion.user_id == User.id))
    )
    assert not emails & LEFT_OUT
    assert len(emails) >= 50


def check_the_person_who_moved_keeps_earlier_hours_where_they_were_done(
    session: Session, demo
) -> None:
    email, earlier, moved_on = MOVED
    person = session.scalars(select(User).where(User.email == email)).one()
    assert person.department is not None and person.department.name == "Stockholms stadsbibliotek"
    where = {
        (c.completed_on < moved_on, c.department_id)
        for c in session.scalars(select(Completion).where(Completion.user_id == person.id))
    }
    departments = {d.id: d.name for d in person.organisation.departments}
    assert {(before, departments[dept]) for before, dept in where} == {
        (True, earlier),
        (False, "Stockholms stadsbibliotek"),
    }


def check_karin_reports_to_the_funder(session: Session, demo) -> None:
    karin = session.scalars(select(User).where(User.email == "karin.holm@kultur.example.se")).one()
    assert karin.report_scope == ReportScope.ALL
    assert karin.has(Permission.REPORTING) and karin.has(Permission.COORDINATOR)


def test_the_history_is_realistic_and_tells_every_story(session: Session, demo) -> None:
    """One load (the content import is slow), every rule checked on it."""
    check_the_history_is_realistic_and_has_every_counted_source(session, demo)
    check_external_learning_is_approved_pending_and_rejected_by_managers(session, demo)
    check_feedback_and_follow_ups_make_the_averages_and_rates_real(session, demo)
    check_the_browser_tests_accounts_have_no_history(session, demo)
    check_the_person_who_moved_keeps_earlier_hours_where_they_were_done(session, demo)
    check_karin_reports_to_the_funder(session, demo)
    check_the_demo_programme_report_shows_real_figures(session, demo)


def test_loading_again_changes_nothing(session: Session, demo) -> None:
    before = len(_completions(session))
    again = load_demo_history(session, demo)
    assert again.skipped and again.summary() == "already loaded"
    assert len(_completions(session)) == before
    assert session.scalar(select(func.count()).select_from(ExternalLearning)) == 6


def check_the_demo_programme_report_shows_real_figures(session: Session, demo) -> None:
    programme = session.scalars(select(Programme)).one()
    report = build_esf_report(session, programme=programme)
    assert report["participants"]["total"] >= 50
    assert report["participants"]["women"] > report["participants"]["men"] > 0
    assert 15 < report["hours"]["per_participant"] < 45
    assert all(report["by_source"][source] > 0 for source in report["by_source"])


def test_the_plan_is_the_same_every_time_whatever_the_order() -> None:
    people = [f"p{n}@example.se" for n in range(30)]
    activities = [("a-nano", "nanolesson"), ("b-course", "course"), ("c-work", "workshop")]
    first = plan_history(people, activities)
    assert first == plan_history(list(reversed(people)), list(reversed(activities)))
    assert first.sessions and all(c.at.date() > date(2023, 8, 31) for c in first.completions)
    keys = [(c.email, c.slug) for c in first.completions if c.session is None]
    assert len(keys) == len(set(keys))  # a self-paced activity is completed once
    assert QUIET_DAYS == 7
