"""The demo's assessment history: two earlier rounds from content/demo/assessments.csv and an
open round nobody has answered yet, so every assessment page has something to show."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Organisation
from lms.assessment.importer import import_assessments
from lms.assessment.models import Assessment, AssessmentRound
from lms.config import REPO_ROOT
from lms.core.time import STOCKHOLM, UTC

DEMO_FILE = REPO_ROOT / "content" / "demo" / "assessments.csv"
# The earlier rounds of the file, dated as the programme ran them (closed and announced).
EARLIER_ROUNDS = {
    "Skattning våren 2025": (date(2025, 3, 1), date(2025, 3, 31)),
    "Skattning våren 2026": (date(2026, 3, 2), date(2026, 3, 31)),
}
OPEN_ROUND = "Skattning hösten 2026"
OPEN_SINCE, OPEN_FOR = timedelta(days=3), timedelta(days=25)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=STOCKHOLM).astimezone(UTC)


def _date_round(session: Session, round_: AssessmentRound, opens_on: date, closes_on: date) -> None:
    """Move a round and its assessments' times into its period (the same values every run)."""
    round_.opens_on, round_.closes_on = opens_on, closes_on
    round_.announced_at = _at(opens_on, 0)
    days = (closes_on - opens_on).days
    assessments = session.scalars(select(Assessment).where(Assessment.round_id == round_.id))
    for assessment in assessments:
        submitted = _at(opens_on + timedelta(days=assessment.user_id % (days + 1)), 10)
        assessment.submitted_at = submitted
        assessment.updated_at = submitted
        if assessment.reviewed_at is not None:
            assessment.reviewed_at = submitted + timedelta(days=7 + assessment.user_id % 14)


def _open_round(session: Session, today: date) -> None:
    if session.scalar(select(AssessmentRound.id).where(AssessmentRound.name == OPEN_ROUND)):
        return
    opens_on = today - OPEN_SINCE
    session.add(
        AssessmentRound(
            name=OPEN_ROUND,
            opens_on=opens_on,
            closes_on=today + OPEN_FOR,
            # Announced already, so starting the demo does not send everyone a notification.
            announced_at=_at(opens_on, 0),
            organisations=list(session.scalars(select(Organisation).order_by(Organisation.name))),
        )
    )


def load_demo_assessments(session: Session, today: date) -> None:
    """Import the demo's earlier rounds and open this autumn's round (safe to rerun).

    Needs the demo organisation and the competence framework loaded first. The caller commits.
    """
    import_assessments(session, DEMO_FILE)
    rounds = session.scalars(
        select(AssessmentRound).where(AssessmentRound.name.in_(list(EARLIER_ROUNDS)))
    )
    for round_ in rounds:
        _date_round(session, round_, *EARLIER_ROUNDS[round_.name])
    _open_round(session, today)
    session.flush()
