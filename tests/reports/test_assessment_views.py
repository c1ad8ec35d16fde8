"""The assessment report pages: who may see them, what they show (aggregates only, hidden
cells as "–"), comparison, charts with their tables, and a constant number of queries."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lms.core.access import Permission
from tests import factories
from tests.catalog.conftest import sv
from tests.reports.builders import SECRET_COMMENT, crowd, org, person, rendered, round_for

BASE = "/rapporter/skattning"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture
def rounds(session):
    """Autumn: 12 in the library, 2 in the museum (hidden), 6 in the art hall (its complement);
    spring: 10 in the library."""
    where = org(session, ("Stadsbiblioteket", "Stadsmuseet", "Kulturhuset"))
    autumn = round_for(session, where)
    spring = round_for(session, where, "Skattning våren 2026")
    crowd(session, where, autumn, {"Stadsbiblioteket": 12, "Stadsmuseet": 2, "Kulturhuset": 6})
    crowd(session, where, spring, {"Stadsbiblioteket": 10}, {"1.1": (3, 4), "1.2": (3, 3)})
    session.commit()
    return where, autumn, spring


def login_as(session, auth, permissions: Permission) -> None:
    who = factories.user(session, permissions=permissions)
    session.commit()
    auth.login(who.email)


@pytest.mark.parametrize(
    "permissions", [Permission.NONE, Permission.MANAGER, Permission.COURSE_OWNER]
)
def test_employees_managers_and_course_owners_are_refused(
    session, client, auth, rounds, permissions
) -> None:
    _where, autumn, _spring = rounds
    login_as(session, auth, permissions)
    assert client.get(f"{BASE}/").status_code == 403
    assert client.get(f"{BASE}/{autumn.id}").status_code == 403


def test_signed_out_people_are_sent_to_log_in(client, rounds) -> None:
    assert client.get(f"{BASE}/").status_code == 302


@pytest.mark.parametrize("permissions", [Permission.COORDINATOR, Permission.ADMIN])
def test_index_lists_rounds_with_respondents_and_response_rate(
    session, client, auth, rounds, permissions
) -> None:
    _where, autumn, spring = rounds
    login_as(session, auth, permissions)
    page = text(client.get(f"{BASE}/"))
    assert f'href="{BASE}/{autumn.id}"' in page and spring.name in page
    assert re.search(r">\s*20\s*</td>", page)  # autumn's respondents


def test_show_has_headline_charts_and_tables(session, client, auth, rounds) -> None:
    _where, autumn, _spring = rounds
    login_as(session, auth, Permission.COORDINATOR)
    page = text(client.get(f"{BASE}/{autumn.id}"))
    assert page.count('role="img"') >= 4
    assert '<title id="chart-share_with_needs-title">' in page
    assert '<desc id="chart-share_with_needs-desc">' in page
    assert "<caption" in page and 'scope="row"' in page
    assert sv("Share with needs per competence area") in page
    assert "1 Informations- och datakunnighet" in page
    # The museum's 2 people are hidden, with the art hall's 6 as their complement.
    assert sv("Fewer than %(count)s people – not shown", count=5) in page
    assert "<script" not in page.split("</header>", 1)[1].split("<footer", 1)[0]


def test_compare_shows_differences_in_percentage_points(session, client, auth, rounds) -> None:
    _where, autumn, spring = rounds
    login_as(session, auth, Permission.COORDINATOR)
    page = text(client.get(f"{BASE}/{autumn.id}?jamfor={spring.id}"))
    assert f'<option value="{spring.id}" selected>' in page
    # Share with needs: autumn everyone (1.1 = 2 < 3), spring nobody → +100 points.
    assert sv("%(points)s percentage point", points="+100") in page  # a prefix of the plural
    assert spring.name in page


@pytest.mark.parametrize("bad", ["abc", "999999", "-1"])
def test_a_bad_comparison_is_ignored(session, client, auth, rounds, bad) -> None:
    _where, autumn, _spring = rounds
    login_as(session, auth, Permission.COORDINATOR)
    response = client.get(f"{BASE}/{autumn.id}?jamfor={bad}")
    assert response.status_code == 200
    assert " selected>" not in text(response)


def test_an_unknown_round_is_not_found(session, client, auth, rounds) -> None:
    login_as(session, auth, Permission.ADMIN)
    assert client.get(f"{BASE}/999999").status_code == 404


def test_pages_never_show_a_comment_or_a_name(session, client, auth, rounds) -> None:
    where, autumn, spring = rounds
    login_as(session, auth, Permission.COORDINATOR)
    pages = text(client.get(f"{BASE}/")) + text(
        client.get(f"{BASE}/{autumn.id}?jamfor={spring.id}")
    )
    assert SECRET_COMMENT not in pages
    assert not any(p.name in pages or p.email in pages for p in where.people)


def test_the_page_shows_the_builders_report(app, session, client, auth, rounds) -> None:
    _where, autumn, spring = rounds
    login_as(session, auth, Permission.COORDINATOR)
    with rendered(app) as seen:
        client.get(f"{BASE}/{autumn.id}?jamfor={spring.id}")
    [context] = [c for c in seen if "report" in c]
    report = context["report"]
    assert report["round"] == autumn.name and report["compare"]["round"] == spring.name
    assert report["respondents"] == 20


@pytest.mark.parametrize(
    ("permissions", "message"),
    [
        (Permission.ADMIN, "Nobody has submitted an assessment in this round yet."),
        # An organisation coordinator: nobody within their scope.
        (
            Permission.COORDINATOR,
            "Nobody within your scope has submitted an assessment in this round yet.",
        ),
    ],
)
def test_an_empty_round_says_so(session, client, auth, permissions, message) -> None:
    where = org(session)
    round_ = round_for(session, where)
    person(session, where, "Stadsbiblioteket")
    session.commit()
    login_as(session, auth, permissions)
    page = text(client.get(f"{BASE}/{round_.id}"))
    assert sv(message) in page


def _queries_for(session, client, count_queries, size: int, suffix: str) -> tuple[int, int]:
    where = org(session, (f"Avdelning {suffix}1", f"Avdelning {suffix}2"))
    round_ = round_for(session, where, f"Omgång {suffix}")
    other = round_for(session, where, f"Jämförelse {suffix}")
    crowd(session, where, round_, {f"Avdelning {suffix}1": size, f"Avdelning {suffix}2": 3})
    crowd(session, where, other, {f"Avdelning {suffix}1": size})
    session.commit()
    with count_queries() as shown:
        assert client.get(f"{BASE}/{round_.id}?jamfor={other.id}").status_code == 200
    with count_queries() as listed:
        assert client.get(f"{BASE}/").status_code == 200
    return shown.count, listed.count


def test_pages_take_the_same_number_of_queries_for_5_and_50_people(
    session, client, auth, count_queries
) -> None:
    login_as(session, auth, Permission.COORDINATOR)
    small = _queries_for(session, client, count_queries, 5, "A")
    big = _queries_for(session, client, count_queries, 50, "B")  # and two more rounds
    assert small == big
