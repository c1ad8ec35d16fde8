"""Walk the URL map as every role: a signed-in client per role, each request in a savepoint.

    walker = Walker(app, session, world)
    result = walker.request(rule, "GET", "manager", "report")   # a Result, or None (no case)

Every request runs inside a SAVEPOINT rolled back afterwards and with the client's cookies put
back, so a POST (a deletion, a logout, a language switch) never changes what the next case
sees. POSTs go without a CSRF token (the caller turns CSRF off) and with an empty form: the
point is who gets in, not the form.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from tests.conftest import Auth, rolled_back_session
from tests.security.world import ROLES, World, build_world, world_other_names

CSRF = re.compile(rb'name="csrf_token"[^>]*value="[^"]*"|content="[^"]*" name="csrf-token"')
LOGIN = re.compile(r"^(https?://[^/]+)?/login(\?|$)")
METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Result:
    url: str
    status: int
    location: str
    body: bytes
    content_type: str

    def page(self) -> bytes:
        """The body without what differs by request alone: its own URL and the CSRF token."""
        body = CSRF.sub(b"", self.body)
        for form in (self.url, quote(self.url, safe=""), quote(self.url)):
            body = body.replace(form.encode(), b"URL")
        return body

    @property
    def outcome(self) -> str:
        """The outcome class the matrix speaks of."""
        if 300 <= self.status < 400 and LOGIN.match(self.location):
            return "login"
        if self.status < 400:
            return "ok"
        return {400: "bad", 409: "bad", 422: "bad", 403: "deny", 404: "hidden"}.get(
            self.status, f"status {self.status}"
        )


def rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))


def pairs(app: Flask) -> Iterator[tuple[Rule, str]]:
    """Every rule × method (HEAD and OPTIONS are Flask's own)."""
    for rule in rules(app):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


class Walker:
    def __init__(self, app: Flask, session: Session, world: World) -> None:
        self.app = app
        self.connection = session.connection()
        self.world = world
        self.clients: dict[str, FlaskClient] = {}
        for role in ROLES:
            client = app.test_client()
            if role != "anonymous":
                response = Auth(client).login(world.users[role].email)
                assert response.status_code == 302, (role, response.status_code)
            self.clients[role] = client
        self.requests = 0

    def request(
        self, rule: Rule, method: str, role: str, relation: str, url: str | None = None
    ) -> Result | None:
        """Request the case, leaving the database and the client's cookies as they were."""
        if url is None:
            url = self.world.url(rule, role, relation) if relation != "-" else rule.build({})[1]
        if url is None:
            return None
        client = self.clients[role]
        if rule.endpoint.startswith("accounts."):
            # Empty login forms are failed attempts: keep the per-IP throttle out of the way.
            self.app.extensions["lms_throttle"].reset()
        cookies = copy.copy(client._cookies)
        savepoint = self.connection.begin_nested()
        try:
            response = client.open(url, method=method, data={} if method == "POST" else None)
            body = response.get_data()
            response.close()
        finally:
            savepoint.rollback()
            client._cookies = cookies
        self.requests += 1
        return Result(
            url,
            response.status_code,
            response.headers.get("Location", ""),
            body,
            response.headers.get("Content-Type", ""),
        )


@dataclass
class Walk:
    """Every case's result, and the world's facts the checks need (kept after the rollback)."""

    results: dict[tuple[str, str, str], Result]  # ("endpoint METHOD", role, relation)
    other_names: list[str]  # what names the other team's objects (never in a refusal)
    requests: int


_WALKS: dict[int, Walk] = {}


def walk_once(app: Flask) -> Walk:
    """Walk every rule × method × role × relation once per app (both checks read it)."""
    if id(app) not in _WALKS:
        _WALKS[id(app)] = _walk(app)
    return _WALKS[id(app)]


def _walk(app: Flask) -> Walk:
    # As the `session` fixture does: one transaction rolled back at the end, which the app's
    # request sessions share through savepoints.
    with rolled_back_session(app) as session:
        app.config["WTF_CSRF_ENABLED"] = False
        try:
            return _walk_in(app, session)
        finally:
            app.config["WTF_CSRF_ENABLED"] = True


def _walk_in(app: Flask, session: Session) -> Walk:
    world = build_world(session)
    walker = Walker(app, session, world)
    results = {}
    for rule, method in pairs(app):
        for role in ROLES:
            for relation in world.relations(rule):
                result = walker.request(rule, method, role, relation)
                if result is not None:
                    results[(f"{rule.endpoint} {method}", role, relation)] = result
    return Walk(results, world_other_names(world), walker.requests)
