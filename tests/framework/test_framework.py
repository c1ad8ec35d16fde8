"""The framework page and a job role's expected profile: content, links, query counts."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.framework.queries import list_areas, list_expected_levels
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv


def page_text(response: Any) -> str:
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def rows_by_competence(html: str) -> dict[str, str]:
    """The text of each table row, keyed by the competence code it starts with."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        code = re.search(r'competence-code">([\d.]+)<', row)
        if code:
            rows[code.group(1)] = " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
    return rows


@pytest.fixture
def employee(session: Session, auth: Any) -> User:
    cf.framework(session)
    person = factories.user(session)
    session.commit()
    auth.login(person.email)
    return person


def test_areas_come_in_order_with_their_competences(session: Session) -> None:
    cf.framework(session)
    areas = list_areas(session)
    assert [a.code for a in areas] == ["1", "2", "3", "4", "5", "6"]
    assert [c.code for c in areas[3].competences] == ["4.1", "4.2"]


def test_expected_levels_leave_out_what_does_not_apply(session: Session) -> None:
    role = cf.role_with_expectations(session, "Bibliotekarie", {"1.1": 3, "4.2": 2})
    framework = cf.framework(session)
    assert list_expected_levels(session, role) == {
        framework.competences["1.1"].id: 3,
        framework.competences["4.2"].id: 2,
    }


def test_framework_page_shows_areas_competences_levels_and_roles(
    client: FlaskClient, session: Session, employee: User
) -> None:
    role = cf.role_with_expectations(session, "Systemförvaltare", {"6.1": 4})
    session.commit()
    response = client.get("/kompetens/")
    assert response.status_code == 200
    text = page_text(response)
    html = response.get_data(as_text=True)
    for name in cf.AREAS.values():
        assert name in text
    assert "4.2 Skydda personuppgifter och integritet" in text
    assert sv("DigComp 2.2: %(id)s", id="4.2") in text
    assert "Beskrivning av skydda personuppgifter och integritet." in text
    assert f"{sv('Level %(n)d', n=5)} Nivå 5 i 4.2." in text
    assert f'href="/kompetens/roller/{role.id}"' in html
    assert 'href="/katalog/?competence=4.2"' in html
    assert re.search(r'href="/kompetens/"\s+aria-current="page"', html)


def test_role_profile_groups_areas_and_marks_what_does_not_apply(
    client: FlaskClient, session: Session, employee: User
) -> None:
    role = cf.role_with_expectations(session, "Bibliotekarie", {"1.1": 3, "4.2": 2})
    session.commit()
    response = client.get(f"/kompetens/roller/{role.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bibliotekarie" in page_text(response)
    rows = rows_by_competence(html)
    assert rows["1.1"].startswith("1.1 Söka och filtrera information")
    assert rows["1.1"].endswith(f"{sv('Level %(n)d', n=3)} Nivå 3 i 1.1.")
    assert f"{sv('Level %(n)d', n=2)} Nivå 2 i 4.2." in rows["4.2"]
    assert rows["6.1"].endswith(sv("does not apply"))
    assert sv("Find activities") in rows["6.1"]
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", response.get_data(as_text=True))
    assert len(headings) == 6
    assert 'href="/katalog/?competence=6.1"' in response.get_data(as_text=True)


def test_unknown_role_is_404(client: FlaskClient, employee: User) -> None:
    assert client.get("/kompetens/roller/999999").status_code == 404


def test_framework_pages_run_a_constant_number_of_queries(
    client: FlaskClient, session: Session, employee: User, count_queries: Any
) -> None:
    role = cf.role_with_expectations(session, "Bibliotekarie", {"1.1": 3})
    session.commit()
    with count_queries() as small_index:
        client.get("/kompetens/")
    with count_queries() as small_role:
        client.get(f"/kompetens/roller/{role.id}")
    area = list_areas(session)[0]
    for n in range(40):
        factories.job_role(session, f"Roll {n}")
        session.add(
            type(area.competences[0])(
                area=area, code=f"1.{n + 10}", name=f"Extra {n}", levels={}, position=n + 10
            )
        )
    session.commit()
    with count_queries() as large_index:
        client.get("/kompetens/")
    with count_queries() as large_role:
        client.get(f"/kompetens/roller/{role.id}")
    assert small_index.count == large_index.count <= 5
    assert small_role.count == large_role.count <= 6
