"""Deny by default: a walk over the whole URL map."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import Rule

from lms.core.access import PUBLIC, Permission, access_rule_for
from tests import factories

# Endpoints anyone may use without signing in. Adding one here is a security decision.
PUBLIC_ENDPOINTS = {
    "static",
    "accounts.login",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.accept_invitation",
    "accounts.set_language",
    "home.accessibility",
    "notify.unsubscribe",
    "bookings.feed",
    "calendar.feed",
}


def _example_url(rule: Rule) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg]
        values[arg] = 1 if "Integer" in type(converter).__name__ else "x"
    url = rule.build(values, append_unknown=False)
    assert url is not None
    return url[1] if isinstance(url, tuple) else url


def _rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def test_every_endpoint_declares_an_access_rule(app: Flask) -> None:
    with app.test_request_context():
        missing = [r.endpoint for r in _rules(app) if access_rule_for(r.endpoint) is None]
    assert missing == []


def test_public_endpoints_are_exactly_the_allow_list(app: Flask) -> None:
    with app.test_request_context():
        public = {r.endpoint for r in _rules(app) if access_rule_for(r.endpoint) == PUBLIC}
    assert public == PUBLIC_ENDPOINTS


def test_logged_out_requests_redirect_to_login(app: Flask, client) -> None:
    checked = 0
    for rule in _rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = _example_url(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            app.config["WTF_CSRF_ENABLED"] = False
            response = client.open(url, method=method)
            app.config["WTF_CSRF_ENABLED"] = True
            assert response.status_code == 302, (rule.rule, method, response.status_code)
            assert re.match(r"^/login(\?|$)", response.headers["Location"]), rule.rule
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    "permissions",
    [Permission.NONE, Permission.MANAGER, Permission.COURSE_OWNER, Permission.COORDINATOR],
)
def test_admin_endpoints_forbid_non_admins(app: Flask, client, session, auth, permissions) -> None:
    person = factories.user(session, permissions=permissions)
    session.commit()
    assert auth.login(person.email).status_code == 302
    admin_rules = [r for r in _rules(app) if r.rule.startswith("/admin")]
    assert len(admin_rules) >= 8
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for rule in admin_rules:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = client.open(_example_url(rule), method=method)
                assert response.status_code == 403, (rule.rule, method)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_team_page_needs_the_manager_permission(client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    auth.login(person.email)
    assert client.get("/mitt-larande/team").status_code == 403
