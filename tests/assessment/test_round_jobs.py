"""The opening and reminder jobs: everyone told once, reminders 7 and 1 days before closing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.jobs import open_assessment_rounds, send_assessment_reminders
from lms.assessment.models import AssessmentRound, AssessmentStatus
from lms.assessment.round_announcements import OPENED, REMINDER, TEAM, reminder_due
from lms.core.access import Permission
from lms.notify.services import notify
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.assessment.round_helpers import Org, at, job_context, notes, org

OPENS, CLOSES = date(2026, 11, 20), date(2026, 12, 10)


class Team:
    def __init__(self, session: Session, place: Org) -> None:
        person = factories.user
        self.place = place
        self.boss = person(
            session, name="Anders Lund", dept=place.library, permissions=Permission.MANAGER
        )
        self.anna = person(session, name="Anna", dept=place.library, manager=self.boss)
        self.bo = person(session, name="Bo", dept=place.library, manager=self.boss)
        self.gone = person(session, name="Gone", dept=place.library, manager=self.boss)
        self.gone.is_active = False
        # A manager outside the round is still told about their targeted report.
        self.outside = person(
            session, name="Katarina", dept=place.diesel, permissions=Permission.MANAGER
        )
        self.cem = person(session, name="Cem", dept=place.library, manager=self.outside)
        self.untargeted = person(session, name="Nils", dept=place.forum, manager=self.boss)
        session.flush()

    @property
    def targeted(self) -> list[User]:
        return [self.boss, self.anna, self.bo, self.cem]


@pytest.fixture
def team(session: Session) -> Team:
    return Team(session, org(session))


@pytest.fixture
def round_(session: Session, team: Team) -> AssessmentRound:
    return assessment_round(
        session,
        opens_on=OPENS,
        closes_on=CLOSES,
        departments=[team.place.library],
    )


def _open(app: Flask, session: Session, day: date, hour: int = 0) -> dict[str, int]:
    return open_assessment_rounds(job_context(session, app, at(day, hour)))


def _remind(app: Flask, session: Session, day: date) -> dict[str, int]:
    return send_assessment_reminders(job_context(session, app, at(day, 8, 0)))


# --- the opening -----------------------------------------------------------------------------


def test_opening_tells_each_person_and_each_manager_once(
    app: Flask, session: Session, team: Team, round_: AssessmentRound
) -> None:
    assert _open(app, session, date(2026, 11, 19), 23) == {"rounds": 0, "people": 0, "managers": 0}
    assert round_.announced_at is None

    assert _open(app, session, OPENS) == {"rounds": 1, "people": 4, "managers": 2}
    assert round_.announced_at == at(OPENS, 0)
    for person in team.targeted:
        [note] = notes(session, person, OPENED)
        assert round_.name in note.title and note.link == "/skattning/"
        assert "10 december 2026" in note.body or "December 10, 2026" in note.body
    assert notes(session, team.gone) == [] and notes(session, team.untargeted) == []
    [boss_note] = notes(session, team.boss, TEAM)
    assert "2" in boss_note.title and boss_note.link == "/skattning/samtal/"
    [outside_note] = notes(session, team.outside, TEAM)
    assert "1" in outside_note.title
    assert notes(session, team.anna, TEAM) == []

    # The next hour, the same hour again and a second scheduler that missed announced_at.
    assert _open(app, session, OPENS, 1) == {"rounds": 0, "people": 0, "managers": 0}
    round_.announced_at = None
    assert _open(app, session, OPENS) == {"rounds": 1, "people": 0, "managers": 0}
    assert len(notes(session, kind=OPENED)) == 4 and len(notes(session, kind=TEAM)) == 2


def test_a_round_is_announced_on_a_later_run_but_never_after_it_closed(
    app: Flask, session: Session, team: Team, round_: AssessmentRound
) -> None:
    late = assessment_round(
        session,
        "Stängd",
        opens_on=date(2026, 10, 1),
        closes_on=date(2026, 10, 31),
        departments=[team.place.library],
    )
    assert _open(app, session, date(2026, 11, 25))["rounds"] == 1
    assert round_.announced_at is not None and late.announced_at is None
    assert len(notes(session, team.anna, OPENED)) == 1


# --- reminders -------------------------------------------------------------------------------


def test_reminders_go_7_and_1_days_before_closing_once_each_to_those_not_done(
    app: Flask, session: Session, team: Team, round_: AssessmentRound
) -> None:
    _open(app, session, OPENS)
    draft = assessment(session, team.bo, round_, {}, status=AssessmentStatus.DRAFT)
    assessment(session, team.cem, round_, {}, status=AssessmentStatus.SUBMITTED)

    assert _remind(app, session, date(2026, 12, 2)) == {"rounds": 0, "reminded": 0}
    assert _remind(app, session, date(2026, 12, 3)) == {"rounds": 1, "reminded": 3}
    reminded = {n.user_id for n in notes(session, kind=REMINDER)}
    assert reminded == {team.boss.id, team.anna.id, team.bo.id}
    note = notes(session, team.anna, REMINDER)[0]
    assert note.link == "/skattning/" and round_.name in note.title
    for day in (date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 8)):
        assert _remind(app, session, day)["reminded"] == 0

    draft.status = AssessmentStatus.SUBMITTED
    session.flush()
    assert _remind(app, session, date(2026, 12, 9)) == {"rounds": 1, "reminded": 2}
    assert _remind(app, session, CLOSES)["reminded"] == 0
    assert _remind(app, session, date(2026, 12, 11)) == {"rounds": 0, "reminded": 0}
    assert len(notes(session, team.anna, REMINDER)) == 2
    assert len(notes(session, team.bo, REMINDER)) == 1
    assert notes(session, team.cem, REMINDER) == [] and notes(session, team.gone) == []


def test_no_reminder_for_a_round_never_announced(
    app: Flask, session: Session, team: Team, round_: AssessmentRound
) -> None:
    assert _remind(app, session, date(2026, 12, 3)) == {"rounds": 0, "reminded": 0}


def test_a_late_first_run_sends_only_the_latest_reminder(
    app: Flask, session: Session, team: Team, round_: AssessmentRound
) -> None:
    _open(app, session, OPENS)
    assert _remind(app, session, date(2026, 12, 9))["reminded"] == 4
    assert len(notes(session, team.anna, REMINDER)) == 1
    assert _remind(app, session, CLOSES)["reminded"] == 0


def test_nobody_deactivated_after_the_opening_is_reminded(
    app: Flask, session: Session, team: Team, round_: AssessmentRound
) -> None:
    _open(app, session, OPENS)
    team.anna.is_active = False
    session.flush()
    _remind(app, session, date(2026, 12, 3))
    assert notes(session, team.anna, REMINDER) == []


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 19), None),
        (date(2026, 12, 2), None),
        (date(2026, 12, 3), 7),
        (date(2026, 12, 8), 7),
        (date(2026, 12, 9), 1),
        (date(2026, 12, 10), 1),
        (date(2026, 12, 11), None),
    ],
)
def test_which_reminder_is_due(today: date, expected: int | None) -> None:
    round_ = AssessmentRound(name="x", opens_on=OPENS, closes_on=CLOSES)
    assert reminder_due(round_, today) == expected


def test_the_opening_loads_people_in_batches(
    app: Flask, session: Session, count_queries: Any, team: Team, round_: AssessmentRound
) -> None:
    """Beyond notify()'s own statements, telling more people costs no more queries."""
    _open(app, session, OPENS)  # the first round; everyone's preferences exist now
    library = [team.place.library]
    assessment_round(session, "Få", opens_on=OPENS, closes_on=CLOSES, departments=library)
    with count_queries() as small:
        _open(app, session, OPENS, 2)
    newcomers = [factories.user(session, dept=team.place.library) for _ in range(5)]
    for newcomer in newcomers:  # their first notification, outside the counted run
        notify(session, newcomer, kind="probe", title="t")
    assessment_round(session, "Fler", opens_on=OPENS, closes_on=CLOSES, departments=library)
    with count_queries() as large:
        _open(app, session, OPENS, 3)
    with count_queries() as one:
        notify(session, newcomers[0], kind="probe", title="t", dedupe_key="probe")
    assert small.count > 0
    assert large.count - small.count == 5 * one.count
