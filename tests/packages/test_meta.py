"""`data_from_meta`: plain activity metadata (a revision snapshot) back to ActivityData."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lms.catalog.meta import data_from_meta
from lms.catalog.services import activity_meta, save_activity
from lms.framework.models import Competence, CompetenceArea, Subject
from tests import factories


def _framework(session: Session) -> None:
    area = CompetenceArea(code="4", name="Digital säkerhet")
    session.add_all(
        [
            Competence(area=area, code="4.1", name="Skydda enheter"),
            Competence(area=area, code="4.2", name="Skydda personuppgifter"),
            Subject(slug="digitala-rattigheter", name="Digitala rättigheter"),
        ]
    )
    session.flush()


def _meta(**changes: Any) -> dict[str, Any]:
    meta = {
        "title": "Starka lösenord", "summary": "Kort.", "format": "nanolesson",
        "level": "grund", "delivery": "digital", "minutes": 10, "status": "published",
        "language": "sv", "repeatable": False, "url": None,
        "competences": {"4.1": 1.0, "4.2": 0.5}, "subjects": ["digitala-rattigheter"],
        "departments": [], "job_roles": [], "owners": [],
    }  # fmt: skip
    return meta | changes


def test_meta_of_a_saved_activity_resolves_to_the_same_data(session: Session) -> None:
    _framework(session)
    owner = factories.user(session)
    library = factories.department(session, "Stadsbiblioteket")
    factories.job_role(session, "Bibliotekarie")
    meta = _meta(departments=["Stadsbiblioteket"], job_roles=["Bibliotekarie"])
    data, problems = data_from_meta(session, meta | {"owners": [owner.email]}, "Text")
    assert problems == []
    activity = save_activity(session, actor_id=None, slug="starka-losenord", data=data)

    again, problems = data_from_meta(session, activity_meta(activity), activity.body)

    assert problems == []
    assert again == data
    assert again.departments == [library] and again.owners == [owner]


def test_unknown_references_and_bad_values_are_problems(session: Session) -> None:
    _framework(session)
    meta = _meta(
        format="podcast", level="expert", delivery="post", status="klar", minutes=0,
        competences={"4.1": 1.5, "9.9": 0.5}, subjects=["matlagning"],
        departments=["Månbasen"], job_roles=["Astronaut"],
    )  # fmt: skip

    _data, problems = data_from_meta(session, meta, "")

    assert sorted(key for key, _reason in problems) == [
        "competences", "competences", "delivery", "departments", "format", "job_roles", "level",
        "minutes", "status", "subjects",
    ]  # fmt: skip
    assert ("competences", "unknown competence code '9.9'") in problems


def test_unknown_owner_is_skipped_without_a_problem(session: Session) -> None:
    _framework(session)
    owner = factories.user(session, email="anna@kultur.example.se")
    data, problems = data_from_meta(
        session, _meta(owners=["ANNA@kultur.example.se", "borta@example.se"]), ""
    )
    assert problems == []
    assert data.owners == [owner]


def test_department_name_matches_every_organisation(session: Session) -> None:
    _framework(session)
    one = factories.department(session, "Kulturskolan", factories.organisation(session, "A"))
    two = factories.department(session, "Kulturskolan", factories.organisation(session, "B"))
    data, problems = data_from_meta(session, _meta(departments=["Kulturskolan"]), "")
    assert problems == []
    assert {d.id for d in data.departments} == {one.id, two.id}
