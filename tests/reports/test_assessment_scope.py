"""Assessment analytics within the reader's report scope (issue 10, point 5): an organisation
coordinator sees their organisation's people, a department coordinator their department's, a
coordinator with the scope "all" and an admin everyone; the rounds listed, the respondents,
every figure and the department breakdown follow the scope, which the page states; small
groups stay suppressed (now within the scope); the command sees everything; the number of
queries does not grow with the data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from lms.accounts.models import ReportScope, User
from lms.assessment.models import AssessmentRound
from lms.core.access import Permission
from lms.reports import assessment_queries as queries
from lms.reports.assessment_report import build_assessment_report, list_round_summaries
from lms.reports.esf_data import Coverage
from tests import factories
from tests.assessment.factories import assessment_round
from tests.catalog.conftest import sv
from tests.reports.builders import Org, answer, crowd, org, person, rendered

BASE = "/rapporter/skattning"
NEED_1_2 = {"1.1": (4, 5), "1.2": (2, 5), "4.2": (3, 5)}  # a need in 1.2, motivation 5
NO_NEED = {"1.1": (3, 2), "1.2": (4, 2), "4.2": (3, 2)}  # no need, motivation 2


@dataclass
class World:
    culture: Org  # Kulturförvaltningen: Stadsbiblioteket, Stadsmuseet
    leisure: Org  # Fritidsförvaltningen: Simhallen
    round: AssessmentRound  # targets both organisations
    leisure_only: AssessmentRound  # targets Fritidsförvaltningen
    pool_only: AssessmentRound  # targets the department Simhallen

    def organisation(self, which: Org) -> Coverage:
        return Coverage(organisation_ids=frozenset({which.organisation.id}))

    def department(self, which: Org, name: str) -> Coverage:
        return Coverage(department_ids=frozenset({which.departments[name].id}))


def second_organisation(session, culture: Org) -> Org:
    """Fritidsförvaltningen with the department Simhallen (the same job roles)."""
    leisure = factories.organisation(session, "Fritidsförvaltningen")
    return Org(
        leisure, {"Simhallen": factories.department(session, "Simhallen", leisure)}, culture.roles
    )


@pytest.fixture
def world(session) -> World:
    """Kulturförvaltningen: 6 librarians with a need in 1.1 and high motivation (one of them
    has since moved to Simhallen), 5 museum people with no need and low motivation, one museum
    person who has not answered. Fritidsförvaltningen: 6 in Simhallen and one without a
    department, all with a need in 1.2 and high motivation, one in Simhallen who has not
    answered. Everyone is a librarian by role (1.1, 1.2 and 4.2 apply)."""
    culture = org(session)
    leisure = second_organisation(session, culture)
    round_ = assessment_round(
        session, "Skattning hösten 2026", organisations=[culture.organisation, leisure.organisation]
    )
    library = crowd(session, culture, round_, {"Stadsbiblioteket": 6})
    crowd(session, culture, round_, {"Stadsmuseet": 5}, NO_NEED)
    person(session, culture, "Stadsmuseet")  # targeted, no answer
    crowd(session, leisure, round_, {"Simhallen": 6}, NEED_1_2)
    loner = person(session, leisure, "Simhallen")
    loner.department = None
    session.flush()
    answer(session, loner, round_, NEED_1_2)  # the snapshot has no department
    person(session, leisure, "Simhallen")  # targeted, no answer
    # After answering, a librarian moved to Simhallen: counted where they answered.
    moved = library[0]
    moved.department = leisure.departments["Simhallen"]
    moved.organisation = leisure.organisation
    session.flush()
    leisure_only = assessment_round(
        session, "Fritid våren 2026", organisations=[leisure.organisation]
    )
    pool_only = assessment_round(
        session, "Simhallen våren 2026", departments=[leisure.departments["Simhallen"]]
    )
    session.commit()
    return World(culture, leisure, round_, leisure_only, pool_only)


def departments(report: dict[str, Any]) -> list[str | None]:
    return [d["department"] for d in report["by_department"]]


# --- the builder ------------------------------------------------------------------------


def test_without_a_coverage_everyone_counts(session, world) -> None:
    report = build_assessment_report(session, world.round, min_group_size=5)
    assert report["respondents"] == 18
    assert report["share_with_needs"] == pytest.approx(13 / 18)
    assert report["high_motivation"] == pytest.approx(13 / 18)
    assert report["response_rate"] == pytest.approx(18 / 20)
    assert departments(report) == ["Simhallen", "Stadsbiblioteket", "Stadsmuseet", None]


def test_an_organisation_counts_only_its_people(session, world) -> None:
    culture = build_assessment_report(
        session, world.round, min_group_size=5, coverage=world.organisation(world.culture)
    )
    assert culture["respondents"] == 11  # the librarian who moved away still counts here
    assert culture["share_with_needs"] == pytest.approx(6 / 11)
    assert culture["high_motivation"] == pytest.approx(6 / 11)
    assert culture["response_rate"] == pytest.approx(11 / 12)
    assert culture["areas"]["1"]["mean_rating"] == pytest.approx((6 * (2 + 3) + 5 * (3 + 4)) / 22)
    assert departments(culture) == ["Stadsbiblioteket", "Stadsmuseet"]
    assert [d["organisation"] for d in culture["by_department"]] == ["Kulturförvaltningen"] * 2

    leisure = build_assessment_report(
        session, world.round, min_group_size=5, coverage=world.organisation(world.leisure)
    )
    # Simhallen's six and the one without a department (by their organisation).
    assert leisure["respondents"] == 7
    assert leisure["share_with_needs"] == 1 and leisure["high_motivation"] == 1
    assert leisure["response_rate"] == pytest.approx(7 / 8)
    assert leisure["competences"]["1.2"]["share_with_needs"] == 1
    assert departments(leisure) == ["Simhallen", None]


def test_a_department_counts_only_its_people(session, world) -> None:
    library = build_assessment_report(
        session,
        world.round,
        min_group_size=5,
        coverage=world.department(world.culture, "Stadsbiblioteket"),
    )
    assert library["respondents"] == 6 and library["response_rate"] == 1
    assert library["share_with_needs"] == 1 and library["high_motivation"] == 1
    assert departments(library) == ["Stadsbiblioteket"]

    museum = build_assessment_report(
        session,
        world.round,
        min_group_size=5,
        coverage=world.department(world.culture, "Stadsmuseet"),
    )
    assert museum["respondents"] == 5 and museum["share_with_needs"] == 0
    assert museum["response_rate"] == pytest.approx(5 / 6)  # the one who has not answered

    pool = build_assessment_report(
        session,
        world.round,
        min_group_size=5,
        coverage=world.department(world.leisure, "Simhallen"),
    )
    # Not the librarian who moved there after answering; the one who has not answered, yes.
    assert pool["respondents"] == 6 and pool["response_rate"] == pytest.approx(6 / 7)
    assert departments(pool) == ["Simhallen"]


def test_coverages_add_up_and_an_empty_one_covers_nobody(session, world) -> None:
    both = Coverage(
        organisation_ids=frozenset({world.culture.organisation.id}),
        department_ids=frozenset({world.leisure.departments["Simhallen"].id}),
    )
    report = build_assessment_report(session, world.round, min_group_size=5, coverage=both)
    assert report["respondents"] == 17
    assert departments(report) == ["Simhallen", "Stadsbiblioteket", "Stadsmuseet"]
    nobody = build_assessment_report(session, world.round, min_group_size=5, coverage=Coverage())
    assert nobody["respondents"] == 0 and nobody["areas"] == {}
    assert nobody["by_department"] == [] and nobody["response_rate"] is None


def test_the_compared_round_is_scoped_too(session, world) -> None:
    culture = world.culture
    spring = assessment_round(
        session,
        "Skattning våren 2026",
        organisations=[culture.organisation, world.leisure.organisation],
    )
    crowd(session, culture, spring, {"Stadsbiblioteket": 5}, NO_NEED)
    crowd(session, world.leisure, spring, {"Simhallen": 5})
    report = build_assessment_report(
        session,
        world.round,
        spring,
        min_group_size=5,
        coverage=world.organisation(culture),
    )
    assert report["compare"]["respondents"] == 5
    assert report["compare"]["share_with_needs"] == 0
    assert report["compare"]["delta_pp"]["share_with_needs"] == pytest.approx(100 * 6 / 11)


def test_small_groups_are_suppressed_within_the_scope(session, world) -> None:
    culture = world.culture
    small = factories.department(session, "Konsthallen", culture.organisation)
    culture.departments["Konsthallen"] = small
    crowd(session, culture, world.round, {"Konsthallen": 4})
    report = build_assessment_report(
        session, world.round, min_group_size=5, coverage=world.department(culture, "Konsthallen")
    )
    assert report["respondents"] is None and report["suppressed"]
    assert set(report["suppressed_figures"]) == {
        "respondents",
        "response_rate",
        "share_with_needs",
        "high_motivation",
    }
    assert all(entry["suppressed"] for entry in report["areas"].values())
    assert all(entry["suppressed"] for entry in report["competences"].values())


def test_round_summaries_are_scoped_like_the_report(session, world) -> None:
    for coverage, respondents in (
        (None, 18),
        (world.organisation(world.culture), 11),
        (world.organisation(world.leisure), 7),
        (world.department(world.culture, "Stadsbiblioteket"), 6),
    ):
        summaries = {s.round.id: s for s in list_round_summaries(session, 5, coverage)}
        report = build_assessment_report(session, world.round, min_group_size=5, coverage=coverage)
        summary = summaries[world.round.id]
        assert summary.respondents.value == report["respondents"] == respondents
        assert summary.response_rate.value == pytest.approx(report["response_rate"])


def test_rounds_are_listed_when_they_concern_the_scope(session, world) -> None:
    def listed(coverage: Coverage | None) -> set[str]:
        return {r.name for r in queries.list_report_rounds(session, coverage)}

    everything = {world.round.name, world.leisure_only.name, world.pool_only.name}
    assert listed(None) == everything
    assert listed(world.organisation(world.culture)) == {world.round.name}
    assert listed(world.organisation(world.leisure)) == everything  # holds Simhallen
    assert listed(world.department(world.leisure, "Simhallen")) == everything  # in its org
    assert listed(world.department(world.culture, "Stadsmuseet")) == {world.round.name}
    assert listed(Coverage()) == set()


def test_scope_names(session, world) -> None:
    both = Coverage(
        organisation_ids=frozenset({world.leisure.organisation.id}),
        department_ids=frozenset(
            {world.culture.departments["Stadsmuseet"].id, world.leisure.departments["Simhallen"].id}
        ),
    )
    assert queries.list_scope_names(session, both) == (
        ["Fritidsförvaltningen"],
        [("Simhallen", "Fritidsförvaltningen"), ("Stadsmuseet", "Kulturförvaltningen")],
    )
    assert queries.list_scope_names(session, Coverage()) == ([], [])


def test_the_command_sees_everything(app, world) -> None:
    result = app.test_cli_runner().invoke(
        args=["lms", "report", "assessment", "--round", world.round.name]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["respondents"] == 18


# --- the pages --------------------------------------------------------------------------


def reader(
    session,
    auth,
    where: Org,
    department: str,
    *,
    scope: ReportScope = ReportScope.ORGANISATION,
    permissions: Permission = Permission.COORDINATOR,
) -> User:
    who = factories.user(session, permissions=permissions, dept=where.departments[department])
    who.report_scope = scope
    session.commit()
    auth.login(who.email)
    return who


def text(response: Any) -> str:
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def shown_report(app, client, round_id: int) -> dict[str, Any]:
    with rendered(app) as seen:
        assert client.get(f"{BASE}/{round_id}").status_code == 200
    [context] = [c for c in seen if "report" in c]
    return dict(context["report"])


def index_respondents(page: str, round_: AssessmentRound) -> str:
    """The respondents cell of a round's row on the index."""
    row = page.split(f'href="{BASE}/{round_.id}"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="report-number">\s*(.*?)\s*</td>', row, re.S)
    return str(cells[0])


