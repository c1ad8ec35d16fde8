"""The coordinator dashboard page: who may open it, whose figures it shows (the reader's scope),
which programme, the same headline figures as the ESF report, the top lists, feedback and
Transfer of Training, accessible charts with their tables, and a constant number of queries."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from lms.accounts.models import ReportScope
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from lms.reports.esf_report import build_esf_report
from lms.reports.scope import reader_coverage
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.reports.builders import rendered
from tests.reports.dashboard_builders import World, coordinator, feedback, world
from tests.reports.esf_builders import complete, person, programme, unit

URL = "/rapporter/"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture
def w(session) -> World:
    made = world(session)
    session.commit()
    return made


def login(session, auth, who) -> None:
    session.commit()
    auth.login(who.email)


def context_of(app, client, url: str = URL) -> dict[str, Any]:
    with rendered(app) as seen:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    [context] = [c for c in seen if "programme" in c]
    return context


@pytest.mark.parametrize(
    "permissions", [Permission.NONE, Permission.MANAGER, Permission.COURSE_OWNER]
)
def test_employees_managers_and_course_owners_are_refused(
    session, client, auth, w, permissions
) -> None:
    login(session, auth, factories.user(session, permissions=permissions))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}?program={w.programme.slug}").status_code == 403


def test_signed_out_people_are_sent_to_log_in(client, w) -> None:
    assert client.get(URL).status_code == 302


def test_an_admin_sees_the_whole_programme_with_the_esf_reports_figures(
    app, session, client, auth, w
) -> None:
    admin = factories.admin(session)
    login(session, auth, admin)
    context = context_of(app, client)
    assert context["programme"].id == w.programme.id
    assert context["report"] == build_esf_report(session, programme=w.programme)
    figures = {f.key: f for f in context["key_figures"]}
    assert figures["participants"].fraction == pytest.approx(7 / 10)
    assert figures["hours"].fraction == pytest.approx(10 / 20)
    assert figures["hours_per_participant"].fraction == pytest.approx((10 / 7) / 2)


@pytest.mark.parametrize(
    ("scope", "dept", "participants", "hours"),
    [
        (ReportScope.ORGANISATION, "Stadsbiblioteket", 5, 7),
        (ReportScope.ORGANISATION, "Biblioteket", 2, 3),
        (ReportScope.DEPARTMENT, "Stadsmuseet", 2, 1.5),
        (ReportScope.ALL, "Stadsmuseet", 7, 10),
    ],
)
def test_a_coordinator_sees_their_organisation_or_department(
    app, session, client, auth, w, scope, dept, participants, hours
) -> None:
    who = coordinator(session, w.depts[dept], scope)
    login(session, auth, who)
    context = context_of(app, client)
    report = context["report"]
    assert report == build_esf_report(session, programme=w.programme, coverage=reader_coverage(who))
    assert report["participants"]["total"] == participants
    assert report["hours"]["total"] == hours


def test_scope_limits_feedback_and_transfer_too(app, session, client, auth, w) -> None:
    login(session, auth, coordinator(session, w.depts["Stadsmuseet"], ReportScope.DEPARTMENT))
    context = context_of(app, client)
    assert context["feedback"].responses == 0
    transfer = context["transfer"].figures
    assert (transfer.participants, transfer.with_pre_tasks, transfer.follow_ups_decided) == (
        2,
        1,
        1,
    )
    page = text(client.get(URL))
    assert "Verkstad" in page  # Dan's workshop is in the department's top list
    assert sv("No feedback on the programme's completions yet.") in page


def test_top_activities_are_ordered_and_linked_to_the_catalogue(
    app, session, client, auth, w
) -> None:
    login(session, auth, factories.admin(session))
    context = context_of(app, client)
    people = [(line.title, line.slug, line.participants) for line in context["top_by_participants"]]
    assert people == [("Verkstad", w.workshop.slug, "5"), ("Nano", w.nano.slug, "3")]
    assert [line.title for line in context["top_by_hours"]] == ["Verkstad", "Nano"]
    assert (context["outside"].participants, context["outside"].slug) == ("2", None)
    page = text(client.get(URL))
    assert f'href="/katalog/{w.workshop.slug}"' in page
    top = page.split('id="top-participants"', 1)[1].split("</table>", 1)[0]
    assert top.index("Verkstad") < top.index("Nano")
    assert sv("Training outside the catalogue") not in top
    outside = context["outside"]
    stated = sv(
        "Training outside the catalogue (imports without an activity, approved external "
        "training) is not ranked: %(participants)s participants, %(hours)s hours.",
        participants=outside.participants,
        hours=outside.hours,
    )
    assert stated in page


def test_feedback_averages_hide_small_groups(app, session, client, auth, w) -> None:
    login(session, auth, factories.admin(session))
    context = context_of(app, client)
    feedback = context["feedback"]
    assert feedback.responses == 5
    lines = {line.label: line for line in feedback.by_activity}
    assert lines["Verkstad"].responses == "3" and not lines["Verkstad"].too_few
    assert lines["Nano"].too_few and lines["Nano"].mean == ""
    page = text(client.get(URL))
    table = page.split('id="feedback-activities"', 1)[1].split("</table>", 1)[0]
    assert sv("too few responses") in table
    assert re.search(r"4[,.]0", table)  # Verkstad's mean rating
    assert 'data-feedback="responses">5<' in page


def test_transfer_of_training_rates(app, session, client, auth, w) -> None:
    login(session, auth, factories.admin(session))
    transfer = context_of(app, client)["transfer"]
    f = transfer.figures
    assert (f.participants, f.with_pre_tasks, f.pre_in_time) == (8, 5, 2)
    assert (f.follow_ups_decided, f.follow_ups_on_time, f.overdue) == (5, 2, 1)
    page = text(client.get(URL))
    assert re.search(r'data-transfer="pre">40\s?%<', page)
    assert re.search(r'data-transfer="follow-up">40\s?%<', page)
    assert 'data-transfer="overdue">1<' in page


def test_charts_are_accessible_svg_with_tables_and_no_script(session, client, auth, w) -> None:
    login(session, auth, factories.admin(session))
    page = text(client.get(URL))
    main = page.split("</header>", 1)[1].split("<footer", 1)[0]
    assert "<script" not in main and "style=" not in main
    for key in ("participants", "hours"):
        assert f'<figure class="dash-chart" aria-labelledby="chart-{key}-caption">' in main
        assert f'<figcaption id="chart-{key}-caption">' in main
        assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in main
        assert f'<desc id="chart-{key}-desc">' in main
    assert main.count('role="img"') == 2
    assert main.count('class="chart-target"') == 4  # two charts, two legend samples
    assert main.count("<polyline") == 2
    assert main.count("<caption") >= 2 and 'scope="row"' in main
    # The programme ended long ago: every month is in the tables, no "today" marker.
    assert main.count("december 2024") >= 2
    assert 'class="chart-today"' not in main
    assert "reports-dashboard.css" in page


def test_links_to_the_esf_report_assessment_analytics_and_programme_admin(
    session, client, auth, w
) -> None:
    login(session, auth, factories.admin(session))
    page = text(client.get(URL))
    assert f'href="/rapporter/esf/program/{w.programme.slug}"' in page
    assert 'href="/rapporter/skattning/"' in page
    assert f'href="/samordning/program/{w.programme.slug}/redigera"' in page


def test_a_department_coordinator_may_not_edit_the_programme(session, client, auth, w) -> None:
    login(session, auth, coordinator(session, w.depts["Stadsmuseet"], ReportScope.DEPARTMENT))
    page = text(client.get(URL))
    assert f"/samordning/program/{w.programme.slug}/redigera" not in page
    assert f'href="/rapporter/esf/program/{w.programme.slug}"' in page


def test_programme_selection(app, session, client, auth, w) -> None:
    today = local_date(utcnow())
    running = programme(
        session,
        today - timedelta(days=40),
        today + timedelta(days=300),
        organisations=[w.kultur],
        slug="pagaende",
        name="Pågående",
        target_participants=3,
    )
    nacka_only = programme(
        session, date(2022, 1, 1), date(2022, 12, 31), organisations=[w.nacka], slug="nacka"
    )
    complete(session, w.people["anna"], today, 45, activity=w.nano)
    login(session, auth, coordinator(session, w.depts["Stadsbiblioteket"]))
    # The running programme comes first; the other is one choice away.
    context = context_of(app, client)
    assert context["programme"].id == running.id
    assert [p.slug for p in context["programmes"]] == ["pagaende", w.programme.slug]
    page = text(client.get(URL))
    assert '<option value="pagaende" selected>' in page
    assert 'class="chart-today"' in page  # the period includes today
    assert context_of(app, client, f"{URL}?program={w.programme.slug}")["programme"].id == (
        w.programme.id
    )
    # Unknown, or outside the reader's scope: not found.
    assert client.get(f"{URL}?program=finns-inte").status_code == 404
    assert client.get(f"{URL}?program={nacka_only.slug}").status_code == 404
    assert client.get(f"{URL}?program=").status_code == 200


def test_without_a_programme_the_page_says_how_to_get_one(session, client, auth) -> None:
    org = factories.organisation(session, "Ensam kommun")
    dept = factories.department(session, "Ensamma avdelningen", org)
    login(session, auth, coordinator(session, dept))
    page = text(client.get(URL))
    assert 'href="/samordning/program/ny"' in page
    assert sv("Create a programme") in page


def test_a_department_coordinator_without_programmes_is_told_whom_to_ask(
    session, client, auth
) -> None:
    org = factories.organisation(session, "Ensam kommun")
    dept = factories.department(session, "Ensamma avdelningen", org)
    login(session, auth, coordinator(session, dept, ReportScope.DEPARTMENT))
    response = client.get(URL)
    assert response.status_code == 200
    assert "/samordning/program/ny" not in text(response)


def test_a_programme_without_targets_has_no_target_line(app, session, client, auth, w) -> None:
    bare = programme(
        session, date(2024, 1, 1), date(2024, 6, 30), organisations=[w.kultur], slug="utan-mal"
    )
    login(session, auth, factories.admin(session))
    context = context_of(app, client, f"{URL}?program={bare.slug}")
    assert context["report"]["targets"] == {
        "participants": None,
        "hours": None,
        "hours_per_participant": None,
    }
    assert all(chart.target is None for chart in context["progress_charts"])
    page = text(client.get(f"{URL}?program={bare.slug}"))
    assert 'class="chart-target"' not in page
    assert page.count(sv("No target")) == 3


def test_a_department_coordinator_without_a_department_sees_no_programme(
    session, client, auth, w
) -> None:
    who = coordinator(session, w.depts["Stadsmuseet"], ReportScope.DEPARTMENT)
    who.department_id = None
    login(session, auth, who)
    response = client.get(URL)
    assert response.status_code == 200
    assert w.programme.name not in text(response)
    assert client.get(f"{URL}?program={w.programme.slug}").status_code == 404


def _queries_for(session, client, count_queries, size: int, suffix: str) -> int:
    """A programme of `size` people over `size` activities, with feedback on every one."""
    org, depts = unit(session, f"Org {suffix}", "A", "B")
    lyft = programme(
        session, date(2024, 1, 1), date(2024, 12, 31), organisations=[org], slug=f"p-{suffix}"
    )
    for n in range(size):
        activity = cf.activity(session, title=f"Aktivitet {suffix}{n}", format="course")
        who = person(session, org, depts["A" if n % 2 else "B"])
        done = complete(session, who, date(2024, 1 + n % 12, 5), 30 + n, activity=activity)
        feedback(session, done, 1 + n % 5, n % 2 == 0)
    session.commit()
    with count_queries() as counted:
        assert client.get(f"{URL}?program={lyft.slug}").status_code == 200
    return counted.count


def test_the_page_takes_the_same_number_of_queries_for_3_and_25_activities(
    session, client, auth, count_queries
) -> None:
    login(session, auth, factories.admin(session))
    small = _queries_for(session, client, count_queries, 3, "a")
    big = _queries_for(session, client, count_queries, 25, "b")
    assert small == big, (small, big)
    assert small <= 25
