"""The ESF report pages: who may see them and which part, the department filter, junk in the
address, the per-person listing (reporting permission only, no assessment data), the figures
shown being the report dict's, and a constant number of queries."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lms.reports.esf_report import build_esf_report
from lms.reports.esf_views import XLSX_TYPE
from lms.reports.scope import reader_coverage
from tests.catalog.conftest import sv
from tests.reports.builders import SECRET_COMMENT, rendered
from tests.reports.esf_page_data import World, build_world

BASE = "/rapporter/esf"
SLUG = "lyftet"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture
def world(session) -> World:
    made = build_world(session, slug=SLUG)
    session.commit()
    return made


def login(auth, world: World, who: str) -> None:
    auth.login(world.readers[who].email)


def report_seen(app, client, path: str) -> dict[str, Any]:
    with rendered(app) as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    [context] = [c for c in seen if "report" in c]
    return dict(context["report"])


def figure(page: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}">([^<]*)<', page)
    assert found, key
    return found.group(1)


# --- who may see what ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["employee", "manager"])
def test_employees_and_managers_are_refused(client, auth, world, who) -> None:
    login(auth, world, who)
    for path in (
        "/",
        f"/program/{SLUG}",
        f"/program/{SLUG}/export.csv",
        f"/program/{SLUG}/export.xlsx",
        "/period?fran=2024-01-01&till=2024-12-31",
        f"/program/{SLUG}/personer",
    ):
        assert client.get(BASE + path).status_code == 403, path


def test_signed_out_people_are_sent_to_log_in(client, world) -> None:
    assert client.get(f"{BASE}/program/{SLUG}").status_code == 302


def test_index_lists_visible_programmes_and_the_period_form(client, auth, world) -> None:
    login(auth, world, "org")
    page = text(client.get(f"{BASE}/"))
    assert f'href="{BASE}/program/{SLUG}"' in page
    assert 'name="fran"' in page and 'name="till"' in page
    assert 'action="/rapporter/esf/period"' in page


def test_a_coordinator_of_another_organisation_sees_the_programme_part(
    app, client, auth, world
) -> None:
    """Nacka's coordinator: the programme takes part in Nacka bibliotek, so they see it, with
    Eva's hours only (Gus in Nacka konsthall is outside the programme)."""
    login(auth, world, "nacka")
    report = report_seen(app, client, f"{BASE}/program/{SLUG}")
    assert report["participants"]["total"] == 1
    assert report["hours"]["total"] == 75 / 60
    assert [row["department"] for row in report["by_department"]] == ["Nacka bibliotek"]


@pytest.mark.parametrize(
    ("who", "participants", "departments"),
    [
        ("admin", 7, {"Stadsbiblioteket", "Stadsmuseet", "Nacka bibliotek"}),
        ("all", 7, {"Stadsbiblioteket", "Stadsmuseet", "Nacka bibliotek"}),
        ("org", 6, {"Stadsbiblioteket", "Stadsmuseet"}),
        ("dept", 3, {"Stadsmuseet"}),
    ],
)
def test_each_reader_sees_their_scope(
    app, session, client, auth, world, who, participants, departments
) -> None:
    login(auth, world, who)
    report = report_seen(app, client, f"{BASE}/program/{SLUG}")
    assert report["participants"]["total"] == participants
    assert {row["department"] for row in report["by_department"]} == departments
    expected = build_esf_report(
        session, programme=world.programme, coverage=reader_coverage(world.readers[who])
    )
    assert report == expected


def test_an_unknown_programme_is_not_found(client, auth, world) -> None:
    login(auth, world, "admin")
    assert client.get(f"{BASE}/program/finns-inte").status_code == 404
    assert client.get(f"{BASE}/program/finns-inte/export.csv").status_code == 404
    assert client.get(f"{BASE}/program/{'x' * 500}").status_code == 404


def test_a_programme_outside_the_scope_is_not_found(session, client, auth, world) -> None:
    from tests.reports.esf_builders import programme

    programme(session, world.programme.starts_on, world.programme.ends_on,
              departments=[world.depts["Nacka konsthall"]], slug="konsthallen")  # fmt: skip
    session.commit()
    login(auth, world, "dept")
    assert client.get(f"{BASE}/program/konsthallen").status_code == 404
    assert client.get(f"{BASE}/program/konsthallen/export.xlsx").status_code == 404
    assert "konsthallen" not in text(client.get(f"{BASE}/"))


# --- the department filter -------------------------------------------------------------------