def test_an_organisation_coordinator_sees_their_organisation(
    app, session, client, auth, world
) -> None:
    reader(session, auth, world.culture, "Stadsmuseet")
    page = text(client.get(f"{BASE}/"))
    assert sv("Scope: %(names)s", names="Kulturförvaltningen") in page
    assert index_respondents(page, world.round) == "11"
    assert world.leisure_only.name not in page and world.pool_only.name not in page
    report = shown_report(app, client, world.round.id)
    assert report["respondents"] == 11
    assert departments(report) == ["Stadsbiblioteket", "Stadsmuseet"]
    show = text(client.get(f"{BASE}/{world.round.id}"))
    assert sv("Scope: %(names)s", names="Kulturförvaltningen") in show
    assert "Simhallen" not in show and "Fritidsförvaltningen" not in show


def test_a_department_coordinator_sees_their_department(app, session, client, auth, world) -> None:
    reader(session, auth, world.culture, "Stadsbiblioteket", scope=ReportScope.DEPARTMENT)
    page = text(client.get(f"{BASE}/"))
    line = sv("Department: %(names)s", names="Stadsbiblioteket (Kulturförvaltningen)")
    assert line in page
    assert index_respondents(page, world.round) == "6"
    report = shown_report(app, client, world.round.id)
    assert report["respondents"] == 6 and report["share_with_needs"] == 1
    assert departments(report) == ["Stadsbiblioteket"]
    show = text(client.get(f"{BASE}/{world.round.id}"))
    assert line in show and "Stadsmuseet (Kulturförvaltningen)" not in show


