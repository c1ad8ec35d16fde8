"""The conversation services and reads: agreed levels, notes, held, the team list, the table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessment import conversation
from lms.assessment.conversation_queries import (
    TeamStatus,
    conversation_rows,
    list_team,
)
from lms.assessment.models import Assessment, AssessmentStatus, Rating
from lms.core.access import Permission
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.notify.models import Notification
from tests import factories
from tests.assessment.conversation_helpers import Team, build_team
from tests.assessment.factories import assessment, assessment_round

T1 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 10, 12, 13, 30, tzinfo=UTC)


@pytest.fixture
def team(session: Session) -> Team:
    return build_team(session)


def _ratings(session: Session, made: Assessment) -> dict[str, Rating]:
    session.expire_all()
    rows = session.scalars(select(Rating).where(Rating.assessment_id == made.id))
    return {r.competence.code: r for r in rows}


def _ids(session: Session, team: Team, **levels: int | None) -> dict[int, int | None]:
    """Levels by code written as c1_1=3 → {competence id of 1.1: 3}."""
    return {team.competence(session, k[1:].replace("_", ".")).id: v for k, v in levels.items()}


# --- agreed levels -----------------------------------------------------------------------------


def test_agreeing_keeps_the_self_level_beside_the_agreed_one_with_who_and_when(
    session: Session, team: Team
) -> None:
    changed = conversation.agree_levels(
        session, team.manager, team.assessment, _ids(session, team, c1_1=3), T1
    )
    assert changed == 1
    rating = _ratings(session, team.assessment)["1.1"]
    assert (rating.self_level, rating.agreed_level) == (2, 3)
    assert rating.agreed_by_id == team.manager.id
    assert rating.agreed_at is not None and rating.agreed_at.replace(tzinfo=UTC) == T1
    assert rating.assessed_level == 3
    assert rating.motivation == 4


def test_an_empty_value_clears_the_agreed_level_and_its_who_and_when(
    session: Session, team: Team
) -> None:
    conversation.agree_levels(
        session, team.manager, team.assessment, _ids(session, team, c4_2=4), T1
    )
    conversation.agree_levels(
        session, team.manager, team.assessment, _ids(session, team, c4_2=None), T2
    )
    rating = _ratings(session, team.assessment)["4.2"]
    assert (rating.self_level, rating.agreed_level) == (3, None)
    assert rating.agreed_by_id is None and rating.agreed_at is None


def test_only_changed_levels_are_stamped_with_the_manager_and_time(
    session: Session, team: Team
) -> None:
    conversation.agree_levels(
        session, team.manager, team.assessment, _ids(session, team, c1_1=3, c4_2=4), T1
    )
    changed = conversation.agree_levels(
        session, team.boss, team.assessment, _ids(session, team, c1_1=3, c4_2=3), T2
    )
    assert changed == 1
    ratings = _ratings(session, team.assessment)
    assert ratings["1.1"].agreed_by_id == team.manager.id
    assert ratings["1.1"].agreed_at.replace(tzinfo=UTC) == T1  # type: ignore[union-attr]
    assert ratings["4.2"].agreed_by_id == team.boss.id
    assert ratings["4.2"].agreed_at.replace(tzinfo=UTC) == T2  # type: ignore[union-attr]


@pytest.mark.parametrize("level", [0, 6, -1])
def test_a_level_outside_1_to_5_is_refused_and_nothing_is_written(
    session: Session, team: Team, level: int
) -> None:
    levels = _ids(session, team, c1_1=3, c4_2=level)
    with pytest.raises(ValidationError) as refused:
        conversation.agree_levels(session, team.manager, team.assessment, levels, T1)
    assert refused.value.field == f"level_{team.competence(session, '4.2').id}"
    assert all(r.agreed_level is None for r in _ratings(session, team.assessment).values())


def test_a_competence_that_does_not_apply_to_the_role_is_refused(
    session: Session, team: Team
) -> None:
    with pytest.raises(ValidationError):
        conversation.agree_levels(
            session, team.manager, team.assessment, _ids(session, team, c6_1=3), T1
        )


def test_a_competence_the_person_did_not_rate_gets_no_agreed_level(
    session: Session, team: Team
) -> None:
    with pytest.raises(ValidationError):
        conversation.agree_levels(
            session, team.manager, team.assessment, _ids(session, team, c5_1=2), T1
        )
    # Clearing it (nothing to clear) is harmless.
    assert (
        conversation.agree_levels(
            session, team.manager, team.assessment, _ids(session, team, c5_1=None), T1
        )
        == 0
    )


def test_a_draft_cannot_be_agreed_on(session: Session, team: Team) -> None:
    draft = assessment(
        session, team.colleague, team.round, {"1.1": (2, 3)}, status=AssessmentStatus.DRAFT
    )
    with pytest.raises(Conflict):
        conversation.agree_levels(session, team.manager, draft, _ids(session, team, c1_1=3), T1)
    with pytest.raises(Conflict):
        conversation.save_conversation_notes(session, team.manager, draft, "Hej")
    with pytest.raises(Conflict):
        conversation.mark_conversation_held(session, team.manager, draft, T1)


@pytest.mark.parametrize("who", ["person", "colleague", "other_manager", "coordinator", "admin"])
def test_only_the_manager_chain_may_write(session: Session, team: Team, who: str) -> None:
    actor = getattr(team, who)
    with pytest.raises(PermissionDenied):
        conversation.agree_levels(session, actor, team.assessment, _ids(session, team, c1_1=3), T1)
    with pytest.raises(PermissionDenied):
        conversation.save_conversation_notes(session, actor, team.assessment, "Hej")
    with pytest.raises(PermissionDenied):
        conversation.mark_conversation_held(session, actor, team.assessment, T1)
    assert _ratings(session, team.assessment)["1.1"].agreed_level is None


def test_the_managers_manager_may_agree_levels(session: Session, team: Team) -> None:
    conversation.agree_levels(session, team.boss, team.assessment, _ids(session, team, c1_1=2), T1)
    assert _ratings(session, team.assessment)["1.1"].agreed_by_id == team.boss.id


def test_levels_can_still_be_agreed_after_the_conversation_is_held(
    session: Session, team: Team
) -> None:
    conversation.mark_conversation_held(session, team.manager, team.assessment, T1)
    assert (
        conversation.agree_levels(
            session, team.manager, team.assessment, _ids(session, team, c1_1=3), T2
        )
        == 1
    )


# --- notes and held ----------------------------------------------------------------------------


def test_notes_are_stored_trimmed_and_a_too_long_text_is_refused(
    session: Session, team: Team
) -> None:
    conversation.save_conversation_notes(
        session, team.manager, team.assessment, "  Vi pratade om e-tjänster.\r\nMål: kurs.  "
    )
    assert team.assessment.conversation_notes == "Vi pratade om e-tjänster.\nMål: kurs."
    with pytest.raises(ValidationError) as refused:
        conversation.save_conversation_notes(
            session, team.manager, team.assessment, "x" * (conversation.NOTES_MAX + 1)
        )
    assert refused.value.field == "notes"
    # Exactly the maximum fits; line breaks count once.
    conversation.save_conversation_notes(
        session, team.manager, team.assessment, "x\r\n" * (conversation.NOTES_MAX // 2)
    )


def test_marking_held_is_idempotent_and_tells_the_person_once(session: Session, team: Team) -> None:
    assert conversation.mark_conversation_held(session, team.manager, team.assessment, T1)
    assert not conversation.mark_conversation_held(session, team.boss, team.assessment, T2)
    assert team.assessment.status == AssessmentStatus.REVIEWED
    assert team.assessment.reviewed_by_id == team.manager.id
    assert team.assessment.reviewed_at == T1
    told = list(session.scalars(select(Notification).where(Notification.user_id == team.person.id)))
    assert len(told) == 1
    assert told[0].link == f"/skattning/samtal/{team.assessment.id}"
    assert team.round.name in told[0].title


# --- the level table ---------------------------------------------------------------------------


def test_rows_are_the_roles_competences_by_area_with_the_gap_from_the_assessed_level(
    session: Session, team: Team
) -> None:
    conversation.agree_levels(
        session, team.manager, team.assessment, _ids(session, team, c4_2=2), T1
    )
    areas = conversation_rows(session, team.assessment)
    assert [g.area.code for g in areas] == ["1", "4", "5"]
    rows = {r.competence.code: r for g in areas for r in g.rows}
    assert set(rows) == {"1.1", "4.2", "5.1"}  # 6.1 does not apply to librarians
    assert (rows["1.1"].expected, rows["1.1"].self_level, rows["1.1"].need) == (3, 2, 1)
    assert rows["1.1"].comment == "Jag vill lära mig mer om sökteknik."
    # Agreed 2 wins over self 3: need 4 − 2.
    assert (rows["4.2"].assessed_level, rows["4.2"].need) == (2, 2)
    assert rows["4.2"].agreed_by_name == team.manager.name
    assert rows["5.1"].self_level is None and rows["5.1"].need == 0
    assert not rows["5.1"].can_agree


def test_rows_follow_the_job_role_recorded_on_the_assessment(session: Session, team: Team) -> None:
    team.assessment.job_role_id = None
    session.flush()
    assert conversation_rows(session, team.assessment) == []


# --- the team list -----------------------------------------------------------------------------


def _entries(members: list[Any], person_id: int) -> list[Any]:
    return next(m.entries for m in members if m.person.id == person_id)


def test_the_team_is_everyone_below_the_manager_with_a_status_per_round(
    session: Session, team: Team
) -> None:
    today = date.today()
    members = list_team(session, team.boss, today)
    names = [m.person.name for m in members]
    assert names == ["Anna Lind", "Karl Berg", "Mats Enhetschef"]  # direct and indirect
    anna = _entries(members, team.person.id)
    assert [(e.round.id, e.status) for e in anna] == [(team.round.id, TeamStatus.SUBMITTED)]
    assert anna[0].has_conversation
    karl = _entries(members, team.colleague.id)
    assert [(e.status, e.assessment_id) for e in karl] == [(TeamStatus.NOT_STARTED, None)]


def test_the_open_round_comes_first_then_the_newest(session: Session, team: Team) -> None:
    today = date.today()
    org = [team.person.organisation]
    older = assessment_round(
        session, "Skattning våren 2025", opens_on=today - timedelta(days=400), organisations=org
    )
    newer_closed = assessment_round(
        session, "Skattning hösten 2025", opens_on=today - timedelta(days=200), organisations=org
    )
    assessment_round(  # upcoming: not listed until it opens
        session, "Skattning våren 2027", opens_on=today + timedelta(days=30), organisations=org
    )
    assessment(session, team.person, older, {"1.1": (1, 2, 2)}, status=AssessmentStatus.FOLLOWED_UP)
    entries = _entries(list_team(session, team.manager, today), team.person.id)
    assert [e.round.id for e in entries] == [team.round.id, newer_closed.id, older.id]
    assert [e.status for e in entries] == [
        TeamStatus.SUBMITTED,
        TeamStatus.NOT_STARTED,
        TeamStatus.FOLLOWED_UP,
    ]


def test_a_draft_shows_only_as_a_draft(session: Session, team: Team) -> None:
    assessment(session, team.colleague, team.round, {"1.1": (5, 5)}, status=AssessmentStatus.DRAFT)
    karl = _entries(list_team(session, team.manager, date.today()), team.colleague.id)
    assert karl[0].status == TeamStatus.DRAFT
    assert not karl[0].has_conversation
    assert not hasattr(karl[0], "ratings")


def test_inactive_people_and_other_teams_are_not_listed(session: Session, team: Team) -> None:
    team.colleague.is_active = False
    session.flush()
    names = [m.person.name for m in list_team(session, team.manager, date.today())]
    assert names == ["Anna Lind"]
    assert [m.person.name for m in list_team(session, team.other_manager, date.today())] == [
        "Eva Annanteam"
    ]


def test_the_team_list_takes_the_same_queries_for_3_and_30_reports(
    session: Session, count_queries: Any
) -> None:
    counts = []
    for size in (3, 30):
        boss = factories.user(session, permissions=Permission.MANAGER)
        round_ = assessment_round(session, f"Omgång {size}", organisations=[boss.organisation])
        for n in range(size):
            report = factories.user(session, manager=boss)
            if n % 2:
                assessment(session, report, round_, {"1.1": (2, 3)})
        session.flush()
        session.expire_all()
        with count_queries() as counter:
            members = list_team(session, boss, date.today())
            for member in members:
                _ = [member.person.department, member.person.job_role, member.person.manager]
        assert len(members) == size
        counts.append(counter.count)
    assert counts[0] == counts[1]