def test_the_department_filter_narrows_the_report(app, client, auth, world) -> None:
    login(auth, world, "org")
    museum = world.depts["Stadsmuseet"].id
    page = text(client.get(f"{BASE}/program/{SLUG}"))
    assert f'<option value="{museum}">Stadsmuseet</option>' in page
    assert "Nacka bibliotek</option>" not in page  # outside the reader's organisation
    report = report_seen(app, client, f"{BASE}/program/{SLUG}?avdelning={museum}")
    assert report["department_filter"]["id"] == museum
    assert report["participants"] == {
        "total": 3, "women": 1, "men": 0, "non_binary": 1, "not_stated": 1,
    }  # fmt: skip
    assert report["hours"]["total"] == (120 + 45 + 30) / 60
    page = text(client.get(f"{BASE}/program/{SLUG}?avdelning={museum}"))
    assert f'<option selected value="{museum}">Stadsmuseet</option>' in page
    assert f"avdelning={museum}" in page  # the download links keep the filter


@pytest.mark.parametrize("dept", ["Nacka konsthall", "Nacka bibliotek"])
def test_a_department_outside_the_readers_scope_is_not_found(client, auth, world, dept) -> None:
    login(auth, world, "org")
    department = world.depts[dept].id
    for path in (f"/program/{SLUG}", f"/program/{SLUG}/export.csv", f"/program/{SLUG}/export.xlsx"):
        assert client.get(f"{BASE}{path}?avdelning={department}").status_code == 404
    period = f"{BASE}/period?fran=2024-01-01&till=2024-12-31&avdelning={department}"
    assert client.get(period).status_code == 404


def test_a_department_outside_the_programme_is_not_found(client, auth, world) -> None:
    login(auth, world, "admin")
    outside = world.depts["Nacka konsthall"].id
    assert client.get(f"{BASE}/program/{SLUG}?avdelning={outside}").status_code == 404
    # …but any department is fine for a period.
    period = f"{BASE}/period?fran=2024-01-01&till=2024-12-31&avdelning={outside}"
    assert client.get(period).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "avdelning=abc",
        "avdelning=-1",
        "avdelning=999999999999999999999",
        "avdelning=1.5",
        "avdelning=%00",
        "avdelning=²",
    ],
)
def test_junk_departments_are_not_found(client, auth, world, query) -> None:
    login(auth, world, "admin")
    assert client.get(f"{BASE}/program/{SLUG}?{query}").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "",
        "fran=2024-01-01",
        "fran=abc&till=2024-12-31",
        "fran=2024-02-30&till=2024-12-31",
        "fran=2024-12-31&till=2024-01-01",
        "fran=0001-01-01&till=9999-12-31",
        "fran=%00&till=%FF",
        "fran=2024-01-01&fran=2025-01-01&till=x",
        "fran=99999-01-01&till=2024-01-01",
    ],
)
def test_bad_periods_show_the_form_with_an_error(client, auth, world, query) -> None:
    login(auth, world, "org")
    for path in ("/period", "/period/export.csv", "/period/export.xlsx"):
        response = client.get(f"{BASE}{path}?{query}")
        assert response.status_code == 200, (path, query)
        page = text(response)
        assert 'class="error"' in page and 'role="alert"' in page
        assert 'aria-invalid="true"' in page


@pytest.mark.parametrize(
    "query", ["sep=%00", "page=abc", "page=-3", "page=99999999999", "x=1&avdelning="]
)
def test_other_junk_is_ignored(client, auth, world, query) -> None:
    login(auth, world, "reporting")
    for path in (f"/program/{SLUG}", f"/program/{SLUG}/export.csv", f"/program/{SLUG}/personer"):
        assert client.get(f"{BASE}{path}?{query}").status_code == 200, path


def test_a_period_report_has_no_targets(app, client, auth, world) -> None:
    login(auth, world, "admin")
    report = report_seen(app, client, f"{BASE}/period?fran=2024-03-01&till=2024-03-31")
    assert report["targets"] is None and report["programme"] is None
    assert [row["month"] for row in report["by_month"]] == ["2024-03"]
    assert report["participants"]["total"] == 1  # Anna, whose 23:30 attendance is inside
    assert report["hours"]["total"] == 2.0


# --- what the page shows ---------------------------------------------------------------------


def test_the_page_shows_the_reports_numbers(app, client, auth, world) -> None:
    login(auth, world, "admin")
    report = report_seen(app, client, f"{BASE}/program/{SLUG}")
    page = text(client.get(f"{BASE}/program/{SLUG}"))
    assert figure(page, "participants") == "7"
    assert figure(page, "hours") == "9,0"  # 540 minutes
    assert report["hours"]["total"] == 9.0
    per = report["hours"]["per_participant"]
    assert figure(page, "hours_per_participant") == f"{per:.1f}".replace(".", ",")
    assert "Digitalt kompetenslyft" in page
    assert "2024-01-01 – 2024-12-31" in page
    assert page.count('role="img"') == 1 and "<caption" in page and 'scope="row"' in page
    assert '<th scope="col"' in page
    # Attainment: 7 of 10 participants → 70,0 %.
    assert re.search(r'data-attainment="participants">70,0\xa0%', page)
    for link in ("export.csv", "export.csv?sep=semikolon", "export.xlsx"):
        assert f'href="{BASE}/program/{SLUG}/{link}"' in page
    assert "/personer" not in page  # no reporting permission


