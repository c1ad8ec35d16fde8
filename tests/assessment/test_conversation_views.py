"""The conversation pages: who may read and write, the forms, the gaps and the team list."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.assessment import conversation
from lms.assessment.models import AssessmentStatus, Rating
from lms.core.access import Permission
from lms.notify.models import Notification
from tests import factories
from tests.assessment.conversation_helpers import Team, build_team
from tests.assessment.factories import assessment, assessment_round
from tests.catalog.conftest import sv

BASE = "/skattning/samtal"
POSTS = ("nivaer", "anteckningar", "hallet")


def text(response: Any) -> str:
    return unescape(str(response.get_data(as_text=True)))


@pytest.fixture
def team(session: Session) -> Team:
    made = build_team(session)
    session.commit()
    return made


def login(auth: Any, user: Any) -> str:
    auth.login(user.email)
    return str(auth.csrf_token())


def _field(session: Session, team: Team, code: str) -> str:
    return f"level_{team.competence(session, code).id}"


def _rating(session: Session, team: Team, code: str) -> Rating:
    session.expire_all()
    return session.scalars(
        select(Rating).where(
            Rating.assessment_id == team.assessment.id,
            Rating.competence_id == team.competence(session, code).id,
        )
    ).one()


# --- who may read and write --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["colleague", "other_manager", "coordinator", "admin"])
def test_outsiders_get_404_on_the_page_and_every_post_as_for_a_missing_id(
    client: FlaskClient, auth: Any, team: Team, who: str
) -> None:
    token = login(auth, getattr(team, who))
    aid = team.assessment.id
    missing = aid + 10_000
    for target in (aid, missing):
        shown = client.get(f"{BASE}/{target}")
        assert shown.status_code == 404
        assert "Anna Lind" not in text(shown)
        for action in POSTS:
            data = {"csrf_token": token, "notes": "Intrång", _level(team): "5"}
            assert client.post(f"{BASE}/{target}/{action}", data=data).status_code == 404


def _level(team: Team) -> str:
    return f"level_{team.assessment.ratings[0].competence_id}"


def test_the_person_reads_their_conversation_but_cannot_post(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    conversation.save_conversation_notes(
        session, team.manager, team.assessment, "Anna vill gå kursen om e-tjänster."
    )
    session.commit()
    token = login(auth, team.person)
    page = client.get(f"{BASE}/{team.assessment.id}")
    assert page.status_code == 200
    html = text(page)
    assert "Anna vill gå kursen om e-tjänster." in html
    assert "<select" not in html and "<textarea" not in html
    assert sv("Mark conversation as held") not in html
    for action in POSTS:
        data = {"csrf_token": token, "notes": "Jag skriver själv", _level(team): "5"}
        assert client.post(f"{BASE}/{team.assessment.id}/{action}", data=data).status_code == 404
    session.expire_all()
    assert team.assessment.conversation_notes == "Anna vill gå kursen om e-tjänster."
    assert _rating(session, team, "1.1").agreed_level is None


def test_the_managers_manager_can_read_and_agree(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    token = login(auth, team.boss)
    assert client.get(f"{BASE}/{team.assessment.id}").status_code == 200
    data = {
        "csrf_token": token,
        _field(session, team, "1.1"): "3",
        _field(session, team, "4.2"): "",
    }
    response = client.post(f"{BASE}/{team.assessment.id}/nivaer", data=data)
    assert response.status_code == 302
    rating = _rating(session, team, "1.1")
    assert (rating.self_level, rating.agreed_level, rating.agreed_by_id) == (2, 3, team.boss.id)


def test_a_draft_is_404_for_the_manager_and_sends_the_person_to_their_form(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    draft = assessment(
        session, team.colleague, team.round, {"1.1": (2, 3)}, status=AssessmentStatus.DRAFT
    )
    session.commit()
    token = login(auth, team.manager)
    assert client.get(f"{BASE}/{draft.id}").status_code == 404
    for action in POSTS:
        data = {"csrf_token": token, "notes": "x", f"level_{draft.ratings[0].competence_id}": "3"}
        assert client.post(f"{BASE}/{draft.id}/{action}", data=data).status_code == 404
    auth.logout()
    login(auth, team.colleague)
    response = client.get(f"{BASE}/{draft.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/skattning/{draft.id}/steg/1")


def test_the_team_page_needs_the_manager_permission(
    client: FlaskClient, auth: Any, team: Team
) -> None:
    login(auth, team.person)
    assert client.get(f"{BASE}/").status_code == 403


# --- the manager's page ------------------------------------------------------------------------


def test_the_manager_sees_levels_gaps_and_a_labelled_select_per_rated_competence(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    login(auth, team.manager)
    html = text(client.get(f"{BASE}/{team.assessment.id}"))
    assert "Jag vill lära mig mer om sökteknik." in html  # the person's comment
    # 1.1: expected 3, self 2 → need 1; 4.2: expected 4, self 3 → need 1.
    assert html.count('class="need-mark"') == 2
    assert html.count('<tr class="has-need">') == 2
    for code in ("1.1", "4.2"):
        name = _field(session, team, code)
        assert re.search(rf'<label[^>]*for="{name}"', html)
        assert f'<select class="level-select" id="{name}" name="{name}"' in html
    assert _field(session, team, "5.1") not in html  # not rated: nothing to agree on
    assert "/skattning/plan/" in html
    assert sv("Mark conversation as held") in html


def test_saving_agreed_levels_flashes_and_keeps_the_self_level(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    token = login(auth, team.manager)
    data = {
        "csrf_token": token,
        _field(session, team, "1.1"): "3",
        _field(session, team, "4.2"): "",
    }
    response = client.post(f"{BASE}/{team.assessment.id}/nivaer", data=data)
    assert response.status_code == 302
    rating = _rating(session, team, "1.1")
    assert (rating.self_level, rating.agreed_level, rating.agreed_by_id) == (2, 3, team.manager.id)
    html = text(client.get(f"{BASE}/{team.assessment.id}"))
    assert re.search(r'<option selected value="3">3</option>|<option value="3" selected>', html)


def test_a_forged_level_is_shown_next_to_its_field_and_nothing_is_saved(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    token = login(auth, team.manager)
    data = {
        "csrf_token": token,
        _field(session, team, "1.1"): "3",
        _field(session, team, "4.2"): "9",
    }
    response = client.post(f"{BASE}/{team.assessment.id}/nivaer", data=data)
    assert response.status_code == 200
    html = text(response)
    assert f'id="{_field(session, team, "4.2")}-error"' in html
    assert sv("Choose a level from 1 to 5, or none.") in html
    assert _rating(session, team, "1.1").agreed_level is None


def test_notes_are_saved_and_visible_to_the_person(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    token = login(auth, team.manager)
    notes = "Vi kom överens om att <b>Anna</b> går nanokursen om GDPR."
    response = client.post(
        f"{BASE}/{team.assessment.id}/anteckningar", data={"csrf_token": token, "notes": notes}
    )
    assert response.status_code == 302
    auth.logout()
    login(auth, team.person)
    page = client.get(f"{BASE}/{team.assessment.id}").get_data(as_text=True)
    assert "Vi kom överens om att &lt;b&gt;Anna&lt;/b&gt; går nanokursen om GDPR." in page


def test_too_long_notes_are_refused_next_to_the_field_keeping_the_text(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    token = login(auth, team.manager)
    notes = "Långt " * 2000
    response = client.post(
        f"{BASE}/{team.assessment.id}/anteckningar", data={"csrf_token": token, "notes": notes}
    )
    assert response.status_code == 200
    html = text(response)
    assert 'id="notes-error"' in html
    assert notes.strip()[:200] in html
    session.expire_all()
    assert team.assessment.conversation_notes == ""


def test_marking_held_twice_tells_the_person_once(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    token = login(auth, team.manager)
    for _ in range(2):
        response = client.post(f"{BASE}/{team.assessment.id}/hallet", data={"csrf_token": token})
        assert response.status_code == 302
    session.expire_all()
    assert team.assessment.status == AssessmentStatus.REVIEWED
    told = session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == team.person.id)
    )
    assert told == 1
    html = text(client.get(f"{BASE}/{team.assessment.id}"))
    assert sv("The conversation is marked as held.") in html


# --- the team page -----------------------------------------------------------------------------


def test_the_team_page_lists_statuses_and_never_a_drafts_answers(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    draft = assessment(
        session, team.colleague, team.round, {"1.1": (5, 1)}, status=AssessmentStatus.DRAFT
    )
    draft.ratings[0].comment = "Hemlig utkastkommentar"
    session.commit()
    login(auth, team.boss)
    html = text(client.get(f"{BASE}/"))
    assert "Anna Lind" in html and "Karl Berg" in html and "Eva Annanteam" not in html
    assert sv("Draft") in html and sv("Submitted") in html
    assert "Hemlig utkastkommentar" not in html
    assert f"{BASE}/{team.assessment.id}" in html
    assert f"{BASE}/{draft.id}" not in html


def test_the_team_page_takes_the_same_queries_for_3_and_30_reports(
    client: FlaskClient, auth: Any, session: Session, count_queries: Any
) -> None:
    counts = []
    for size in (3, 30):
        boss = factories.user(session, permissions=Permission.MANAGER)
        middle = factories.user(session, permissions=Permission.MANAGER, manager=boss)
        round_ = assessment_round(session, f"Omgång {size}", organisations=[boss.organisation])
        for n in range(size):
            report = factories.user(session, manager=middle if n % 3 else boss)
            if n % 2:
                assessment(session, report, round_, {"1.1": (2, 3)})
        session.commit()
        auth.login(boss.email)
        client.get(f"{BASE}/")
        with count_queries() as counter:
            assert client.get(f"{BASE}/").status_code == 200
        counts.append(counter.count)
        auth.logout()
    assert counts[0] == counts[1]


def test_agreed_by_is_shown_to_the_person(
    client: FlaskClient, auth: Any, session: Session, team: Team
) -> None:
    levels = {team.competence(session, "1.1").id: 3}
    now = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    conversation.agree_levels(session, team.manager, team.assessment, levels, now)
    session.commit()
    login(auth, team.person)
    html = text(client.get(f"{BASE}/{team.assessment.id}"))
    assert team.manager.name in html
