"""Telling people about assessment rounds: the opening, once, and reminders before closing.

Every notification has a dedupe key, so a second run (or a second scheduler) tells nobody
twice; `announced_at` keeps a round from being opened again. Deactivated people are never
told (the targets are active people, and `notify` skips the rest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import LazyString, format_date
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.models import Assessment, AssessmentRound, AssessmentStatus
from lms.assessment.rounds_base import targeted_user_ids
from lms.core.audit import record_event
from lms.core.i18n import _l
from lms.notify.models import Notification
from lms.notify.services import notify

REMINDER_DAYS = (7, 1)  # reminders go out this many days before the round closes
BATCH_SIZE = 500  # people loaded per query
OPENED, TEAM, REMINDER = "assessment_round_open", "assessment_round_team", "assessment_reminder"


def site_path(endpoint: str) -> str:
    """The site path of an endpoint, also outside a request (jobs)."""
    return str(current_app.url_map.bind("localhost").build(endpoint, {}))


def _long_date(day: date) -> LazyString:
    # Evaluated per recipient, inside notify's force_locale: "16 december 2026".
    return LazyString(lambda: str(format_date(day, "d MMMM y")))


def _batches(session: Session, stmt: Select[User]) -> Iterator[Sequence[User]]:
    """The people of `stmt` in id order, BATCH_SIZE at a time."""
    last_id = 0
    while True:
        batch = session.scalars(stmt.where(User.id > last_id).order_by(User.id).limit(BATCH_SIZE))
        people = batch.all()
        if people:
            yield people
        if len(people) < BATCH_SIZE:
            return
        last_id = people[-1].id


# --- the opening ---------------------------------------------------------------------------


def _tell_person(session: Session, round_: AssessmentRound, person: User) -> bool:
    sent = notify(
        session,
        person,
        kind=OPENED,
        title=_l("The assessment round %(name)s is open", name=round_.name),
        body=_l(
            "Assess your digital competence by %(day)s: rate each competence and your "
            "motivation. Then you talk it through with your manager.",
            day=_long_date(round_.closes_on),
        ),
        link=site_path("assessment.index"),
        dedupe_key=f"assessment-round-open:{round_.id}:{person.id}",
    )
    return sent is not None


def _tell_manager(session: Session, round_: AssessmentRound, manager: User, team: int) -> bool:
    sent = notify(
        session,
        manager,
        kind=TEAM,
        title=_l(
            "Assessment round %(name)s: %(num)d of your team take part", name=round_.name, num=team
        ),
        body=_l(
            "They assess themselves by %(day)s. Then you hold the conversation with each of "
            "them and agree on a development plan.",
            day=_long_date(round_.closes_on),
        ),
        link=site_path("conversation.team"),
        dedupe_key=f"assessment-round-team:{round_.id}:{manager.id}",
    )
    return sent is not None


def announce_round(session: Session, round_: AssessmentRound, now: datetime) -> tuple[int, int]:
    """Tell the round's people, and once each their managers; returns (people, managers)."""
    round_.announced_at = now
    people_told = 0
    team_sizes: Counter[int] = Counter()
    targeted = select(User).where(User.id.in_(targeted_user_ids(round_.id)))
    for batch in _batches(session, targeted):
        for person in batch:
            people_told += _tell_person(session, round_, person)
            if person.manager_id is not None:
                team_sizes[person.manager_id] += 1
    managers_told = 0
    managers = select(User).where(User.id.in_(list(team_sizes)), User.is_active.is_(True))
    for batch in _batches(session, managers):
        for manager in batch:
            managers_told += _tell_manager(session, round_, manager, team_sizes[manager.id])
    session.flush()
    record_event(
        session,
        actor_id=None,
        action="assessment_round.announce",
        object_type="assessment_round",
        object_id=round_.id,
        people=people_told,
        managers=managers_told,
    )
    return people_told, managers_told


def announce_due_rounds(session: Session, now: datetime, today: date) -> dict[str, int]:
    """Announce every round open `today` that has not been announced yet.

    A round that closed before it was ever announced is left alone: telling people about a
    round they can no longer answer helps nobody.
    """
    due = session.scalars(
        select(AssessmentRound)
        .where(
            AssessmentRound.announced_at.is_(None),
            AssessmentRound.opens_on <= today,
            AssessmentRound.closes_on >= today,
        )
        .order_by(AssessmentRound.id)
    ).all()
    counts = {"rounds": 0, "people": 0, "managers": 0}
    for round_ in due:
        people, managers = announce_round(session, round_, now)
        counts["rounds"] += 1
        counts["people"] += people
        counts["managers"] += managers
    return counts


# --- reminders -----------------------------------------------------------------------------


def reminder_due(round_: AssessmentRound, today: date) -> int | None:
    """Which reminder (days before closing) is due `today`, or None.

    The latest one whose day has come, while the round is open: a job that missed the
    7-day reminder sends the 1-day one only, so nobody gets two at once.
    """
    if not round_.opens_on <= today <= round_.closes_on:
        return None
    due = [days for days in REMINDER_DAYS if today >= round_.closes_on - timedelta(days=days)]
    return min(due) if due else None


def _reminder_key(round_: AssessmentRound, days: int, user_id: int) -> str:
    return f"assessment-round-reminder:{round_.id}:{days}:{user_id}"


def _not_done(round_: AssessmentRound, days: int) -> Select[User]:
    """Targeted people without a submitted assessment who have not had this reminder."""
    done = exists().where(
        Assessment.round_id == round_.id,
        Assessment.user_id == User.id,
        Assessment.status != AssessmentStatus.DRAFT,
    )
    reminded = exists().where(
        Notification.user_id == User.id,
        Notification.dedupe_key.like(f"assessment-round-reminder:{round_.id}:{days}:%"),
    )
    return select(User).where(User.id.in_(targeted_user_ids(round_.id)), ~done, ~reminded)


def remind_round(session: Session, round_: AssessmentRound, days: int) -> int:
    """Remind the round's people who have not submitted; returns how many were told."""
    values = {"name": round_.name, "day": _long_date(round_.closes_on)}
    told = 0
    for batch in _batches(session, _not_done(round_, days)):
        for person in batch:
            sent = notify(
                session,
                person,
                kind=REMINDER,
                title=_l("The assessment round %(name)s closes on %(day)s", **values),
                body=_l(
                    "You have not submitted your self-assessment yet. It is saved as you go, "
                    "so you can continue where you left off."
                ),
                link=site_path("assessment.index"),
                dedupe_key=_reminder_key(round_, days, person.id),
            )
            told += sent is not None
    session.flush()
    return told


def send_due_reminders(session: Session, today: date) -> dict[str, int]:
    """Send each open, announced round's due reminder to those not done, each once."""
    candidates = session.scalars(
        select(AssessmentRound)
        .where(
            AssessmentRound.announced_at.is_not(None),
            AssessmentRound.opens_on <= today,
            AssessmentRound.closes_on >= today,
        )
        .order_by(AssessmentRound.id)
    ).all()
    counts = {"rounds": 0, "reminded": 0}
    for round_ in candidates:
        days = reminder_due(round_, today)
        if days is None:
            continue
        counts["rounds"] += 1
        counts["reminded"] += remind_round(session, round_, days)
    return counts