def test_every_source_and_format_is_labelled(client, auth, world) -> None:
    login(auth, world, "admin")
    page = text(client.get(f"{BASE}/program/{SLUG}"))
    body = page.split('id="by-source"', 1)[1].split("</table>", 1)[0]
    assert body.count('<th scope="row">') == 4
    formats = page.split('id="by-format"', 1)[1].split("</table>", 1)[0]
    assert formats.count('<th scope="row">') == 3  # nano-lesson, workshop, outside


def test_the_page_never_names_anyone(client, auth, world) -> None:
    login(auth, world, "reporting")
    page = text(client.get(f"{BASE}/program/{SLUG}"))
    assert not any(p.name in page or p.email in page for p in world.people.values())


# --- the per-person listing ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["org", "admin", "all"])
def test_the_listing_needs_the_reporting_permission(client, auth, world, who) -> None:
    login(auth, world, who)
    for path in ("/personer", "/personer/export.csv", "/personer/export.xlsx"):
        assert client.get(f"{BASE}/program/{SLUG}{path}").status_code == 403


def test_the_listing_shows_people_and_hours_but_no_assessments(
    session, client, auth, world
) -> None:
    from tests.assessment.factories import assessment, assessment_round

    round_ = assessment_round(session, "Skattning 2024", organisations=[world.culture])
    made = assessment(session, world.people["anna"], round_, {"1.1": (2, 4)})
    for rating in made.ratings:
        rating.comment = SECRET_COMMENT
    session.commit()
    login(auth, world, "reporting")
    page = text(client.get(f"{BASE}/program/{SLUG}"))
    assert f'href="{BASE}/program/{SLUG}/personer"' in page
    listing = text(client.get(f"{BASE}/program/{SLUG}/personer"))
    anna = world.people["anna"]
    assert anna.name in listing and anna.email in listing
    assert world.people["skyddad"].name in listing  # the funder's file is the exception
    assert world.people["eva"].name not in listing  # Nacka: outside the reader's scope
    assert SECRET_COMMENT not in listing
    assert round_.name not in listing
    assert "2024-03" in listing and "2,0" in listing  # Anna's 90 + 30 minutes in March
    for path in ("/personer/export.csv", "/personer/export.csv?sep=semikolon"):
        response = client.get(f"{BASE}/program/{SLUG}{path}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert SECRET_COMMENT not in response.get_data(as_text=True)
        assert anna.email in response.get_data(as_text=True)
    xlsx = client.get(f"{BASE}/program/{SLUG}/personer/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX_TYPE


def test_the_listing_is_paged_by_100(session, client, auth, world) -> None:
    from datetime import date

    from tests.reports.esf_builders import complete, person

    dept = world.depts["Stadsbiblioteket"]
    for n in range(101):
        complete(
            session, person(session, world.culture, dept, name=f"Ö {n:03d}"), date(2024, 9, 1), 6
        )
    session.commit()
    login(auth, world, "reporting")
    first = text(client.get(f"{BASE}/program/{SLUG}/personer"))
    second = text(client.get(f"{BASE}/program/{SLUG}/personer?page=2"))
    rows = lambda page: page.count('<th scope="row">')  # noqa: E731
    total = 101 + 7  # Anna, Bo, Skyddad, Cia, Dan one month each, Fia two (org scope)
    assert rows(first) == 100
    assert rows(second) == total - 100
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_report_xlsx_has_the_people_sheet_only_for_reporting(client, auth, world) -> None:
    import io

    from openpyxl import load_workbook

    def sheets(who: str) -> list[str]:
        auth.logout()
        login(auth, world, who)
        response = client.get(f"{BASE}/program/{SLUG}/export.xlsx")
        assert response.status_code == 200 and response.mimetype == XLSX_TYPE
        assert response.headers["Content-Disposition"] == 'attachment; filename="esf-lyftet.xlsx"'
        return list(load_workbook(io.BytesIO(response.data)).sheetnames)

    without = sheets("org")
    with_people = sheets("reporting")
    assert len(with_people) == len(without) + 1


def test_csv_download_headers(client, auth, world) -> None:
    login(auth, world, "org")
    response = client.get(f"{BASE}/program/{SLUG}/export.csv?sep=semikolon")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())
    assert b";" in response.data.splitlines()[0]


# --- queries ---------------------------------------------------------------------------------


def _queries(session, client, auth, count_queries, world: World, extra: int) -> tuple[int, ...]:
    from datetime import date

    from tests.reports.esf_builders import complete, person

    for n in range(extra):
        dept = world.depts["Stadsmuseet" if n % 2 else "Stadsbiblioteket"]
        complete(session, person(session, world.culture, dept), date(2024, 1 + n % 12, 3), 30)
    session.commit()
    login(auth, world, "reporting")
    counts = []
    for path in ("", "/personer", "/export.xlsx"):
        with count_queries() as counted:
            assert client.get(f"{BASE}/program/{SLUG}{path}").status_code == 200
        counts.append(counted.count)
    return tuple(counts)


def test_the_report_pages_run_a_constant_number_of_queries(
    session, client, auth, count_queries, world
) -> None:
    few = _queries(session, client, auth, count_queries, world, 0)
    many = _queries(session, client, auth, count_queries, world, 30)
    print("queries (page, listing, xlsx):", few)
    assert few == many
    assert few[0] <= 20


# --- the display layer, from a hand-written report dict --------------------------------------


def fake_report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "period": {"from": "2024-01-01", "to": "2024-03-31"},
        "programme": None,
        "participants": {"total": 1224, "women": 832, "men": 392, "non_binary": 0,
                         "not_stated": 0},
        "hours": {"total": 28237.0, "per_participant": 28237.0 / 1224},
        "targets": None,
        "attainment": None,
        "by_department": [{"organisation": "Kultur", "department": None, "participants": 1,
                           "hours": 0.05}],
        "by_month": [
            {"month": "2024-01", "hours": 100.0, "new_participants": 3},
            {"month": "2024-02", "hours": 0.0, "new_participants": 0},
            {"month": "2024-03", "hours": 50.0, "new_participants": 1},
        ],
        "by_source": {"catalogue": 1.0, "attendance": 2.0, "import": 3.0, "external": 4.0},
        "completions_by_source": {"catalogue": 1, "attendance": 2, "import": 3, "external": 4},
        "hours_by_gender": {"women": 1.0, "men": 2.0, "non_binary": 0.0, "not_stated": 0.0},
        "by_organisation": [{"organisation": None, "participants": 1, "hours": 1.0}],
        "by_area": [],
        "by_format": [{"format": "workshop", "hours": 1.0, "completions": 1},
                      {"format": "", "hours": 2.0, "completions": 2}],
        "department_filter": None,
    }  # fmt: skip
    report.update(changes)
    return report


