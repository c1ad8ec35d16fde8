"""Self-paced learning: start, knowledge checks, completion credited once, courses, races."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, Lesson
from lms.core.db import make_engine, run_with_retry
from lms.core.time import utcnow
from lms.progress import services
from lms.progress.models import Completion, Enrolment, QuizAttempt
from tests import factories
from tests.catalog import factories as cf
from tests.conftest import make_database

RIGHT = {0: {1}, 1: {0, 2}}
WRONG = {0: {0}, 1: {0}}


def count_completions(session: Session, user: User) -> int:
    stmt = select(func.count()).select_from(Completion).where(Completion.user_id == user.id)
    return int(session.scalar(stmt) or 0)


def course_with_lessons(session: Session, *, quiz_on_first: bool = False) -> Activity:
    course = cf.activity(session, format="course", minutes=45, slug="sakra-losenord")
    cf.lesson(session, course, title="Varför", slug="varfor", body=cf.QUIZ if quiz_on_first else "")
    cf.lesson(session, course, title="Fördjupning", slug="fordjupning", required=False)
    cf.lesson(session, course, title="Lösenfraser", slug="losenfraser")
    return course


# --- services -------------------------------------------------------------------------------


def test_start_is_idempotent_and_marks_in_progress(session: Session) -> None:
    person = factories.user(session)
    nano = cf.activity(session)
    first = services.start_activity(session, person, nano)
    again = services.start_activity(session, person, nano)
    assert first is again and first.status == "in_progress" and first.started_at is not None
    stmt = select(func.count()).select_from(Enrolment).where(Enrolment.user_id == person.id)
    assert session.scalar(stmt) == 1


def test_completing_a_nanolesson_without_quiz_credits_its_minutes(session: Session) -> None:
    person = factories.user(session)
    nano = cf.activity(session, minutes=15)
    completion = services.complete_activity(session, person, nano, now=utcnow())
    assert completion.credited_minutes == 15 and completion.hours == 0.25
    assert completion.source == "catalogue" and completion.occurrence_key == f"activity:{nano.id}"
    assert completion.title == nano.title
    enrolment = session.scalars(select(Enrolment).where(Enrolment.user_id == person.id)).one()
    assert enrolment.status == "completed" and enrolment.completed_at is not None


def test_completion_stores_department_and_organisation_at_that_time(session: Session) -> None:
    person = factories.user(session)
    completion = services.complete_activity(session, person, cf.activity(session), now=utcnow())
    assert completion.department_id == person.department_id is not None
    assert completion.organisation_id == person.organisation_id
    person.department_id = factories.department(session, "Kulturskolan").id
    session.flush()
    session.refresh(completion)
    assert completion.department_id != person.department_id


def test_quiz_must_be_passed_and_every_attempt_is_kept(session: Session) -> None:
    person = factories.user(session)
    nano = cf.activity(session, body=cf.QUIZ)
    with pytest.raises(services.QuizNotPassed):
        services.complete_activity(session, person, nano, now=utcnow())
    failed, _ = services.record_quiz_attempt(session, person, nano, WRONG)
    assert not failed.passed
    with pytest.raises(services.QuizNotPassed):
        services.complete_activity(session, person, nano, now=utcnow())
    passed, _ = services.record_quiz_attempt(session, person, nano, RIGHT)
    assert passed.passed
    assert services.complete_activity(session, person, nano, now=utcnow()).credited_minutes == 10
    attempts = session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id == person.id).order_by(QuizAttempt.id)
    ).all()
    assert [(a.score, a.is_passed) for a in attempts] == [(0.0, False), (1.0, True)]
    assert attempts[1].answers == {"0": [1], "1": [0, 2]}


def test_completing_twice_returns_the_one_completion(session: Session) -> None:
    person = factories.user(session)
    nano = cf.activity(session)
    first = services.complete_activity(session, person, nano, now=utcnow())
    assert services.complete_activity(session, person, nano, now=utcnow()) is first
    assert count_completions(session, person) == 1


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublished_activities_cannot_be_started_or_completed(
    session: Session, status: str
) -> None:
    person = factories.user(session)
    nano = cf.activity(session, status=status)
    with pytest.raises(services.NotCompletable):
        services.start_activity(session, person, nano)
    with pytest.raises(services.NotCompletable):
        services.complete_activity(session, person, nano, now=utcnow())
    assert count_completions(session, person) == 0


def test_a_course_and_a_workshop_are_not_completed_directly(session: Session) -> None:
    person = factories.user(session)
    for fmt in ("course", "workshop"):
        with pytest.raises(services.NotCompletable):
            services.complete_activity(
                session, person, cf.activity(session, format=fmt), now=utcnow()
            )


def test_course_completes_once_with_its_minutes_when_required_lessons_are_done(
    session: Session,
) -> None:
    person = factories.user(session)
    course = course_with_lessons(session)
    first, optional, last = course.lessons
    assert services.complete_lesson(session, person, first, now=utcnow()) is None
    completion = services.complete_lesson(session, person, last, now=utcnow())
    assert completion is not None and completion.credited_minutes == 45  # not 5 + 5
    assert services.complete_lesson(session, person, optional, now=utcnow()) is completion
    assert services.complete_lesson(session, person, last, now=utcnow()) is completion
    assert count_completions(session, person) == 1
    assert services.get_activity_progress(session, person, course).status == "completed"


def test_a_lesson_quiz_must_be_passed_before_the_lesson_completes(session: Session) -> None:
    person = factories.user(session)
    course = course_with_lessons(session, quiz_on_first=True)
    first = course.lessons[0]
    with pytest.raises(services.QuizNotPassed):
        services.complete_lesson(session, person, first, now=utcnow())
    _, attempt = services.record_quiz_attempt(session, person, course, RIGHT, lesson=first)
    assert attempt.lesson_id == first.id
    assert not services.has_passed_quiz(session, person, course)  # the course's own check
    assert services.complete_lesson(session, person, first, now=utcnow()) is None


def test_next_lesson_resumes_where_the_person_left_off(session: Session) -> None:
    person = factories.user(session)
    course = course_with_lessons(session)
    first, optional, last = course.lessons
    assert services.next_lesson(session, person, course) == first
    progress = services.get_activity_progress(session, person, course)
    assert progress.status == "not_started" and progress.next_lesson_number == 1
    services.complete_lesson(session, person, first, now=utcnow())
    assert services.next_lesson(session, person, course) == optional
    progress = services.get_activity_progress(session, person, course)
    assert progress.status == "in_progress" and progress.next_lesson_number == 2
    services.complete_lesson(session, person, last, now=utcnow())
    # The optional lesson was skipped: nothing more is needed.
    assert services.next_lesson(session, person, course) is None


def test_record_completion_returns_the_existing_row_for_the_same_occurrence(
    session: Session,
) -> None:
    person = factories.user(session)
    kwargs = {"occurrence_key": "external:7", "minutes": 120, "source": "external"}
    first = services.record_completion(
        session, person, title="Konferens", completed_at=utcnow(), **kwargs
    )
    second = services.record_completion(
        session, person, title="Annan", completed_at=utcnow(), **kwargs
    )
    assert second is first and second.title == "Konferens"
    with pytest.raises(ValueError):
        services.record_completion(
            session, person, occurrence_key="x", minutes=1, source="magic", completed_at=utcnow()
        )


# --- pages ----------------------------------------------------------------------------------


@pytest.fixture
def learner(session: Session, auth: object) -> User:
    person = factories.user(session)
    session.commit()
    assert auth.login(person.email).status_code == 302  # type: ignore[attr-defined]
    return person


def test_activity_page_shows_state_and_buttons(
    client: FlaskClient, session: Session, learner: User, csrf_off: None
) -> None:
    cf.activity(session, slug="nano", minutes=30)
    session.commit()
    html = client.get("/katalog/nano").get_data(as_text=True)
    assert 'action="/larande/nano/starta"' in html and 'action="/larande/nano/klar"' in html
    assert client.post("/larande/nano/starta").status_code == 302
    response = client.post("/larande/nano/klar")
    assert response.status_code == 302 and response.headers["Location"].endswith("/katalog/nano")
    html = client.get("/katalog/nano").get_data(as_text=True)
    assert "/larande/nano/klar" not in html and "0,5" in html


def test_double_post_creates_one_completion(
    client: FlaskClient, session: Session, learner: User, csrf_off: None
) -> None:
    cf.activity(session, slug="nano")
    session.commit()
    for _ in range(3):
        assert client.post("/larande/nano/klar").status_code == 302
    assert count_completions(session, learner) == 1


def test_quiz_posts_are_recorded_and_unpassed_completion_links_to_the_check(
    client: FlaskClient, session: Session, learner: User, csrf_off: None
) -> None:
    cf.activity(session, slug="nano", body=cf.QUIZ)
    session.commit()
    assert 'action="/larande/nano/kunskapskoll#kunskapskoll"' in client.get("/katalog/nano").text
    refused = client.post("/larande/nano/klar", follow_redirects=True)
    assert 'href="/katalog/nano#kunskapskoll"' in refused.text
    assert client.post("/larande/nano/kunskapskoll", data={"q0": "0"}).status_code == 200
    right = client.post("/larande/nano/kunskapskoll", data={"q0": "1", "q1": ["0", "2"]})
    assert right.status_code == 200
    assert client.post("/larande/nano/klar").status_code == 302
    stmt = select(QuizAttempt.is_passed).where(QuizAttempt.user_id == learner.id)
    assert sorted(session.scalars(stmt)) == [False, True]
    assert count_completions(session, learner) == 1


def test_lesson_completion_leads_to_the_next_lesson_then_the_course(
    client: FlaskClient, session: Session, learner: User, csrf_off: None
) -> None:
    course_with_lessons(session)
    session.commit()
    page = client.get("/katalog/sakra-losenord/varfor").text
    assert 'action="/larande/sakra-losenord/varfor/klar"' in page
    first = client.post("/larande/sakra-losenord/varfor/klar")
    assert first.headers["Location"].endswith("/katalog/sakra-losenord/fordjupning")
    assert "/katalog/sakra-losenord/fordjupning" in client.get("/katalog/sakra-losenord").text
    done = client.post("/larande/sakra-losenord/losenfraser/klar")
    assert done.headers["Location"].endswith("/katalog/sakra-losenord")
    assert count_completions(session, learner) == 1


def test_routes_need_login(client: FlaskClient, session: Session, csrf_off: None) -> None:
    cf.activity(session, slug="nano")
    session.commit()
    for url in ("/larande/nano/starta", "/larande/nano/klar", "/larande/nano/kunskapskoll"):
        response = client.post(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_routes_need_a_csrf_token(client: FlaskClient, session: Session, learner: User) -> None:
    cf.activity(session, slug="nano")
    session.commit()
    assert client.post("/larande/nano/klar").status_code == 400
    assert client.post("/larande/nano/starta").status_code == 400
    assert count_completions(session, learner) == 0


def test_a_draft_is_404_for_a_learner(
    client: FlaskClient, session: Session, learner: User, csrf_off: None
) -> None:
    cf.activity(session, slug="utkast", status="draft")
    session.commit()
    assert client.post("/larande/utkast/klar").status_code == 404


# --- concurrency on a real file database ----------------------------------------------------

THREADS = 20


def _race(url: str, user_id: int, target: str, target_id: int) -> list[BaseException]:
    """Complete the same thing from THREADS connections at once; return what failed."""
    engine = make_engine(url, **({} if url.startswith("sqlite") else {"pool_size": THREADS}))
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker() -> None:
        with Session(engine, expire_on_commit=False) as session:

            def work() -> None:
                user = session.get_one(User, user_id)
                if target == "lesson":
                    services.complete_lesson(
                        session, user, session.get_one(Lesson, target_id), now=utcnow()
                    )
                else:
                    services.complete_activity(
                        session, user, session.get_one(Activity, target_id), now=utcnow()
                    )
                session.commit()

            try:
                barrier.wait()
                run_with_retry(work, attempts=10, session=session)
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    return errors


@pytest.mark.parametrize("target", ["activity", "lesson"])
def test_concurrent_completion_submits_create_exactly_one_completion(
    backend: str, tmp_path: Path, target: str
) -> None:
    url = make_database(backend, tmp_path, pg_name="race")
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        person = factories.user(session)
        if target == "lesson":
            course = course_with_lessons(session)
            services.complete_lesson(session, person, course.lessons[0], now=utcnow())
            target_id = course.lessons[2].id
        else:
            target_id = cf.activity(session).id
        session.commit()
        user_id = person.id
    errors = _race(url, user_id, target, target_id)
    with Session(engine) as session:
        rows = session.scalars(select(Completion).where(Completion.user_id == user_id)).all()
    engine.dispose()
    assert errors == []
    assert len(rows) == 1
