"""The coordinators' round pages: access, forms and their errors, progress counts, query counts."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import ReportScope, User
from lms.assessment.models import AssessmentRound, AssessmentStatus
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.assessment.round_helpers import Org, coordinator, org
from tests.catalog.conftest import sv

BASE = "/samordning/skattning"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.fixture
def place(session: Session) -> Org:
    return org(session)


@pytest.fixture
def boss(session: Session, auth: Any, place: Org) -> User:
    person = coordinator(session, name="Karin Holm", dept=place.library)
    session.commit()
    auth.login(person.email)
    return person


@pytest.fixture
def existing(session: Session, place: Org) -> AssessmentRound:
    made = assessment_round(session, "Skattning våren 2026", organisations=[place.culture])
    session.commit()
    return made


def form(place: Org, **changes: Any) -> dict[str, Any]:
    today = local_date(utcnow())
    values: dict[str, Any] = {
        "name": "Skattning hösten 2026",
        "opens_on": (today + timedelta(days=3)).isoformat(),
        "closes_on": (today + timedelta(days=30)).isoformat(),
        "organisations": [str(place.nacka.id)],
        "departments": [str(place.school.id)],
    }
    values.update(changes)
    return values


def _count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(AssessmentRound)) or 0)


# --- who may use the pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "permission", [Permission.NONE, Permission.MANAGER, Permission.COURSE_OWNER]
)
def test_employees_managers_and_course_owners_are_refused(
    client: FlaskClient,
    session: Session,
    auth: Any,
    csrf_off: None,
    place: Org,
    existing: AssessmentRound,
    permission: Permission,
) -> None:
    person = factories.user(session, permissions=permission, dept=place.library)
    session.commit()
    auth.login(person.email)
    for path in ("/", "/ny", f"/{existing.id}", f"/{existing.id}/redigera"):
        assert client.get(BASE + path).status_code == 403, path
    for path in ("/ny", f"/{existing.id}/redigera", f"/{existing.id}/ta-bort"):
        assert client.post(BASE + path, data=form(place)).status_code == 403, path
    assert _count(session) == 1


def test_signed_out_people_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get(BASE + "/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("permission", [Permission.COORDINATOR, Permission.ADMIN])
def test_coordinators_and_admins_may_use_the_pages(
    client: FlaskClient,
    session: Session,
    auth: Any,
    place: Org,
    existing: AssessmentRound,
    permission: Permission,
) -> None:
    person = factories.user(session, permissions=permission, dept=place.library)
    session.commit()
    auth.login(person.email)
    for path in ("/", "/ny", f"/{existing.id}", f"/{existing.id}/redigera"):
        assert client.get(BASE + path).status_code == 200, path
    assert client.get(BASE + "/999999").status_code == 404
    assert client.get(BASE + "/999999/redigera").status_code == 404


def test_state_changes_need_the_csrf_token(
    client: FlaskClient, session: Session, boss: User, place: Org, existing: AssessmentRound
) -> None:
    for path in ("/ny", f"/{existing.id}/redigera", f"/{existing.id}/ta-bort"):
        assert client.post(BASE + path, data=form(place)).status_code == 400, path
    assert _count(session) == 1


# --- creating, editing, deleting -------------------------------------------------------------


def test_creating_a_round(
    client: FlaskClient, session: Session, boss: User, place: Org, csrf_off: None
) -> None:
    page = text(client.get(BASE + "/ny"))
    assert sv("All of %(organisation)s", organisation="Nacka kommun") in page
    assert "Forumbiblioteken" in page and "Kulturskolan" in page
    response = client.post(BASE + "/ny", data=form(place))
    made = session.scalars(select(AssessmentRound)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{BASE}/{made.id}")
    assert made.organisations == [place.nacka] and made.departments == [place.school]
    assert made.created_by_id == boss.id
    shown = text(client.get(response.headers["Location"]))
    assert sv("The round was created. Its people are told when it opens.") in shown


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "A name is required."),
        ({"opens_on": "i morgon"}, None),
        ({"closes_on": "2020-01-01"}, "The round cannot close before it opens."),
        (
            {"organisations": [], "departments": []},
            "Choose at least one organisation or department that takes part.",
        ),
        ({"name": "Skattning våren 2026"}, "Another assessment round already has this name."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_kept(
    client: FlaskClient,
    session: Session,
    boss: User,
    place: Org,
    existing: AssessmentRound,
    csrf_off: None,
    changes: dict[str, Any],
    message: str | None,
) -> None:
    values = form(place, **changes)
    response = client.post(BASE + "/ny", data=values)
    page = text(response)
    assert response.status_code == 200
    if message is not None:
        assert sv(message) in page
    assert 'class="error-summary"' in page
    if values["name"]:
        assert f'value="{values["name"]}"' in page
    if values["organisations"]:
        assert re.search(
            rf'<input checked id="[^"]+" name="organisations" [^>]*value="{place.nacka.id}"', page
        )
    assert _count(session) == 1


def test_editing_a_round_keeps_an_announced_start(
    client: FlaskClient, session: Session, boss: User, place: Org, csrf_off: None
) -> None:
    today = local_date(utcnow())
    made = assessment_round(
        session, opens_on=today - timedelta(days=2), organisations=[place.culture]
    )
    made.announced_at = utcnow()
    session.commit()
    page = text(client.get(f"{BASE}/{made.id}/redigera"))
    assert 'name="opens_on"' not in page and 'value="Skattning hösten 2026"' in page
    shorter = form(place, closes_on=(made.closes_on - timedelta(days=1)).isoformat())
    response = client.post(f"{BASE}/{made.id}/redigera", data=shorter)
    assert response.status_code == 200
    assert sv(
        "People have been told to answer by %(day)s: the round may be extended but not shortened.",
        day=made.closes_on.isoformat(),
    ) in text(response)
    longer = form(
        place, name="Hösten 2026", closes_on=(made.closes_on + timedelta(days=7)).isoformat()
    )
    response = client.post(f"{BASE}/{made.id}/redigera", data=longer)
    assert response.status_code == 302
    session.refresh(made)
    assert made.name == "Hösten 2026" and made.opens_on == today - timedelta(days=2)
    assert made.organisations == [place.nacka] and made.departments == [place.school]


def test_deleting_a_round(
    client: FlaskClient, session: Session, boss: User, place: Org, csrf_off: None
) -> None:
    unused = assessment_round(session, "Oanvänd", organisations=[place.culture])
    used = assessment_round(session, "Använd", organisations=[place.culture])
    assessment(session, boss, used, {}, status=AssessmentStatus.DRAFT)
    session.commit()
    unused_id, used_id = unused.id, used.id
    assert sv("Delete the round") in text(client.get(f"{BASE}/{unused.id}/redigera"))
    assert f'action="/samordning/skattning/{used.id}/ta-bort"' not in text(
        client.get(f"{BASE}/{used.id}/redigera")
    )
    refused = client.post(f"{BASE}/{used.id}/ta-bort", follow_redirects=True)
    assert sv(
        "People have started to answer this round, so it cannot be deleted. "
        "You can change its dates instead."
    ) in text(refused)
    response = client.post(f"{BASE}/{unused.id}/ta-bort")
    assert response.headers["Location"].endswith(BASE + "/")
    session.expire_all()
    assert session.get(AssessmentRound, unused_id) is None
    assert session.get(AssessmentRound, used_id) is not None


# --- the pages' figures ----------------------------------------------------------------------


def test_the_list_shows_phases_and_overall_shares(
    client: FlaskClient, session: Session, boss: User, place: Org
) -> None:
    today = local_date(utcnow())
    assessment_round(
        session,
        "Skattning hösten 2027",
        opens_on=today + timedelta(days=5),
        organisations=[place.nacka],
    )
    closed = assessment_round(
        session, "Förra", opens_on=date(2025, 3, 1), closes_on=date(2025, 3, 31),
        departments=[place.school],
    )  # fmt: skip
    for status in (AssessmentStatus.SUBMITTED, AssessmentStatus.REVIEWED):
        assessment(session, factories.user(session, dept=place.school), closed, {}, status=status)
    factories.user(session, dept=place.school)
    factories.user(session, dept=place.school)
    session.commit()
    page = text(client.get(BASE + "/"))
    for label in ("Upcoming", "Closed"):
        assert sv(label) in page
    assert "Förra" in page and "Skattning hösten 2027" in page
    assert sv("%(count)d of %(total)d", count=2, total=4) in page
    assert sv("%(count)d of %(total)d", count=1, total=4) in page
    assert "50" in page and "25" in page


def test_the_progress_page_counts_per_department_without_names_or_ratings(
    client: FlaskClient, session: Session, boss: User, place: Org
) -> None:
    round_ = assessment_round(session, organisations=[place.culture])
    anna = factories.user(session, name="Anna Andersson-Unik", dept=place.library)
    made = assessment(session, anna, round_, {"4.2": (2, 5)}, status=AssessmentStatus.REVIEWED)
    made.ratings[0].comment = "Min hemliga kommentar om lösenord"
    made.conversation_notes = "Samtalsanteckning som bara chefen ser"
    factories.user(session, name="Bertil Ingensvar", dept=place.school)
    session.commit()
    page = text(client.get(f"{BASE}/{round_.id}"))
    assert "Stadsbiblioteket" in page and "Kulturskolan" in page
    assert "<caption" in page and 'scope="row"' in page
    assert f'href="/rapporter/skattning/{round_.id}"' in page  # the round's analysis
    for secret in ("Anna Andersson-Unik", "Bertil Ingensvar", "hemliga", "Samtalsanteckning"):
        assert secret not in page


def _departments(session: Session, place: Org, round_: AssessmentRound, n: int) -> None:
    for i in range(n):
        dept = factories.department(session, f"Avdelning {i:02d}", place.culture)
        person = factories.user(session, dept=dept)
        if i % 2:
            assessment(session, person, round_, {}, status=AssessmentStatus.SUBMITTED)


def test_the_progress_page_query_count_does_not_grow_with_departments(
    client: FlaskClient, session: Session, boss: User, place: Org, count_queries: Any
) -> None:
    few = assessment_round(session, "Få", organisations=[place.culture])
    many = assessment_round(session, "Många", organisations=[place.nacka])
    _departments(session, place, few, 3)
    nacka = Org(place.nacka, place.forum, place.diesel, place.nacka, place.forum, place.diesel)
    _departments(session, nacka, many, 30)
    session.commit()
    client.get(f"{BASE}/{few.id}")
    with count_queries() as small:
        assert client.get(f"{BASE}/{few.id}").status_code == 200
    with count_queries() as large:
        assert client.get(f"{BASE}/{many.id}").status_code == 200
    assert large.count == small.count


def test_the_list_query_count_does_not_grow_with_rounds(
    client: FlaskClient, session: Session, boss: User, place: Org, count_queries: Any
) -> None:
    for i in range(3):
        assessment_round(session, f"Omgång {i}", organisations=[place.culture])
    session.commit()
    client.get(BASE + "/")
    with count_queries() as small:
        client.get(BASE + "/")
    for i in range(3, 30):
        assessment_round(
            session, f"Omgång {i}", organisations=[place.culture], departments=[place.forum]
        )
    session.commit()
    with count_queries() as large:
        client.get(BASE + "/")
    assert large.count == small.count


def test_every_mistake_in_the_form_shows_at_once(
    client: FlaskClient, session: Session, boss: User, place: Org, csrf_off: None
) -> None:
    bad = form(place, name="", closes_on="2020-01-01", organisations=[], departments=[])
    page = text(client.post(BASE + "/ny", data=bad))
    for message in (
        "A name is required.",
        "The round cannot close before it opens.",
        "Choose at least one organisation or department that takes part.",
    ):
        assert sv(message) in page, message
    assert 'value="2020-01-01"' in page
    assert _count(session) == 0


# --- report scope: other organisations' rounds are not there ---------------------------------


@pytest.fixture
def three(session: Session, place: Org) -> dict[str, AssessmentRound]:
    """A round of Kulturförvaltningen (A), one of Nacka (B) and one targeting a department of
    each, with one person who has submitted in every department it targets."""
    rounds = {
        "a": assessment_round(session, "Bara A", organisations=[place.culture]),
        "b": assessment_round(session, "Bara B", organisations=[place.nacka]),
        "ab": assessment_round(session, "A och B", departments=[place.library, place.forum]),
    }
    people = {
        dept.id: factories.user(session, dept=dept)
        for dept in (place.library, place.school, place.forum, place.diesel)
    }
    reached = {"a": [place.library, place.school], "b": [place.forum, place.diesel]}
    reached["ab"] = [place.library, place.forum]
    for key, round_ in rounds.items():
        for dept in reached[key]:
            assessment(session, people[dept.id], round_, {}, status=AssessmentStatus.SUBMITTED)
    session.commit()
    return rounds


def _as(session: Session, auth: Any, place: Org, scope: ReportScope, **kw: Any) -> User:
    kw.setdefault("dept", place.library)
    person = coordinator(session, scope, **kw)
    session.commit()
    auth.login(person.email)
    return person


def _departments_shown(page: str) -> set[str]:
    return set(re.findall(r'<th scope="row">([^<]+)</th>', page)) - {sv("Total")}


def _edit_link(round_: AssessmentRound) -> str:
    return f'href="{BASE}/{round_.id}/redigera"'


def test_an_organisation_coordinator_does_not_find_another_organisations_round(
    client: FlaskClient,
    session: Session,
    auth: Any,
    place: Org,
    three: dict[str, AssessmentRound],
    csrf_off: None,
) -> None:
    _as(session, auth, place, ReportScope.ORGANISATION)
    b = three["b"]
    listing = text(client.get(BASE + "/"))
    assert "Bara A" in listing and "A och B" in listing
    assert "Bara B" not in listing and f"{BASE}/{b.id}" not in listing
    missing = 999_999
    for round_id in (b.id, missing):
        for path in (f"/{round_id}", f"/{round_id}/redigera"):
            assert client.get(BASE + path).status_code == 404, path
        for path in (f"/{round_id}/redigera", f"/{round_id}/ta-bort"):
            assert client.post(BASE + path, data=form(place)).status_code == 404, path
    unknown = text(client.get(f"{BASE}/{missing}")).replace(f"{BASE}/{missing}", "ID")
    assert text(client.get(f"{BASE}/{b.id}")).replace(f"{BASE}/{b.id}", "ID") == unknown
    session.expire_all()
    assert session.get(AssessmentRound, b.id).name == "Bara B"  # type: ignore[union-attr]


def test_an_organisation_coordinator_manages_their_organisations_round(
    client: FlaskClient,
    session: Session,
    auth: Any,
    place: Org,
    three: dict[str, AssessmentRound],
    csrf_off: None,
) -> None:
    _as(session, auth, place, ReportScope.ORGANISATION)
    a = three["a"]
    assert _edit_link(a) in text(client.get(BASE + "/"))
    assert _edit_link(a) in text(client.get(f"{BASE}/{a.id}"))
    assert client.get(f"{BASE}/{a.id}/redigera").status_code == 200
    own = form(place, name="Bara A, ändrad", organisations=[], departments=[str(place.school.id)])
    response = client.post(f"{BASE}/{a.id}/redigera", data=own)
    assert response.status_code == 302
    session.expire_all()
    changed = session.get(AssessmentRound, a.id)
    assert changed is not None and changed.name == "Bara A, ändrad"
    assert [d.id for d in changed.departments] == [place.school.id]


def test_an_organisation_coordinator_reads_a_shared_round_counting_only_their_people(
    client: FlaskClient,
    session: Session,
    auth: Any,
    place: Org,
    three: dict[str, AssessmentRound],
    csrf_off: None,
) -> None:
    _as(session, auth, place, ReportScope.ORGANISATION)
    ab = three["ab"]
    page = text(client.get(f"{BASE}/{ab.id}"))
    assert _departments_shown(page) == {"Stadsbiblioteket"}
    assert 'id="scope-note"' in page and _edit_link(ab) not in page
    assert _edit_link(ab) not in text(client.get(BASE + "/"))
    assert client.get(f"{BASE}/{ab.id}/redigera").status_code == 403
    changed = form(place, name="Kapad", organisations=[str(place.culture.id)], departments=[])
    assert client.post(f"{BASE}/{ab.id}/redigera", data=changed).status_code == 403
    assert client.post(f"{BASE}/{ab.id}/ta-bort").status_code == 403
    session.expire_all()
    kept = session.get(AssessmentRound, ab.id)
    assert kept is not None and kept.name == "A och B"
    assert sorted(d.id for d in kept.departments) == sorted([place.library.id, place.forum.id])


def test_an_organisation_coordinator_chooses_targets_in_their_organisation_only(
    client: FlaskClient, session: Session, auth: Any, place: Org, csrf_off: None
) -> None:
    _as(session, auth, place, ReportScope.ORGANISATION)
    page = text(client.get(BASE + "/ny"))
    assert "Kulturskolan" in page and "Forumbiblioteken" not in page
    assert sv("All of %(organisation)s", organisation="Nacka kommun") not in page
    for targets in (
        {"organisations": [str(place.nacka.id)], "departments": []},
        {"organisations": [], "departments": [str(place.school.id), str(place.forum.id)]},
    ):
        response = client.post(BASE + "/ny", data=form(place, **targets))
        assert response.status_code == 200
        assert 'class="error-summary"' in text(response)
    assert _count(session) == 0
    fine = form(place, organisations=[str(place.culture.id)], departments=[])
    assert client.post(BASE + "/ny", data=fine).status_code == 302
    assert _count(session) == 1


def test_a_department_coordinator_reads_their_departments_progress_only(
    client: FlaskClient,
    session: Session,
    auth: Any,
    place: Org,
    three: dict[str, AssessmentRound],
    csrf_off: None,
) -> None:
    _as(session, auth, place, ReportScope.DEPARTMENT, dept=place.school)
    listing = text(client.get(BASE + "/"))
    assert "Bara A" in listing
    assert "Bara B" not in listing and "A och B" not in listing  # not their department's
    a = three["a"]
    assert f'href="{BASE}/ny"' not in listing and _edit_link(a) not in listing
    page = text(client.get(f"{BASE}/{a.id}"))
    assert _departments_shown(page) == {"Kulturskolan"} and _edit_link(a) not in page
    assert client.get(BASE + "/ny").status_code == 403
    assert client.post(BASE + "/ny", data=form(place)).status_code == 403
    assert client.get(f"{BASE}/{a.id}/redigera").status_code == 403
    assert client.post(f"{BASE}/{a.id}/redigera", data=form(place)).status_code == 403
    assert client.post(f"{BASE}/{a.id}/ta-bort").status_code == 403
    for hidden in (three["b"], three["ab"]):
        assert client.get(f"{BASE}/{hidden.id}").status_code == 404
    assert _count(session) == 3


@pytest.mark.parametrize("who", ["admin", "all"])
def test_admins_and_scope_all_see_and_manage_every_round(
    client: FlaskClient,
    session: Session,
    auth: Any,
    place: Org,
    three: dict[str, AssessmentRound],
    who: str,
) -> None:
    if who == "admin":
        person = factories.admin(session, dept=place.library)
        session.commit()
        auth.login(person.email)
    else:
        _as(session, auth, place, ReportScope.ALL)
    listing = text(client.get(BASE + "/"))
    for round_ in three.values():
        assert round_.name in listing and _edit_link(round_) in listing
        assert client.get(f"{BASE}/{round_.id}/redigera").status_code == 200
    page = text(client.get(f"{BASE}/{three['ab'].id}"))
    assert _departments_shown(page) == {"Stadsbiblioteket", "Forumbiblioteken"}
    assert 'id="scope-note"' not in page
