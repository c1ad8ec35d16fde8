"""Fixtures for the discover pages: a signed-in employee and the page text helper."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lms.accounts.models import User
from tests import factories


def page_text(response: Any) -> str:
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def employee(session: Session, auth: Any) -> User:
    person = factories.user(session, name="Fatima Ahmed")
    session.commit()
    assert auth.login(person.email).status_code == 302
    return person
