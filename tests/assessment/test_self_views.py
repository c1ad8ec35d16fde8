"""The employee's pages: my competence, the step-by-step self-assessment, drafts saved as you go."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import JobRole, User
from lms.assessment.models import (
    Assessment,
    AssessmentRound,
    AssessmentStatus,
    DevelopmentPlan,
    Rating,
)
from lms.core.time import local_date, utcnow
from lms.framework.models import Competence, RoleExpectation
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.catalog.conftest import sv
from tests.catalog.factories import framework, role_with_expectations

BASE = "/skattning"
LIBRARIAN = {"1.1": 3, "2.1": 2, "4.2": 3}


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def today() -> date:
    return local_date(utcnow())


@pytest.fixture
def librarian(session: Session) -> JobRole:
    return role_with_expectations(session, "Bibliotekarie", LIBRARIAN)


@pytest.fixture
def person(session: Session, librarian: JobRole) -> User:
    boss = factories.user(session, name="Karin Chef")
    return factories.user(session, name="Fatima Ahmed", role=librarian, manager=boss)


@pytest.fixture
def open_round(session: Session, person: User) -> AssessmentRound:
    return assessment_round(
        session,
        "Skattning hösten 2026",
        opens_on=today() - timedelta(days=2),
        closes_on=today() + timedelta(days=20),
        organisations=[person.organisation],
    )


@pytest.fixture
def draft(session: Session, person: User, open_round: AssessmentRound) -> Assessment:
    made = assessment(session, person, open_round, status=AssessmentStatus.DRAFT)
    session.commit()
    return made


@pytest.fixture
def signed_in(session: Session, auth: Any, person: User) -> User:
    session.commit()
    auth.login(person.email)
    return person


def competence_id(session: Session, code: str) -> int:
    return framework(session).competences[code].id


def ratings_of(session: Session, made: Assessment) -> dict[str, Rating]:
    session.expire_all()
    rows = session.scalars(select(Rating).where(Rating.assessment_id == made.id))
    return {r.competence.code: r for r in rows}


def closed_round(session: Session, person: User) -> AssessmentRound:
    return assessment_round(
        session,
        "Våren 2026",
        opens_on=today() - timedelta(days=40),
        closes_on=today() - timedelta(days=10),
        organisations=[person.organisation],
    )


def step_url(made: Assessment, number: int) -> str:
    return f"{BASE}/{made.id}/steg/{number}"


# --- access ----------------------------------------------------------------------------------


def test_signed_out_people_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get(BASE + "/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_persons_assessment_is_as_missing_as_a_missing_one(
    client: FlaskClient,
    session: Session,
    auth: Any,
    csrf_off: None,
    librarian: JobRole,
    draft: Assessment,
) -> None:
    colleague = factories.user(session, role=librarian)
    session.commit()
    auth.login(colleague.email)
    for assessment_id in (draft.id, 999999):
        for path in (f"/{assessment_id}/steg/1", f"/{assessment_id}/granska"):
            assert client.get(BASE + path).status_code == 404, path
        for path in (
            f"/{assessment_id}/steg/1",
            f"/{assessment_id}/utkast",
            f"/{assessment_id}/skicka",
        ):
            data = {"competence": str(competence_id(session, "4.2")), "self_level": "3"}
            assert client.post(BASE + path, data=data).status_code == 404, path
    assert ratings_of(session, draft) == {}


# --- my competence ---------------------------------------------------------------------------


def test_a_new_person_is_told_what_will_happen(client: FlaskClient, signed_in: User) -> None:
    page = text(client.get(BASE + "/"))
    assert (
        sv(
            "No assessment round is open for you right now. When your organisation opens one, "
            "you get a notification and start your self-assessment here. Your draft is saved as "
            "you go, so you can stop and continue later."
        )
        in page
    )
    assert "history-caption" not in page
    assert 'href="/skattning/plan/onskemal"' in page


def test_a_person_without_a_job_role_is_told_to_ask_an_admin(
    client: FlaskClient, session: Session, auth: Any
) -> None:
    nobody = factories.user(session)
    session.commit()
    auth.login(nobody.email)
    page = text(client.get(BASE + "/"))
    assert (
        sv(
            "No job role is set for you, so no sub-competences apply to you yet. Ask an "
            "administrator to set your job role."
        )
        in page
    )


def test_an_open_round_can_be_started_and_opens_the_first_step(
    client: FlaskClient,
    session: Session,
    signed_in: User,
    csrf_off: None,
    open_round: AssessmentRound,
) -> None:
    page = text(client.get(BASE + "/"))
    assert open_round.name in page and sv("Start your self-assessment") in page
    response = client.post(f"{BASE}/omgang/{open_round.id}/starta")
    made = session.scalar(select(Assessment).where(Assessment.user_id == signed_in.id))
    assert made is not None and made.status == AssessmentStatus.DRAFT
    assert response.headers["Location"] == step_url(made, 1)
    assert sv("Continue your self-assessment") in text(client.get(BASE + "/"))


def test_a_closed_round_cannot_be_started(
    client: FlaskClient, session: Session, signed_in: User, csrf_off: None
) -> None:
    closed = closed_round(session, signed_in)
    session.commit()
    response = client.post(f"{BASE}/omgang/{closed.id}/starta", follow_redirects=True)
    assert sv(
        "The assessment round closed on %(day)s; answers can no longer be given.",
        day=closed.closes_on.isoformat(),
    ) in text(response)
    assert session.scalar(select(Assessment)) is None
    assert client.post(f"{BASE}/omgang/999999/starta").status_code == 404


# --- the steps -------------------------------------------------------------------------------


def test_each_sub_competence_is_one_form_with_labelled_radio_groups(
    client: FlaskClient, signed_in: User, draft: Assessment
) -> None:
    page = text(client.get(step_url(draft, 2)))
    assert sv("Sub-competence %(n)d of %(total)d", n=2, total=3) in page
    assert "2.1 Kommunicera med digital teknik" in page
    assert "Beskrivning av kommunicera med digital teknik." in page
    assert page.count("<fieldset") == 2 and page.count("<legend>") == 2
    labels = dict(re.findall(r'<label for="self_level-\d">(\d) – ([^<]+)</label>', page))
    assert labels == {str(n): f"Nivå {n} i 2.1." for n in range(1, 6)}
    assert re.search(r'<label for="motivation-0">1 – ' + sv("low") + "</label>", page)
    assert re.search(r'<label for="motivation-4">5 – ' + sv("high") + "</label>", page)
    assert 'aria-live="polite"' in page
    assert re.search(r'<script src="[^"]*/js/assessment\.js" defer>', page)
    assert "<script>" not in page and "style=" not in page
    assert client.get(step_url(draft, 4)).status_code == 404
    assert client.get(step_url(draft, 0)).status_code == 404


def test_a_step_saves_a_partial_answer_and_moves_on(
    client: FlaskClient, session: Session, signed_in: User, draft: Assessment, csrf_off: None
) -> None:
    response = client.post(step_url(draft, 1), data={"self_level": "2", "action": "next"})
    assert response.headers["Location"] == step_url(draft, 2)
    saved = ratings_of(session, draft)["1.1"]
    assert (saved.self_level, saved.motivation) == (2, None)

    back = client.post(step_url(draft, 2), data={"motivation": "4", "action": "previous"})
    assert back.headers["Location"] == step_url(draft, 1)
    last = client.post(step_url(draft, 3), data={"self_level": "3", "motivation": "5"})
    assert last.headers["Location"] == f"{BASE}/{draft.id}/granska"
    assert set(ratings_of(session, draft)) == {"1.1", "2.1", "4.2"}
    page = text(client.get(step_url(draft, 1)))
    assert re.search(r'id="self_level-1"[^>]*checked|checked[^>]*id="self_level-1"', page)


def test_an_invalid_answer_is_shown_by_its_field_with_what_was_typed(
    client: FlaskClient, session: Session, signed_in: User, draft: Assessment, csrf_off: None
) -> None:
    data = {"self_level": "9", "motivation": "3", "comment": "Jag vill bli bättre på källkritik."}
    response = client.post(step_url(draft, 1), data=data)
    page = text(response)
    assert response.status_code == 200
    assert f'id="self_level-error">{sv("Choose a level from 1 to 5.")}' in page
    assert "Jag vill bli bättre på källkritik." in page
    assert ratings_of(session, draft) == {}
    too_long = client.post(step_url(draft, 1), data={"comment": "x" * 2001})
    assert 'id="comment-error"' in text(too_long) and ratings_of(session, draft) == {}


def test_a_submitted_assessment_opens_read_only(
    client: FlaskClient, session: Session, signed_in: User, open_round: AssessmentRound
) -> None:
    done = assessment(session, signed_in, open_round, {"1.1": (3, 3), "2.1": (2, 2), "4.2": (3, 4)})
    session.commit()
    for path in (step_url(done, 1), f"{BASE}/{done.id}/granska"):
        response = client.get(path)
        assert response.headers["Location"] == f"/skattning/samtal/{done.id}"


def test_a_draft_in_a_closed_round_can_no_longer_be_changed(
    client: FlaskClient, session: Session, signed_in: User, csrf_off: None
) -> None:
    closed = closed_round(session, signed_in)
    old = assessment(session, signed_in, closed, status=AssessmentStatus.DRAFT)
    session.commit()
    assert client.get(step_url(old, 1)).headers["Location"] == BASE + "/"
    client.post(step_url(old, 1), data={"self_level": "3"})
    assert ratings_of(session, old) == {}


# --- autosave --------------------------------------------------------------------------------


def test_autosave_answers_json(
    client: FlaskClient, session: Session, signed_in: User, draft: Assessment, csrf_off: None
) -> None:
    url = f"{BASE}/{draft.id}/utkast"
    ok = client.post(url, data={"competence": competence_id(session, "4.2"), "self_level": "4"})
    assert ok.status_code == 200 and ok.json["saved"] is True
    assert re.fullmatch(r"\d\d:\d\d", ok.json["saved_at"])
    assert ratings_of(session, draft)["4.2"].self_level == 4

    bad = client.post(url, data={"competence": competence_id(session, "4.2"), "self_level": "9"})
    assert bad.status_code == 400 and "self_level" in bad.json["errors"]
    outside = client.post(
        url, data={"competence": competence_id(session, "6.1"), "motivation": "3"}
    )
    assert outside.status_code == 400 and outside.json["errors"]["form"]
    assert set(ratings_of(session, draft)) == {"4.2"}


def test_autosave_of_a_submitted_assessment_is_refused(
    client: FlaskClient,
    session: Session,
    signed_in: User,
    open_round: AssessmentRound,
    csrf_off: None,
) -> None:
    done = assessment(session, signed_in, open_round, {"4.2": (3, 4)})
    session.commit()
    response = client.post(
        f"{BASE}/{done.id}/utkast",
        data={"competence": competence_id(session, "4.2"), "self_level": "1"},
    )
    assert response.status_code == 409 and response.json["errors"]
    assert ratings_of(session, done)["4.2"].self_level == 3


def test_answers_saved_as_you_go_survive_a_logout(
    client: FlaskClient, session: Session, auth: Any, signed_in: User, draft: Assessment
) -> None:
    token = auth.csrf_token(step_url(draft, 3))
    data = {
        "csrf_token": token,
        "competence": str(competence_id(session, "4.2")),
        "self_level": "4",
        "comment": "Jag hanterar låntagares uppgifter varje dag.",
    }
    saved = client.post(f"{BASE}/{draft.id}/utkast", data=data, headers={"X-CSRFToken": token})
    assert saved.json["saved"] is True
    auth.logout()
    assert client.get(step_url(draft, 3)).status_code == 302
    auth.login(signed_in.email)
    page = text(client.get(step_url(draft, 3)))
    assert re.search(r'<input[^>]*checked[^>]*value="4"|<input[^>]*value="4"[^>]*checked', page)
    assert "Jag hanterar låntagares uppgifter varje dag." in page


def test_a_step_posted_after_the_session_ended_writes_nothing_and_leads_to_login(
    client: FlaskClient, session: Session, auth: Any, signed_in: User, draft: Assessment
) -> None:
    token = auth.csrf_token(step_url(draft, 1))
    data = {"csrf_token": token, "self_level": "3", "motivation": "3", "action": "next"}
    auth.logout()  # the session ends: its cookie and CSRF secret are gone

    response = client.post(step_url(draft, 1), data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + step_url(draft, 1)
    login_page = text(client.get(response.headers["Location"]))
    assert (
        sv("You had been logged out, so your last change was not saved. Log in again.")
        in login_page
    )
    saved = client.post(f"{BASE}/{draft.id}/utkast", data=data, headers={"X-CSRFToken": token})
    assert saved.status_code == 400 and saved.json["logged_out"] is True
    assert ratings_of(session, draft) == {}


def test_a_step_posted_after_being_logged_out_elsewhere_leads_to_login(
    client: FlaskClient, session: Session, auth: Any, signed_in: User, draft: Assessment
) -> None:
    token = auth.csrf_token(step_url(draft, 1))
    signed_in.session_version += 1  # "log out everywhere", a password change, a deactivation
    session.commit()
    data = {"csrf_token": token, "self_level": "3", "action": "next"}
    response = client.post(step_url(draft, 1), data=data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    saved = client.post(f"{BASE}/{draft.id}/utkast", data=data, headers={"X-CSRFToken": token})
    assert saved.status_code == 302 and "/login" in saved.headers["Location"]
    assert ratings_of(session, draft) == {}


# --- review and submit -----------------------------------------------------------------------


def test_the_summary_flags_missing_answers_with_links_to_their_steps(
    client: FlaskClient, session: Session, signed_in: User, open_round: AssessmentRound
) -> None:
    made = assessment(
        session, signed_in, open_round, {"1.1": (3, 3)}, status=AssessmentStatus.DRAFT
    )
    session.commit()
    page = text(client.get(f"{BASE}/{made.id}/granska"))
    assert "3 – Nivå 3 i 1.1." in page
    assert page.count(sv("Not answered")) == 4  # level and motivation of 2.1 and 4.2
    assert f'href="{step_url(made, 2)}"' in page and f'href="{step_url(made, 3)}"' in page


def test_submitting_with_missing_answers_stays_on_the_summary(
    client: FlaskClient, session: Session, signed_in: User, draft: Assessment, csrf_off: None
) -> None:
    response = client.post(f"{BASE}/{draft.id}/skicka")
    assert response.headers["Location"] == f"{BASE}/{draft.id}/granska"
    session.expire_all()
    assert session.get(Assessment, draft.id).status == AssessmentStatus.DRAFT  # type: ignore[union-attr]


def test_submitting_locks_it_and_my_competence_shows_it(
    client: FlaskClient,
    session: Session,
    signed_in: User,
    open_round: AssessmentRound,
    csrf_off: None,
) -> None:
    made = assessment(
        session,
        signed_in,
        open_round,
        {"1.1": (3, 3), "2.1": (2, 2), "4.2": (3, 4)},
        status=AssessmentStatus.DRAFT,
    )
    session.commit()
    response = client.post(f"{BASE}/{made.id}/skicka", follow_redirects=True)
    page = text(response)
    assert sv("Your self-assessment was submitted and your manager has been told.") in page
    assert f'href="/skattning/samtal/{made.id}"' in page
    session.expire_all()
    assert session.get(Assessment, made.id).status == AssessmentStatus.SUBMITTED  # type: ignore[union-attr]


def test_my_competence_shows_my_levels_over_time(
    client: FlaskClient, session: Session, signed_in: User
) -> None:
    spring = assessment_round(
        session,
        "Våren 2025",
        opens_on=today() - timedelta(days=300),
        closes_on=today() - timedelta(days=280),
        organisations=[signed_in.organisation],
    )
    made = assessment(session, signed_in, spring, {"4.2": (3, 4, 2), "1.1": (3, 5)})
    session.add(DevelopmentPlan(assessment_id=made.id, user_id=signed_in.id))
    session.commit()
    page = text(client.get(BASE + "/"))
    assert '<caption id="history-caption">' in page and '<th scope="col">Våren 2025</th>' in page
    assert "4.2 Skydda personuppgifter och integritet" in page
    assert sv("Need: %(num)d level", num=1) in page  # expected 3, agreed 2
    assert f'href="/skattning/samtal/{made.id}"' in page
    assert f'href="/skattning/plan/{made.id}"' in page


# --- query counts ----------------------------------------------------------------------------


def extra_competences(session: Session, role: JobRole, count: int) -> None:
    """Give `role` `count` more expectations, on competences made for the test."""
    fw = framework(session)
    for n in range(count):
        competence = Competence(
            area=fw.areas["5"],
            code=f"5.{n + 2}",
            name=f"Problemlösning {n + 2}",
            levels={str(level): f"Nivå {level} i 5.{n + 2}." for level in range(1, 6)},
            position=20 + n,
        )
        session.add(competence)
        session.flush()
        session.add(RoleExpectation(job_role_id=role.id, competence_id=competence.id, level=3))
    session.flush()


def test_a_step_loads_in_the_same_number_of_queries_for_3_and_12_competences(
    client: FlaskClient, session: Session, signed_in: User, draft: Assessment, count_queries: Any
) -> None:
    def step_queries() -> int:
        with count_queries() as counted:
            assert client.get(step_url(draft, 2)).status_code == 200
        return counted.count

    few = step_queries()
    extra_competences(session, session.get(JobRole, signed_in.job_role_id), 9)  # type: ignore[arg-type]
    for code in ("1.1", "2.1"):
        session.add(Rating(assessment_id=draft.id, competence_id=competence_id(session, code)))
    session.commit()
    assert step_queries() == few


def test_my_competence_loads_in_the_same_number_of_queries_for_1_and_4_rounds(
    client: FlaskClient,
    session: Session,
    signed_in: User,
    open_round: AssessmentRound,
    count_queries: Any,
) -> None:
    assessment(session, signed_in, open_round, {"4.2": (2, 3)}, status=AssessmentStatus.DRAFT)

    def past(n: int) -> None:
        opens = today() - timedelta(days=100 * n)
        round_ = assessment_round(
            session,
            f"Runda {n}",
            opens_on=opens,
            closes_on=opens + timedelta(days=14),
            organisations=[signed_in.organisation],
        )
        assessment(session, signed_in, round_, {"4.2": (2, 3), "1.1": (3, 3)})

    def index_queries() -> int:
        session.commit()
        with count_queries() as counted:
            assert client.get(BASE + "/").status_code == 200
        return counted.count

    past(1)
    one = index_queries()
    for n in (2, 3, 4):
        past(n)
        assessment_round(
            session,
            f"Kommande {n}",
            opens_on=today() + timedelta(days=10 * n),
            closes_on=today() + timedelta(days=10 * n + 14),
            organisations=[signed_in.organisation],
        )
    assert index_queries() == one


def test_a_stale_form_of_a_signed_in_person_saves_nothing_and_reloads_the_step(
    client: FlaskClient, session: Session, signed_in: User, draft: Assessment
) -> None:
    data = {"csrf_token": "stale", "self_level": "3", "action": "next"}
    response = client.post(step_url(draft, 1), data=data)
    assert response.headers["Location"] == step_url(draft, 1)
    saved = client.post(f"{BASE}/{draft.id}/utkast", data=data)
    assert saved.status_code == 400 and saved.json["logged_out"] is False
    assert ratings_of(session, draft) == {}