@pytest.mark.parametrize(
    ("permissions", "scope"),
    [
        (Permission.COORDINATOR, ReportScope.ALL),
        (Permission.ADMIN, ReportScope.DEPARTMENT),  # an admin sees everything whatever the scope
    ],
)
def test_scope_all_and_admins_see_everything(
    app, session, client, auth, world, permissions, scope
) -> None:
    reader(session, auth, world.culture, "Stadsmuseet", scope=scope, permissions=permissions)
    page = text(client.get(f"{BASE}/"))
    assert index_respondents(page, world.round) == "18"
    assert world.leisure_only.name in page and world.pool_only.name in page
    assert sv("Scope: %(names)s", names="Kulturförvaltningen") not in page
    report = shown_report(app, client, world.round.id)
    assert report["respondents"] == 18
    assert departments(report) == ["Simhallen", "Stadsbiblioteket", "Stadsmuseet", None]


def test_a_round_outside_the_scope_is_not_found(session, client, auth, world) -> None:
    reader(session, auth, world.culture, "Stadsbiblioteket")
    assert client.get(f"{BASE}/{world.leisure_only.id}").status_code == 404
    assert client.get(f"{BASE}/{world.pool_only.id}").status_code == 404
    # Nor is it offered for comparison, nor compared with when asked for.
    show = text(client.get(f"{BASE}/{world.round.id}?jamfor={world.leisure_only.id}"))
    assert f'<option value="{world.leisure_only.id}"' not in show
    assert " selected>" not in show


