"""Account reads: organisations and departments come in Swedish alphabetical order."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lms.accounts import queries
from tests import factories


def test_departments_and_organisations_sort_as_a_swedish_reader_expects(
    session: Session,
) -> None:
    nacka = factories.organisation(session, "Nacka kommun")
    orebro = factories.organisation(session, "Örebro kommun")
    stockholm = factories.organisation(session, "Stockholms stad kulturförvaltning")
    for name in ("Stadsbiblioteket", "administrativa staben", "Ängby bibliotek", "Zornsalen"):
        factories.department(session, name, stockholm)
    factories.department(session, "kultur- och fritidsenheten", nacka)
    factories.department(session, "Arkivet", orebro)
    session.flush()

    organisations = [o.name for o in queries.list_organisations(session)]
    assert (
        organisations.index("Nacka kommun")
        < organisations.index("Stockholms stad kulturförvaltning")
        < organisations.index("Örebro kommun")
    )
    departments = [
        (d.organisation.name, d.name)
        for d in queries.list_departments(session)
        if d.organisation_id in {nacka.id, orebro.id, stockholm.id}
    ]
    assert departments == [
        ("Nacka kommun", "kultur- och fritidsenheten"),
        ("Stockholms stad kulturförvaltning", "administrativa staben"),
        ("Stockholms stad kulturförvaltning", "Stadsbiblioteket"),
        ("Stockholms stad kulturförvaltning", "Zornsalen"),
        ("Stockholms stad kulturförvaltning", "Ängby bibliotek"),
        ("Örebro kommun", "Arkivet"),
    ]
