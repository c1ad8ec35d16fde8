"""Freshness: each change that can move someone's recommendations marks exactly them stale.

The changes go through the real services, and the receivers are connected as lms/app.py
connects them (the `app` fixture), so these tests prove the wiring too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment import conversation, plans
from lms.assessment.importer import import_assessments
from lms.assessment.models import Assessment, AssessmentStatus
from lms.assessment.self_assessment import save_answer, start_assessment, submit_assessment
from lms.catalog import schedule, services, themes
from lms.catalog.meta import data_from_meta
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from lms.packages.importer import import_package
from lms.progress.services import complete_activity
from lms.recommend import cache
from lms.recommend.models import RecommendationState
from tests import factories
from tests.assessment import factories as af
from tests.catalog import factories as cf
from tests.recommend import factories as rf

NOW = utcnow().replace(microsecond=0)


def stale(session: Session) -> set[int]:
    """The people whose cache is marked stale."""
    return set(
        session.scalars(
            select(RecommendationState.user_id).where(RecommendationState.stale_since.is_not(None))
        )
    )


def everyone(session: Session) -> set[int]:
    return set(session.scalars(select(User.id).where(User.is_active.is_(True))))


def fresh(session: Session, *people: User) -> None:
    """Compute their caches now, so that only what follows can mark them."""
    session.flush()
    cache.refresh_users(session, [p.id for p in people], now=utcnow())
    assert not stale(session) & {p.id for p in people}


@pytest.fixture
def coordinator(session: Session) -> User:
    return factories.user(
        session, name="Karin Holm", permissions=Permission.COORDINATOR | Permission.COURSE_OWNER
    )


# --- needs: assessment, conversation, plan, completions ----------------------------------------


def test_submitting_a_self_assessment_marks_the_person(session: Session) -> None:
    elin, colleague = rf.person(session), rf.person(session)
    fresh(session, elin, colleague)
    round_ = af.assessment_round(
        session, "Skattning hösten 2026", organisations=[elin.organisation]
    )
    today = local_date(utcnow())
    draft = start_assessment(session, elin, round_, today)
    for code in rf.LIBRARIAN_EXPECTED:
        competence_id = cf.framework(session).competences[code].id
        save_answer(
            session, elin, draft, competence_id, self_level=2, motivation=4, comment="",
            now=utcnow(),
        )  # fmt: skip
    assert not stale(session)  # saving a draft changes nothing that counts
    submit_assessment(session, elin, draft, utcnow())
    assert stale(session) == {elin.id}


def test_agreeing_a_level_marks_the_person(session: Session) -> None:
    boss = factories.user(session, name="Anders Lund", permissions=Permission.MANAGER)
    elin = rf.person(session, manager=boss)
    made = rf.assessment(session, elin, {"4.2": (2, 5)})
    fresh(session, elin)
    c42 = cf.framework(session).competences["4.2"].id
    assert conversation.agree_levels(session, boss, made, {c42: 3}, utcnow()) == 1
    assert stale(session) == {elin.id}
    fresh(session, elin)
    assert conversation.agree_levels(session, boss, made, {c42: 3}, utcnow()) == 0
    assert not stale(session)  # the same level again changes nothing


def test_plan_goals_and_their_activities_mark_the_person(session: Session) -> None:
    elin = rf.person(session)
    made = rf.assessment(session, elin, {"4.2": (2, 5), "1.1": (1, 3)})
    plan = plans.create_plan(session, elin, made, utcnow())
    assert stale(session) == {elin.id}
    fresh(session, elin)
    goal = plans.add_goal(session, elin, plan, cf.framework(session).competences["2.1"].id, NOW)
    assert stale(session) == {elin.id}
    fresh(session, elin)
    plans.link_activity(session, elin, goal, rf.activity_on(session, "2.1"))
    assert stale(session) == {elin.id}


def test_completing_an_activity_marks_the_person(session: Session) -> None:
    elin, colleague = rf.person(session), rf.person(session)
    privacy = rf.activity_on(session, "4.2")
    fresh(session, elin, colleague)
    complete_activity(session, elin, privacy, now=utcnow())
    assert stale(session) == {elin.id}


def test_importing_assessments_marks_the_people_in_the_file(
    session: Session, tmp_path: Path
) -> None:
    elin = rf.person(session, email="elin.lindqvist@kultur.example.se")
    colleague = rf.person(session)
    fresh(session, elin, colleague)
    path = tmp_path / "skattningar.csv"
    lines = ["round,email,competence,self_level,agreed_level,motivation"]
    lines += [f"Skattning våren 2026,{elin.email},{code},2,,4" for code in rf.LIBRARIAN_EXPECTED]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_assessments(session, path)
    assert stale(session) == {elin.id}


# --- the catalogue: only the people it concerns ------------------------------------------------


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    """Librarians at the library and at the museum, a museum educator, a deactivated one."""
    library = factories.department(session, "Stadsbiblioteket")
    museum = factories.department(session, "Stadsmuseet")
    educator = cf.role_with_expectations(session, "Museipedagog", {"3.1": 3, "5.1": 2})
    made = {
        "elin": rf.person(session, dept=library),
        "omar": rf.person(session, dept=museum),
        "sara": rf.person(session, role=educator, dept=museum),
        "left": rf.person(session, dept=library),
    }
    made["left"].is_active = False
    fresh(session, made["elin"], made["omar"], made["sara"])
    return made


def _ids(people: dict[str, User], *names: str) -> set[int]:
    return {people[name].id for name in names}


def test_publishing_an_activity_marks_the_roles_that_expect_its_competences(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    draft = rf.activity_on(session, "4.2", status="draft")
    services.change_status(session, coordinator, draft, "published")
    assert stale(session) == _ids(people, "elin", "omar")


def test_an_activity_for_one_department_leaves_the_others_alone(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    library = people["elin"].department
    draft = rf.activity_on(session, "4.2", status="draft", departments=[library])
    services.change_status(session, coordinator, draft, "published")
    assert stale(session) == _ids(people, "elin")


def test_an_activity_for_another_role_leaves_librarians_alone(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    draft = rf.activity_on(session, "3.1", status="draft")
    services.change_status(session, coordinator, draft, "published")
    assert stale(session) == _ids(people, "sara")


def test_an_open_plan_goal_on_the_competence_concerns_the_person(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    made = rf.assessment(session, people["sara"], {"3.1": (1, 4)})
    rf.plan_goal(session, made, "4.1")  # 4.1 is not expected of an educator: her own goal
    fresh(session, people["sara"])
    draft = rf.activity_on(session, "4.1", status="draft")
    services.change_status(session, coordinator, draft, "published")
    assert stale(session) == _ids(people, "sara")


def test_archiving_marks_those_who_had_it_recommended(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    # Only Sara has it cached (her goal); 4.1 is expected of no role.
    made = rf.assessment(session, people["sara"], {"3.1": (1, 4)})
    activity = rf.activity_on(session, "4.1")
    rf.plan_goal(session, made, "4.1", activities=[activity])
    fresh(session, *people.values())
    assert activity.id in _cached(session, people["sara"])
    services.change_status(session, coordinator, activity, "archived")
    assert stale(session) == _ids(people, "sara")


def _cached(session: Session, user: User) -> set[int]:
    from lms.recommend.models import Recommendation

    return set(
        session.scalars(select(Recommendation.activity_id).where(Recommendation.user_id == user.id))
    )


def test_editing_a_published_activity_marks_its_old_and_new_audience(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    activity = rf.activity_on(session, "4.2", owners=[coordinator])
    fresh(session, *people.values())
    assert activity.id in _cached(session, people["omar"])
    data, problems = data_from_meta(session, services.activity_meta(activity), activity.body)
    assert not problems
    data.departments = [people["elin"].department]  # now for the library only
    services.edit_activity(session, coordinator, data, activity=activity)
    assert stale(session) == _ids(people, "elin", "omar")


def test_editing_a_draft_marks_nobody(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    draft = rf.activity_on(session, "4.2", status="draft", owners=[coordinator])
    data, _problems = data_from_meta(session, services.activity_meta(draft), draft.body)
    data.title = "Skydda personuppgifter – utkast 2"
    services.edit_activity(session, coordinator, data, activity=draft)
    assert not stale(session)


def test_adding_and_cancelling_a_session_marks_the_audience(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    workshop = rf.activity_on(session, "4.2", format="workshop", delivery="physical")
    fresh(session, *people.values())
    start = utcnow().replace(microsecond=0) + timedelta(days=10)
    data = schedule.SessionData(
        starts_at=start, ends_at=start + timedelta(hours=2), place="Sal 2", online_url=None,
        capacity=12,
    )  # fmt: skip
    added = schedule.add_session(session, coordinator, workshop, data)
    assert stale(session) == _ids(people, "elin", "omar")
    fresh(session, *people.values())
    schedule.cancel_session(session, coordinator, added)
    assert stale(session) == _ids(people, "elin", "omar")


def test_publishing_a_theme_month_marks_its_audience(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    museum = people["omar"].department
    activity = rf.activity_on(session, "5.1", title="Felsök skrivaren")  # 5.1: educators only
    rf.theme_now(session, [activity], departments=[museum], actor=coordinator)
    assert stale(session) == _ids(people, "omar", "sara")


def test_adding_an_activity_to_a_published_theme_marks_its_audience(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    theme = rf.theme_now(session, [rf.activity_on(session, "6.1")], actor=coordinator)
    fresh(session, *people.values())
    themes.add_activity(session, coordinator, theme, rf.activity_on(session, "6.1").id)
    assert stale(session) == everyone(session)  # a theme month for everyone
    assert people["left"].id not in stale(session)


def test_importing_a_package_marks_the_audience_of_what_changed(
    session: Session, people: dict[str, User], tmp_path: Path
) -> None:
    root = tmp_path / "paket" / "activities"
    root.mkdir(parents=True)
    (root / "skydda-personuppgifter.md").write_text(
        "---\ntitle: Skydda personuppgifter\nsummary: Tänk efter innan du delar.\n"
        "format: nanolesson\nlevel: grund\n"
        'delivery: digital\nminutes: 10\ncompetences: {"4.2": 1.0}\nstatus: published\n---\n'
        "Tänk efter innan du delar.\n",
        encoding="utf-8",
    )
    import_package(session, root.parent, uploads=tmp_path / "uploads")
    assert stale(session) == _ids(people, "elin", "omar")
    fresh(session, *people.values())
    import_package(session, root.parent, uploads=tmp_path / "uploads")  # unchanged
    assert not stale(session)


# --- users_affected_by directly ----------------------------------------------------------------


def test_users_affected_by_is_one_query_for_many_activities(
    session: Session, people: dict[str, User], count_queries: object
) -> None:
    activities = [rf.activity_on(session, code) for code in ("4.2", "3.1", "6.1", "1.1")]
    session.flush()
    with count_queries() as counted:  # type: ignore[operator]
        found = cache.users_affected_by(session, [a.id for a in activities], now=NOW)
    assert found == _ids(people, "elin", "omar", "sara")
    assert counted.count == 1
    assert cache.users_affected_by(session, []) == set()


def test_a_past_theme_month_no_longer_concerns_its_audience(
    session: Session, coordinator: User, people: dict[str, User]
) -> None:
    activity = rf.activity_on(session, "6.1")
    rf.theme_now(session, [activity], actor=coordinator)
    later: datetime = NOW + timedelta(days=62)
    assert cache.users_affected_by(session, [activity.id], now=NOW) == everyone(session)
    assert cache.users_affected_by(session, [activity.id], now=later) == set()


def test_a_reviewed_assessment_status_alone_marks_nobody(session: Session) -> None:
    boss = factories.user(session, permissions=Permission.MANAGER)
    elin = rf.person(session, manager=boss)
    made = rf.assessment(session, elin, {"4.2": (2, 5)})
    fresh(session, elin)
    conversation.mark_conversation_held(session, boss, made, utcnow())
    assert session.get(Assessment, made.id).status == AssessmentStatus.REVIEWED  # type: ignore[union-attr]
    assert not stale(session)