def test_a_small_department_sees_dashes_and_why(session, client, auth, world) -> None:
    culture = world.culture
    culture.departments["Konsthallen"] = factories.department(
        session, "Konsthallen", culture.organisation
    )
    crowd(session, culture, world.round, {"Konsthallen": 4})
    reader(session, auth, culture, "Konsthallen", scope=ReportScope.DEPARTMENT)
    why = sv(
        "Figures are counted within your scope only, so the groups are smaller: where fewer "
        "than %(count)s people have answered, no figures are shown, as they could reveal how "
        "someone answered.",
        count=5,
    )
    page = text(client.get(f"{BASE}/"))
    assert index_respondents(page, world.round) == (
        '<span aria-hidden="true">–</span><span class="visually-hidden">'
        + sv("Fewer than %(count)s people – not shown", count=5)
        + "</span>"
    )
    assert why in page
    show = text(client.get(f"{BASE}/{world.round.id}"))
    assert why in show
    assert not re.search(r'class="stat-number">\s*\d', show)  # no headline figure


def test_a_department_coordinator_without_a_department_sees_nothing(
    session, client, auth, world
) -> None:
    who = reader(session, auth, world.culture, "Stadsbiblioteket", scope=ReportScope.DEPARTMENT)
    who.department = None
    session.commit()
    page = text(client.get(f"{BASE}/"))
    assert (
        sv(
            "Your report scope covers nobody, so there is nothing to show. An administrator can "
            "set your department or your report scope."
        )
        in page
    )
    assert sv("No assessment round concerns your scope yet.") in page
    assert client.get(f"{BASE}/{world.round.id}").status_code == 404


def _counts(session, client, count_queries, round_id: int) -> tuple[int, int]:
    with count_queries() as shown:
        assert client.get(f"{BASE}/{round_id}").status_code == 200
    with count_queries() as listed:
        assert client.get(f"{BASE}/").status_code == 200
    return shown.count, listed.count


@pytest.mark.parametrize("scope", [ReportScope.ORGANISATION, ReportScope.DEPARTMENT])
def test_scoped_pages_take_a_constant_number_of_queries(
    session, client, auth, count_queries, world, scope
) -> None:
    reader(session, auth, world.culture, "Stadsbiblioteket", scope=scope)
    small = _counts(session, client, count_queries, world.round.id)
    crowd(session, world.culture, world.round, {"Stadsbiblioteket": 30, "Stadsmuseet": 20})
    crowd(session, world.leisure, world.round, {"Simhallen": 30})
    for n in range(3):
        extra = assessment_round(session, f"Extra {n}", organisations=[world.culture.organisation])
        crowd(session, world.culture, extra, {"Stadsbiblioteket": 5})
    session.commit()
    assert _counts(session, client, count_queries, world.round.id) == small


def test_a_scope_costs_one_query_for_its_names(session, client, auth, count_queries, world) -> None:
    reader(session, auth, world.culture, "Stadsbiblioteket", scope=ReportScope.ALL)
    everything = _counts(session, client, count_queries, world.round.id)
    auth.logout()
    reader(session, auth, world.culture, "Stadsbiblioteket")
    scoped = _counts(session, client, count_queries, world.round.id)
    assert scoped == (everything[0] + 1, everything[1] + 1)
