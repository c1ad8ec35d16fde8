"""Loading the engine's plain data: every Candidate and Profile field from realistic rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lms.assessment.models import AssessmentStatus, GoalStatus
from lms.catalog.models import Status
from lms.core.access import Permission
from lms.core.time import utcnow
from lms.progress.models import Enrolment
from lms.recommend.data import FORDJUPNING, CompetenceLabel, PlanGoal, ThemeInfo
from lms.recommend.loading import load_pool, load_profiles
from tests import factories
from tests.catalog import factories as cf
from tests.recommend import factories as rf

NOW = utcnow().replace(microsecond=0)


def _ids(session: Session, *codes: str) -> dict[str, int]:
    fw = cf.framework(session)
    return {code: fw.competences[code].id for code in codes}


# --- the candidate pool ------------------------------------------------------------------------


def test_a_published_activity_becomes_a_candidate_with_every_field(session: Session) -> None:
    c = _ids(session, "4.2", "4.1")
    library = factories.department(session, "Stadsbiblioteket")
    role = rf.librarian_role(session)
    made = rf.activity_on(
        session,
        title="Skydda personuppgifter i vardagen",
        competences={"4.2": 1.0, "4.1": 0.5},
        level=FORDJUPNING,
        format="elearning",
        minutes=25,
        departments=[library],
        job_roles=[role],
    )
    made.is_repeatable = True
    session.flush()

    pool = load_pool(session, NOW)

    candidate = pool.candidates[made.id]
    assert candidate.competences == {c["4.2"]: 1.0, c["4.1"]: 0.5}
    assert (candidate.level, candidate.format, candidate.minutes) == (FORDJUPNING, "elearning", 25)
    assert candidate.departments == frozenset({library.id})
    assert candidate.job_roles == frozenset({role.id})
    assert candidate.status == Status.PUBLISHED
    assert candidate.is_repeatable and not candidate.is_scheduled
    assert candidate.next_open_session is None
    assert pool.labels[c["4.2"]] == CompetenceLabel("4.2", "Skydda personuppgifter och integritet")
    assert made.id in pool.by_competence[c["4.1"]]


def test_drafts_and_archived_activities_are_not_candidates(session: Session) -> None:
    draft = rf.activity_on(session, "4.2", status="draft")
    archived = rf.activity_on(session, "4.2", status="archived")
    published = rf.activity_on(session, "4.2")
    candidates = load_pool(session, NOW).candidates
    assert published.id in candidates
    assert draft.id not in candidates and archived.id not in candidates


def test_next_open_session_skips_past_cancelled_full_and_closed_sessions(session: Session) -> None:
    workshop, past = rf.scheduled(session, "4.2", starts_in=timedelta(days=-2), now=NOW)
    rf.add_session(session, workshop, starts_in=timedelta(days=3), cancelled=True, now=NOW)
    full = rf.add_session(session, workshop, starts_in=timedelta(days=5), capacity=2, now=NOW)
    rf.fill(session, full)
    closed = rf.add_session(session, workshop, starts_in=timedelta(days=6), now=NOW)
    closed.booking_deadline = NOW - timedelta(hours=1)
    # Waitlisted people hold no seat: one booked and one waiting leave a seat of two free.
    open_ = rf.add_session(session, workshop, starts_in=timedelta(days=9), capacity=2, now=NOW)
    rf.book(session, factories.user(session), open_)
    rf.book(session, factories.user(session), open_, status="waitlisted")
    later = rf.add_session(session, workshop, starts_in=timedelta(days=30), now=NOW)
    only_full, first = rf.scheduled(session, "4.2", capacity=1, now=NOW)
    rf.fill(session, first)
    session.flush()

    pool = load_pool(session, NOW)

    assert past.starts_at < NOW < later.starts_at
    candidate = pool.candidates[workshop.id]
    assert candidate.is_scheduled
    assert candidate.next_open_session == open_.starts_at
    assert pool.candidates[only_full.id].next_open_session is None


def test_a_restricted_pool_is_the_union_of_competences_and_activities(session: Session) -> None:
    c = _ids(session, "4.2", "1.1")
    on_42 = rf.activity_on(session, "4.2")
    on_11 = rf.activity_on(session, "1.1")
    on_31 = rf.activity_on(session, "3.1")
    on_51 = rf.activity_on(session, "5.1")

    pool = load_pool(session, NOW, competence_ids={c["4.2"]}, activity_ids={on_31.id})
    assert set(pool.candidates) == {on_42.id, on_31.id}
    assert set(load_pool(session, NOW, competence_ids={c["1.1"]}).candidates) == {on_11.id}
    assert not load_pool(session, NOW, competence_ids=set(), activity_ids=set()).candidates
    assert on_51.id in load_pool(session, NOW).candidates


def test_loading_the_pool_takes_the_same_queries_for_3_and_30_activities(
    session: Session, count_queries: Any
) -> None:
    library = factories.department(session, "Stadsbiblioteket")

    def add(n: int) -> None:
        for i in range(n):
            _made, occurrence = rf.scheduled(session, "4.2", "4.1", departments=[library], now=NOW)
            rf.book(session, factories.user(session), occurrence)
            rf.activity_on(session, "1.1", title=f"Sökteknik {i}")
        session.flush()

    add(2)
    with count_queries() as few:
        small = load_pool(session, NOW)
    add(14)
    with count_queries() as many:
        large = load_pool(session, NOW)
    assert len(large.candidates) == len(small.candidates) + 28
    assert few.count == many.count <= 6, many.statements


# --- profiles ----------------------------------------------------------------------------------


def test_the_profile_has_role_department_and_expected_levels(session: Session) -> None:
    c = _ids(session, "1.1", "1.2", "2.1", "4.2")
    elin = rf.person(session)
    profile = load_profiles(session, [elin.id], NOW)[elin.id]
    assert profile.job_role_id == elin.job_role_id
    assert profile.job_role_name == "Bibliotekarie"
    assert profile.department_id == elin.department_id
    assert profile.expected == {c["1.1"]: 3, c["1.2"]: 3, c["2.1"]: 2, c["4.2"]: 3}
    # Never assessed: the cold start.
    assert not profile.assessed and not profile.motivation and not profile.plan_goals


def test_an_agreed_level_takes_precedence_over_the_self_level(session: Session) -> None:
    c = _ids(session, "4.2", "1.1", "1.2")
    boss = factories.user(session, permissions=Permission.MANAGER)
    elin = rf.person(session, manager=boss)
    rf.assessment(
        session,
        elin,
        {"4.2": (2, 5, 3), "1.1": (1, 4), "1.2": (3, 2, 1)},
        status=AssessmentStatus.REVIEWED,
        agreed_by=boss,
    )
    profile = load_profiles(session, [elin.id], NOW)[elin.id]
    assert profile.assessed == {c["4.2"]: 3, c["1.1"]: 1, c["1.2"]: 1}
    assert profile.agreed == frozenset({c["4.2"], c["1.2"]})
    assert profile.motivation == {c["4.2"]: 5, c["1.1"]: 4, c["1.2"]: 2}


def test_the_latest_counted_assessment_wins_and_a_draft_never_counts(session: Session) -> None:
    c = _ids(session, "4.2", "1.1")
    elin = rf.person(session)
    spring = rf.closed_round(session, "Skattning våren 2026", closes_on=date(2026, 3, 31))
    earlier = rf.closed_round(session, "Skattning våren 2025", closes_on=date(2025, 3, 31))
    autumn = rf.closed_round(session, "Skattning hösten 2026", closes_on=date(2026, 12, 15))
    rf.assessment(session, elin, {"4.2": (3, 4)}, round_=spring)
    rf.assessment(session, elin, {"4.2": (1, 2), "1.1": (1, 1)}, round_=earlier)
    rf.assessment(session, elin, {"4.2": (5, 5)}, round_=autumn, status=AssessmentStatus.DRAFT)

    profile = load_profiles(session, [elin.id], NOW)[elin.id]
    assert profile.assessed == {c["4.2"]: 3}
    assert profile.motivation == {c["4.2"]: 4}


def test_open_plan_goals_of_the_latest_assessment_with_their_activities(session: Session) -> None:
    c = _ids(session, "4.2", "1.1", "1.2", "2.1")
    elin = rf.person(session)
    old = rf.assessment(
        session, elin, {"2.1": (1, 3)}, round_=rf.closed_round(session, closes_on=date(2025, 3, 31))
    )
    rf.plan_goal(session, old, "2.1")
    latest = rf.assessment(session, elin, {"4.2": (2, 5), "1.1": (1, 3), "1.2": (2, 3)})
    chosen = [rf.activity_on(session, "4.2"), rf.activity_on(session, "4.2")]
    goal = rf.plan_goal(session, latest, "4.2", activities=chosen, target_level=4)
    started = rf.plan_goal(session, latest, "1.1", status=GoalStatus.IN_PROGRESS)
    rf.plan_goal(session, latest, "1.2", status=GoalStatus.DONE)
    rf.plan_goal(session, latest, "2.1", status=GoalStatus.DROPPED)

    profile = load_profiles(session, [elin.id], NOW)[elin.id]
    assert profile.plan_goals == (
        PlanGoal(goal.id, c["4.2"], 4, frozenset(a.id for a in chosen)),
        PlanGoal(started.id, c["1.1"], 3, frozenset()),
    )


def test_completed_booked_and_not_interested_activities(session: Session) -> None:
    elin = rf.person(session)
    done = rf.activity_on(session, "4.2")
    rf.complete(session, elin, done, when=NOW - timedelta(days=400))
    booked, seat = rf.scheduled(session, "4.2", now=NOW)
    rf.book(session, elin, seat)
    waiting, full = rf.scheduled(session, "4.2", capacity=1, now=NOW)
    rf.fill(session, full)
    rf.book(session, elin, full, status="waitlisted")
    gave_up, dropped = rf.scheduled(session, "4.2", now=NOW)
    rf.book(session, elin, dropped, status="cancelled")
    attended, past = rf.scheduled(session, "4.2", starts_in=timedelta(days=-3), now=NOW)
    rf.book(session, elin, past)
    started = rf.activity_on(session, "4.2", format="course")
    finished = rf.activity_on(session, "4.2")
    session.add_all(
        [
            Enrolment(user_id=elin.id, activity_id=started.id, status="in_progress"),
            Enrolment(user_id=elin.id, activity_id=finished.id, status="completed"),
        ]
    )
    boring = rf.activity_on(session, "4.2")
    rf.not_interested(session, elin, boring)
    session.flush()

    profile = load_profiles(session, [elin.id], NOW)[elin.id]
    assert profile.completed == frozenset({done.id})
    assert profile.booked == frozenset({booked.id, waiting.id, started.id})
    assert gave_up.id not in profile.booked and attended.id not in profile.booked
    assert profile.not_interested == frozenset({boring.id})


def test_the_theme_month_running_now_for_the_persons_department(session: Session) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    school = factories.department(session, "Kulturskolan")
    museum = factories.department(session, "Stadsmuseet")
    phishing = rf.activity_on(session, "4.2", title="Känn igen nätfiske")
    passwords = rf.activity_on(session, "4.1", title="Starka lösenord")
    elin = rf.person(session, dept=library)
    ali = rf.person(session, dept=school)
    sara = rf.person(session, dept=museum)
    rf.theme_now(session, [phishing], title="Säkerhet på skolan", departments=[school])
    rf.theme_now(session, [phishing, passwords], departments=[library, museum])
    next_month = rf.theme_now(
        session, [passwords], title="AI-månaden", now=NOW + timedelta(days=40)
    )
    profiles = load_profiles(session, [elin.id, ali.id, sara.id], NOW)

    assert profiles[elin.id].theme == ThemeInfo(
        "Informationssäkerhet", frozenset({phishing.id, passwords.id})
    )
    assert profiles[sara.id].theme == profiles[elin.id].theme
    assert profiles[ali.id].theme == ThemeInfo("Säkerhet på skolan", frozenset({phishing.id}))
    assert next_month.is_published


def test_no_theme_for_a_department_outside_every_audience(session: Session) -> None:
    school = factories.department(session, "Kulturskolan")
    elin = rf.person(session)
    rf.theme_now(session, [rf.activity_on(session, "4.2")], departments=[school])
    assert load_profiles(session, [elin.id], NOW)[elin.id].theme is None


def test_popular_in_role_counts_active_colleagues_in_the_last_year(session: Session) -> None:
    elin = rf.person(session)
    colleagues = [rf.person(session) for _ in range(3)]
    museum_role = factories.job_role(session, "Museipedagog")
    educator = rf.person(session, role=museum_role)
    left = rf.person(session)
    left.is_active = False
    favourite = rf.activity_on(session, "4.2", title="Nätfiske på fem minuter")
    second = rf.activity_on(session, "1.1")
    elsewhere = rf.activity_on(session, "3.1")
    old = rf.activity_on(session, "1.2")
    archived = rf.activity_on(session, "2.1")
    for colleague in colleagues:
        rf.complete(session, colleague, favourite, when=NOW - timedelta(days=20))
    rf.complete(session, colleagues[0], favourite, when=NOW - timedelta(days=10))  # again
    rf.complete(session, colleagues[1], second)
    rf.complete(session, educator, elsewhere)
    rf.complete(session, left, elsewhere)
    rf.complete(session, colleagues[2], old, when=NOW - timedelta(days=400))
    rf.complete(session, colleagues[2], archived)
    archived.status = Status.ARCHIVED
    session.flush()

    profiles = load_profiles(session, [elin.id, educator.id], NOW)
    assert profiles[elin.id].popular_in_role == {favourite.id: 3, second.id: 1}
    assert profiles[educator.id].popular_in_role == {elsewhere.id: 1}


def test_loading_profiles_takes_the_same_queries_for_2_and_8_people(
    session: Session, count_queries: Any
) -> None:
    rf.theme_now(session, [rf.activity_on(session, "4.2")])

    def people(n: int) -> list[int]:
        made = []
        for _ in range(n):
            elin = rf.assessed_person(session, {"4.2": (2, 5), "1.1": (1, 3)})
            _workshop, occurrence = rf.scheduled(session, "4.2", now=NOW)
            rf.book(session, elin, occurrence)
            rf.complete(session, elin, rf.activity_on(session, "1.1"))
            made.append(elin.id)
        session.flush()
        return made

    two = people(2)
    with count_queries() as few:
        assert len(load_profiles(session, two, NOW)) == 2
    eight = people(8)
    with count_queries() as many:
        assert len(load_profiles(session, eight, NOW)) == 8
    assert few.count == many.count
