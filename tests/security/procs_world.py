"""Data for the multi-process checks, written by a separate process (so the test process's own
`db` stays bound to the test database):

    python -m tests.security.procs_world reminders URL INSTANCE N   → JSON on stdout
    python -m tests.security.procs_world crash URL INSTANCE PEOPLE CAPACITY

`reminders`: N people booked on a session that starts tomorrow (Stockholm) and in an assessment
round that closes in 7 days, one of them named with a CR/LF header injection, the activity and
the round named with one too, and one more such person who is then deactivated.
`crash`: a manager, a person with a submitted assessment of 14 self ratings in a round, and a
session of CAPACITY seats that PEOPLE more people try to book.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lms.accounts import services as accounts
from lms.app import create_app
from lms.assessment.models import AssessmentStatus, Rating
from lms.catalog.schedule import sync_seats
from lms.config import REPO_ROOT, load_settings
from lms.core.access import Permission
from lms.core.db import db
from lms.core.time import local_date, start_of_local_day, utcnow
from lms.framework.models import Competence, RoleExpectation
from lms.progress.models import Booking
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.catalog import factories as catalog

SECRET = "procs-secret-key-that-is-long-enough-0123456789"
PASSWORD = factories.PASSWORD
INJECTION = "\r\nBcc: evil@attacker.example\r\nX-Injected: yes"
COMPETENCES = 14


def seed_reminders(count: int) -> dict[str, Any]:
    session = db.session()
    elsewhere = factories.department(
        session, "Stab", factories.organisation(session, "Stadsledning")
    )
    admin = factories.admin(session, password=None, dept=elsewhere)
    activity = catalog.activity(session, format="workshop", delivery="physical")
    activity.title = f"Workshop om AI{INJECTION}"  # as an import could write it
    tomorrow = local_date(utcnow()) + timedelta(days=1)
    occurrence = catalog.session_of(
        session,
        activity,
        starts_at=start_of_local_day(tomorrow) + timedelta(hours=10),
        capacity=count + 1,
    )
    sync_seats(session, occurrence)
    people = [factories.user(session, password=None) for _ in range(count + 1)]
    people[0].name = f"Eva Injektion{INJECTION}"
    for seat, person in enumerate(people, start=1):
        session.add(
            Booking(session_id=occurrence.id, user_id=person.id, status="booked", seat=seat)
        )
    session.flush()
    departed = people.pop()
    today = local_date(utcnow())
    round_ = assessment_round(  # closes in 7 days: the 7-day reminder is due for everyone
        session,
        name=f"Skattning{INJECTION}",
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=7),
        organisations=[people[0].organisation],
    )
    round_.announced_at = utcnow()
    accounts.set_active(session, admin, departed, False)
    session.commit()
    return {
        "emails": [person.email for person in people],
        "injected": people[0].email,
        "deactivated": departed.email,
    }


def seed_crash(people: int, capacity: int) -> dict[str, Any]:
    session = db.session()
    catalog.framework(session)
    competences = session.scalars(select(Competence).order_by(Competence.id)).all()
    while len(competences) < COMPETENCES:  # the test framework has fewer: add some
        n = len(competences)
        extra = Competence(
            area=competences[0].area,
            code=f"9.{n}",
            name=f"Delkompetens {n}",
            digcomp="",
            description="",
            levels={str(level): f"Nivå {level}" for level in range(1, 6)},
            position=100 + n,
        )
        session.add(extra)
        session.flush()
        competences = [*competences, extra]
    role = factories.job_role(session, "Kraschroll")
    for competence in competences[:COMPETENCES]:
        session.add(RoleExpectation(job_role_id=role.id, competence_id=competence.id, level=3))
    manager = factories.user(session, permissions=Permission.NONE)
    person = factories.user(session, password=None, manager=manager, role=role)
    made = assessment(session, person, assessment_round(session), status=AssessmentStatus.SUBMITTED)
    for competence in competences[:COMPETENCES]:
        made.ratings.append(Rating(competence_id=competence.id, self_level=3, motivation=3))
    activity = catalog.activity(session, format="workshop", delivery="physical")
    occurrence = catalog.session_of(session, activity, capacity=capacity)
    sync_seats(session, occurrence)
    bookers = [factories.user(session, password=None) for _ in range(people)]
    for booker in bookers:
        booker.password_hash = manager.password_hash  # one slow hash, shared
    session.commit()
    return {
        "manager": manager.email,
        "assessment_id": made.id,
        "competence_ids": [c.id for c in competences[:COMPETENCES]],
        "activity_slug": activity.slug,
        "session_id": occurrence.id,
        "bookers": [booker.email for booker in bookers],
    }


def seed(kind: str, url: str, instance: Path, *args: int) -> dict[str, Any]:
    """Write a scenario's data from a separate process (see tests/security/procs_world.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.procs_world", kind, url, str(instance),
         *map(str, args)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("LMS_")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> None:
    kind, url, instance = argv[0], argv[1], Path(argv[2])
    settings = load_settings(
        environ={}, env="test", database_url=url, instance_path=instance, secret_key=SECRET
    )
    app = create_app(settings)
    with app.app_context():
        if kind == "reminders":
            result = seed_reminders(int(argv[3]))
        else:
            result = seed_crash(int(argv[3]), int(argv[4]))
        db.session.remove()
    db.engine.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
