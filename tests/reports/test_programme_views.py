"""The programme pages: who may open which, the list, the form with bad input (never a 500),
delete with confirmation, 404 for unknown and invisible programmes."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.accounts.models import ReportScope, User
from lms.core.access import Permission
from lms.reports.models import Programme
from tests import factories

BASE = "/samordning/program"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture
def world(session) -> dict[str, Any]:
    kultur = factories.organisation(session, "Kulturförvaltningen")
    nacka = factories.organisation(session, "Nacka kommun")
    bibliotek = factories.department(session, "Stadsbiblioteket", kultur)
    museum = factories.department(session, "Stadsmuseet", kultur)
    forum = factories.department(session, "Forumbiblioteken", nacka)
    lyft = Programme(
        slug="digitalt-kompetenslyft", name="Digitalt kompetenslyft",
        starts_on=date(2023, 9, 1), ends_on=date(2026, 3, 31),
        target_participants=1098, target_hours=18920, target_hours_per_participant=18.0,
        organisations=[kultur, nacka],
    )  # fmt: skip
    museet = Programme(
        slug="museilyftet", name="Museilyftet", starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31), departments=[museum],
    )  # fmt: skip
    session.add_all([lyft, museet])
    session.commit()
    return {"kultur": kultur, "nacka": nacka, "bibliotek": bibliotek, "museum": museum,
            "forum": forum, "lyft": lyft, "museet": museet}  # fmt: skip


def login(
    session, auth, world, permissions: Permission, scope: ReportScope, dept="bibliotek"
) -> User:
    user = factories.user(session, permissions=permissions, dept=world[dept])
    user.report_scope = scope
    session.commit()
    auth.login(user.email)
    return user


def form(world, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Kulturarv i fokus",
        "description": "Ett lyft för museerna.",
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "target_participants": "1 200",
        "target_hours": "20000",
        "target_hours_per_participant": "17,5",
        "organisations": [str(world["kultur"].id)],
        "departments": [str(world["forum"].id)],
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def count_programmes(session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Programme)) or 0)


@pytest.mark.parametrize("permissions", [Permission.NONE, Permission.MANAGER, Permission.REPORTING])
def test_people_who_do_not_coordinate_are_refused(
    session, client, auth, world, permissions
) -> None:
    login(session, auth, world, permissions, ReportScope.ALL)
    for path in ("/", "/ny", "/digitalt-kompetenslyft/redigera", "/digitalt-kompetenslyft/ta-bort"):
        assert client.get(BASE + path).status_code == 403


def test_signed_out_people_are_sent_to_log_in(client, world) -> None:
    assert client.get(f"{BASE}/").status_code == 302


def test_the_list_shows_period_who_takes_part_and_targets(session, client, auth, world) -> None:
    login(session, auth, world, Permission.COORDINATOR, ReportScope.ALL)
    page = text(client.get(f"{BASE}/"))
    row = page.split('id="programme-digitalt-kompetenslyft"', 1)[1].split("</tr>", 1)[0]
    assert "Digitalt kompetenslyft" in row
    assert '<time datetime="2023-09-01">' in row and '<time datetime="2026-03-31">' in row
    assert "Kulturförvaltningen" in row and "Nacka kommun" in row
    assert re.search(r"1\s098", row) and re.search(r"18\s920", row) and ">18<" in row
    assert f'href="{BASE}/digitalt-kompetenslyft/redigera"' in row
    assert f'href="{BASE}/ny"' in page
    museet = page.split('id="programme-museilyftet"', 1)[1].split("</tr>", 1)[0]
    assert "Stadsmuseet" in museet and "(Kulturförvaltningen)" in museet


def test_the_list_takes_a_constant_number_of_queries(
    session, client, auth, world, count_queries
) -> None:
    login(session, auth, world, Permission.ADMIN, ReportScope.ORGANISATION)
    client.get(f"{BASE}/")
    with count_queries() as few:
        client.get(f"{BASE}/")
    for n in range(5):
        session.add(
            Programme(
                slug=f"p{n}", name=f"P{n}", starts_on=date(2024, 1, 1), ends_on=date(2024, 2, 1),
                departments=[world["forum"], world["museum"]], organisations=[world["nacka"]],
            )
        )  # fmt: skip
    session.commit()
    with count_queries() as many:
        client.get(f"{BASE}/")
    assert many.count == few.count


def test_a_department_coordinator_reads_but_does_not_manage(session, client, auth, world) -> None:
    login(session, auth, world, Permission.COORDINATOR, ReportScope.DEPARTMENT)
    page = text(client.get(f"{BASE}/"))
    assert 'id="programme-digitalt-kompetenslyft"' in page
    assert "programme-museilyftet" not in page  # the library's coordinator: not the museum's
    assert "/program/digitalt-kompetenslyft/redigera" not in page
    assert f'href="{BASE}/ny"' not in page
    assert client.get(f"{BASE}/ny").status_code == 403
    assert client.get(f"{BASE}/digitalt-kompetenslyft/redigera").status_code == 403
    assert client.get(f"{BASE}/museilyftet/redigera").status_code == 404


def test_an_organisation_coordinator_manages_their_organisations_programmes_only(
    session, client, auth, world, csrf_off
) -> None:
    login(session, auth, world, Permission.COORDINATOR, ReportScope.ORGANISATION)
    page = text(client.get(f"{BASE}/"))
    assert f'href="{BASE}/museilyftet/redigera"' in page
    assert f'href="{BASE}/digitalt-kompetenslyft/redigera"' not in page
    assert client.get(f"{BASE}/digitalt-kompetenslyft/ta-bort").status_code == 403
    new_page = text(client.get(f"{BASE}/ny"))
    assert f'value="{world["kultur"].id}"' in new_page
    assert "Forumbiblioteken" not in new_page  # another organisation's departments
    response = client.post(f"{BASE}/ny", data=form(world, departments=[str(world["forum"].id)]))
    assert response.status_code == 200 and count_programmes(session) == 2


def test_creating_a_programme(session, client, auth, world, csrf_off) -> None:
    login(session, auth, world, Permission.COORDINATOR, ReportScope.ALL)
    response = client.post(f"{BASE}/ny", data=form(world))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{BASE}/")
    made = session.scalar(select(Programme).where(Programme.slug == "kulturarv-i-fokus"))
    assert made is not None
    assert (made.target_participants, made.target_hours) == (1200, 20000)
    assert made.target_hours_per_participant == 17.5
    assert [o.name for o in made.organisations] == ["Kulturförvaltningen"]
    assert [d.name for d in made.departments] == ["Forumbiblioteken"]
    assert made.summary_built_at is not None


def test_the_form_groups_checkboxes_by_organisation(session, client, auth, world) -> None:
    login(session, auth, world, Permission.ADMIN, ReportScope.ORGANISATION)
    page = text(client.get(f"{BASE}/ny"))
    groups = re.findall(r'<fieldset class="subgroup">\s*<legend>([^<]+)</legend>', page)
    assert groups == ["Kulturförvaltningen", "Nacka kommun"]
    kultur = page.split("<legend>Kulturförvaltningen</legend>", 1)[1].split("</fieldset>", 1)[0]
    assert "Stadsbiblioteket" in kultur and "Stadsmuseet" in kultur
    assert "Forumbiblioteken" not in kultur
    assert 'name="organisations"' in kultur and kultur.count('name="departments"') == 2


@pytest.mark.parametrize(
    ("changes", "field_id"),
    [
        ({"target_participants": "många"}, "target_participants"),
        ({"target_hours": "12.5"}, "target_hours"),
        ({"target_hours_per_participant": "arton"}, "target_hours_per_participant"),
        ({"target_hours_per_participant": "NaN"}, "target_hours_per_participant"),
        ({"target_participants": "99999999999999999999"}, "target_participants"),
        ({"target_hours": "-5"}, "target_hours"),
        ({"target_hours_per_participant": "0"}, "target_hours_per_participant"),
        ({"ends_on": "2024-12-31"}, "ends_on"),
        ({"starts_on": "igår"}, "starts_on"),
        ({"starts_on": "99999-01-01"}, "starts_on"),
        ({"ends_on": "1066-10-14"}, "ends_on"),
        ({"name": ""}, "name"),
        ({"name": "x" * 300}, "name"),
        ({"name": "Digitalt kompetenslyft"}, "name"),
        ({"description": "y" * 6000}, "description"),
        ({"organisations": None, "departments": None}, "targets"),
        ({"organisations": ["abc"]}, "targets"),
        ({"departments": ["999999"]}, "targets"),
    ],
)
def test_bad_input_shows_an_error_and_saves_nothing(
    session, client, auth, world, csrf_off, changes, field_id
) -> None:
    login(session, auth, world, Permission.COORDINATOR, ReportScope.ALL)
    response = client.post(f"{BASE}/ny", data=form(world, **changes))
    assert response.status_code == 200
    page = text(response)
    assert 'class="error-summary"' in page and f'href="#{field_id}"' in page
    assert count_programmes(session) == 2


def test_editing_shows_the_saved_values_and_saves_changes(
    session, client, auth, world, csrf_off
) -> None:
    login(session, auth, world, Permission.COORDINATOR, ReportScope.ALL)
    page = text(client.get(f"{BASE}/digitalt-kompetenslyft/redigera"))
    assert 'value="Digitalt kompetenslyft"' in page and 'value="2023-09-01"' in page
    assert 'value="1098"' in page and 'value="18"' in page
    checked = re.findall(r'<input checked[^>]*name="organisations"[^>]*value="(\d+)"', page)
    assert sorted(checked) == sorted([str(world["kultur"].id), str(world["nacka"].id)])
    response = client.post(
        f"{BASE}/digitalt-kompetenslyft/redigera",
        data=form(world, name="Digitalt kompetenslyft", organisations=[str(world["nacka"].id)]),
    )
    assert response.status_code == 302
    session.expire_all()
    lyft = session.scalar(select(Programme).where(Programme.slug == "digitalt-kompetenslyft"))
    assert lyft is not None and [o.name for o in lyft.organisations] == ["Nacka kommun"]
    assert lyft.ends_on == date(2025, 12, 31) and lyft.summary_built_at is not None


def test_unknown_programmes_are_not_found(session, client, auth, world) -> None:
    login(session, auth, world, Permission.ADMIN, ReportScope.ORGANISATION)
    for path in ("/finns-inte/redigera", "/finns-inte/ta-bort", "/%C3%A5%C3%A4/redigera"):
        assert client.get(BASE + path).status_code == 404
    assert client.post(f"{BASE}/finns-inte/ta-bort").status_code in (400, 404)


def test_delete_asks_first_and_needs_the_csrf_token(session, client, auth, world) -> None:
    login(session, auth, world, Permission.COORDINATOR, ReportScope.ALL)
    page = text(client.get(f"{BASE}/museilyftet/ta-bort"))
    assert f'action="{BASE}/museilyftet/ta-bort"' in page and 'name="csrf_token"' in page
    assert client.post(f"{BASE}/museilyftet/ta-bort").status_code == 400  # no token
    assert count_programmes(session) == 2
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(f"{BASE}/museilyftet/ta-bort", data={"csrf_token": token.group(1)})
    assert response.status_code == 302
    assert count_programmes(session) == 1
