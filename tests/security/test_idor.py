"""IDOR and enumeration: another team's object and one that does not exist answer alike."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.security.authz_matrix import expected
from tests.security.walk import Result, Walker, pairs, walk_once
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.sqlite_only
REFUSED = ("deny", "hidden", "login")


def _title(result: Result) -> bytes:
    match = re.search(rb"<title>(.*?)</title>", result.body, re.S)
    return match.group(1).strip() if match else b""


def _same_kind(other: Result, missing: Result) -> str | None:
    """Why the two answers differ, or None when nobody could tell them apart."""
    if other.status != missing.status:
        return f"status {other.status} vs {missing.status}"
    if other.content_type != missing.content_type:
        return f"type {other.content_type} vs {missing.content_type}"
    if _title(other) != _title(missing):
        return f"title {_title(other)!r} vs {_title(missing)!r}"
    if other.status >= 400 and other.page() != missing.page():
        return "different bodies"
    return None


def test_another_teams_object_answers_as_a_missing_one(app: Flask) -> None:
    walk = walk_once(app)
    problems: list[str] = []
    compared = 0
    for rule, method in pairs(app):
        key = f"{rule.endpoint} {method}"
        if not rule.arguments or rule.endpoint == "static":
            continue
        for role in ROLES[1:]:
            other = walk.results.get((key, role, "other"))
            missing = walk.results.get((key, role, "none"))
            if other is None or missing is None:
                continue
            if expected(key, role, "other", ROLES) not in REFUSED:
                continue  # allowed by the matrix (an admin's users, public feeds…)
            compared += 1
            if (why := _same_kind(other, missing)) is not None:
                problems.append(f"{key} as {role}: {why}")
            body = other.body.decode("utf-8", "replace")
            problems += [f"{key} as {role}: shows {n!r}" for n in walk.other_names if n in body]
    print(f"\nIDOR: {compared} other-team/non-existent pairs compared")
    assert problems == []
    assert compared >= 500


# GET pages that name one person's object by a sequential id.
SEQUENTIAL = {
    "assessment.summary": "assessment_id",
    "conversation.show": "assessment_id",
    "plans.show": "assessment_id",
    "bookings.booking_ics": "booking_id",
    "personal.feedback": "completion_id",
    "transfer.response": "response_id",
}


def test_sequential_ids_reveal_nothing(app: Flask, session: Session, csrf_off: None) -> None:
    """An employee walking ids 1…max+3 of other people's objects gets one identical 404 for
    every id that is not theirs, whether it exists or not."""
    world = build_world(session)
    walker = Walker(app, session, world)
    rules = {r.endpoint: r for r in app.url_map.iter_rules() if r.endpoint in SEQUENTIAL}
    mine = world.people["employee"].values
    kinds = {"assessment_id": "assessment", "booking_id": "booking",
             "completion_id": "completion", "response_id": "response"}  # fmt: skip
    probed = 0
    for endpoint, arg in SEQUENTIAL.items():
        own = mine[kinds[arg]]
        top = max(p.values[kinds[arg]] for p in world.people.values())
        answers = set()
        for n in range(1, top + 4):
            if n == own:
                continue
            url = rules[endpoint].build({arg: n})[1]
            response = walker.request(rules[endpoint], "GET", "employee", "-", url=url)
            probed += 1
            answers.add((response.status, response.page()))
        assert len(answers) == 1, (endpoint, sorted(a[0] for a in answers))
        assert next(iter(answers))[0] == 404, endpoint
    print(f"\nenumeration: {probed} sequential ids probed")
