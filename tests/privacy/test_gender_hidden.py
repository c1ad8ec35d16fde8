"""Gender is for the funder's statistics only: a manager walking every page they can reach
(every GET rule of the URL map, with their own, their team's, another team's and missing
objects, exports included) never sees a gender value or label — their team has a woman, a man
and a non-binary person, so each Swedish label and each stored value has something to leak."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from lms.accounts.models import Gender
from tests.privacy.people_pages import text_of, walk_gets
from tests.security.walk import Walker
from tests.security.world import build_world

pytestmark = pytest.mark.sqlite_only

# The Swedish labels of lms/reports/esf_export.person_gender_labels and the ESF report's table
# ("Kvinna", "Man", "Icke-binär", "Ej angivet"; "Kvinnor", "Män", "Icke-binära"; "Kön").
DISTINCT_LABELS = re.compile(r"\b(Kvinna|Kvinnor|Icke-binära?|Ej angivet|Kön)\b")
# "Man"/"Män" are ordinary Swedish words too: a leak is a text node that is exactly one.
SHORT_LABELS = {"Man", "Män"}
# The stored values, anywhere in the body (attributes and data included).
STORED = re.compile(r"\b(woman|non_binary|unstated)\b|\bgender\b", re.IGNORECASE)


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.nodes.append(data.strip())


def gender_shown(body: bytes, content_type: str = "") -> list[str]:
    """What in a response names a gender."""
    text = text_of(body, content_type)
    found = DISTINCT_LABELS.findall(text) + [m.group(0) for m in STORED.finditer(text)]
    parser = _Texts()
    parser.feed(text)
    cells = [cell.strip() for line in text.splitlines() for cell in re.split(r"[,;\t]", line)]
    found += [node for node in parser.nodes + cells if node in SHORT_LABELS]
    return found


def test_gender_is_never_shown_to_a_manager(app: Flask, session: Session) -> None:
    world = build_world(session)
    genders = {"employee": Gender.MAN, "course_owner": Gender.NON_BINARY, "report": Gender.WOMAN}
    for key, gender in genders.items():
        world.people[key].user.gender = gender
    world.users["manager"].gender = Gender.UNSTATED
    session.commit()
    walker = Walker(app, session, world)
    shown, pages = [], 0
    for rule, relation, result in walk_gets(app, walker, "manager", ("self", "report")):
        pages += result.status == 200
        if found := gender_shown(result.body, result.content_type):
            shown.append((rule.endpoint, relation, sorted(set(found))))
    assert shown == []
    assert pages > 40  # the walk reached the manager's pages, not only refusals


def test_the_check_finds_a_gender_where_there_is_one() -> None:
    """The detector itself: a funder's table row and a CSV cell are found, ordinary text not."""
    row = b"<td>Anna</td><td>Kvinna</td>"
    cell = b"Bo,Man,12"
    prose = b"<p>Man kan boka en plats.</p>"
    assert gender_shown(row) == ["Kvinna"]
    assert gender_shown(cell) == ["Man"]
    assert gender_shown(prose) == []