def test_numbers_are_written_the_swedish_way(app) -> None:
    from lms.reports import esf_display as display

    assert display.hours(28237.0) == "28\xa0237,0"
    assert display.count(1224) == "1\xa0224"
    assert display.percent(1224 / 1098) == "111,5\xa0%"
    figures = {f.key: f for f in display.key_figures(fake_report())}
    assert figures["participants"].value == "1\xa0224"
    assert figures["hours_per_participant"].value == "23,1"
    assert figures["hours"].target is None and figures["hours"].attainment is None


def test_targets_and_attainment_are_shown(app) -> None:
    from lms.reports import esf_display as display

    report = fake_report(
        targets={"participants": 1098, "hours": 18920, "hours_per_participant": 18.0},
        attainment={
            "participants": 1224 / 1098,
            "hours": 28237 / 18920,
            "hours_per_participant": None,
        },
    )
    figures = {f.key: f for f in display.key_figures(report)}
    assert (figures["participants"].target, figures["participants"].attainment) == (
        "1\xa0098", "111,5\xa0%",
    )  # fmt: skip
    assert figures["hours"].target == "18\xa0920"
    assert figures["hours_per_participant"].target == "18,0"
    assert figures["hours_per_participant"].attainment is None


def test_tables_label_what_has_no_name(app) -> None:
    from lms.reports import esf_display as display

    page = display.page(fake_report())
    assert page["department_table"].rows == [["Ingen avdelning", "Kultur", "1", "0,0"]]
    assert page["organisation_table"].rows[0][0] == sv("No organisation")
    assert [row[0] for row in page["format_table"].rows] == [
        "Workshop", sv("Outside the catalogue"),
    ]  # fmt: skip
    assert [row[0] for row in page["source_table"].rows] == [
        "Katalogen", "Närvaro", sv("Import"), sv("External training (approved)"),
    ]  # fmt: skip
    assert page["gender_table"].total == ["Totalt", "1\xa0224", "28\xa0237,0"]


def test_the_month_chart_scales_to_the_busiest_month(app) -> None:
    from lms.reports import esf_display as display

    chart = display.month_chart(fake_report())
    january, february, march = chart.bars
    assert january.height == 140 and march.height == 70 and february.height == 0
    assert january.y + january.height == chart.plot_bottom
    assert (january.label, february.label) == ("2024", "")
    assert "2024-01" in chart.desc and "2024-03" in chart.desc
