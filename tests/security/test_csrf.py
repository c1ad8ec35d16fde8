"""CSRF: every non-GET rule refuses a missing, another session's and an expired token.

Each rule × method of the URL map is posted with real parameters from the demo site by a
demo login its access rule lets in (signed out for public rules), so the refusal is CSRF's
and not the access check's: status 400, the CSRF error page, and not one statement that
writes reaches the database (row counts of every table unchanged as well).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFError, validate_csrf
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from wtforms import ValidationError

from tests.security.demo_site import (
    LOGINS,
    DemoSite,
    allowed_roles,
    build_url,
    counting_writes,
    csrf_token,
    demo_database,
    row_counts,
    url_values,
)

pytestmark = pytest.mark.sqlite_only
SAFE = {"GET", "HEAD", "OPTIONS"}
# The self-assessment blueprint answers its own CSRF refusals so a person filling in a long form
# is told what happened: a redirect back with a message (autosave: JSON 400). Saved: nothing.
OWN_REFUSAL = {
    "assessment.step": 302,
    "assessment.submit": 302,
    "assessment.start": 302,
    "assessment.autosave": 400,
}

# Exempt from the global check, checking the token in the view instead: the unsubscribe link's
# RFC 8058 one-click POST carries no form token (its signed per-person URL token is the secret),
# while the page's own form must carry one. Adding a rule here is a security decision.
CHECKED_IN_VIEW = {"notify.unsubscribe"}


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The CSRF errors Flask-WTF raised, one entry per refused request."""
    from lms.app import csrf

    raised: list[str] = []
    protect = csrf.protect

    def recording(*args: Any, **kwargs: Any) -> None:
        try:
            protect(*args, **kwargs)
        except CSRFError as error:
            raised.append(str(error.description))
            raise

    monkeypatch.setattr(csrf, "protect", recording)
    return raised


@pytest.fixture(scope="module")
def site(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    source = demo_database(tmp_path_factory.getbasetemp())
    return DemoSite(app, source, tmp_path_factory.mktemp("csrf"))


def signed_token(app: Flask, raw: str, age_seconds: float) -> str:
    """The CSRF token Flask-WTF would have issued for `raw` `age_seconds` ago."""

    class BackdatedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age_seconds)

    serializer = URLSafeTimedSerializer(
        app.secret_key, salt="wtf-csrf-token", signer=BackdatedSigner
    )
    return str(serializer.dumps(raw))


def session_raw_token(client: FlaskClient) -> str:
    """The raw CSRF secret of the client's session (a page with a form puts one there first:
    the login clears the session, so a client fresh from signing in has none yet)."""
    csrf_token(client)
    with client.session_transaction() as session:
        return str(session["csrf_token"])


def expired_token(app: Flask, client: FlaskClient) -> str:
    return signed_token(app, session_raw_token(client), app.config["WTF_CSRF_TIME_LIMIT"] + 60)


def unsafe_rules(app: Flask) -> list[tuple[Any, str]]:
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted((rule.methods or set()) - SAFE):
            found.append((rule, method))
    return found


def csrf_paragraph(body: str) -> str:
    match = re.search(r"</h1>\s*<p>([^<]+)</p>", body)
    assert match, body[:500]
    return match.group(1)


def test_every_unsafe_rule_refuses_missing_foreign_and_expired_tokens(
    app: Flask, site: DemoSite, refusals: list[str]
) -> None:
    assert app.config["WTF_CSRF_ENABLED"]
    checked, failures = 0, []
    with site.fresh() as conn:
        stranger = site.client(None)
        foreign = csrf_token(app.test_client())  # valid, but for another session
        reference = stranger.post("/tillganglighet", data={"description": "x"})
        assert reference.status_code == 400
        refusal = csrf_paragraph(reference.get_data(as_text=True))
        assert refusals == ["The CSRF token is missing."]
        for role in [None, *LOGINS]:
            csrf_token(site.client(role))  # signed in, a token in the session (writes: not counted)
        before = row_counts(conn)
        with counting_writes() as counter:
            for rule, method in unsafe_rules(app):
                role = allowed_roles(app, rule.endpoint)[0]
                client = site.client(role)
                url = build_url(rule, url_values(conn, rule.endpoint, set(rule.arguments), role))
                variants = {
                    "missing": {},
                    "foreign": {"csrf_token": foreign},
                    "expired": {"csrf_token": expired_token(app, client)},
                }
                for name, token in variants.items():
                    refusals.clear()
                    response = client.open(url, method=method, data={"title": "x", **token})
                    body = response.get_data(as_text=True)
                    status = OWN_REFUSAL.get(rule.endpoint, 400)
                    page_ok = rule.endpoint in OWN_REFUSAL or refusal in body
                    raised = len(refusals) == (0 if rule.endpoint in CHECKED_IN_VIEW else 1)
                    if not raised or response.status_code != status or not page_ok:
                        failures.append((rule.rule, method, role, name, response.status_code))
                    checked += 1
                written = counter.take()
                if written:
                    failures.append((rule.rule, method, role, "wrote", written))
        after = row_counts(conn)
    print(f"\nCSRF: {len(unsafe_rules(app))} rule×method × 3 token variants = {checked} refusals")
    assert failures == [], "\n".join(map(str, failures))
    assert after == before
    assert checked >= 3 * 90


def test_the_crafted_tokens_differ_from_a_valid_one_only_in_what_they_claim(
    app: Flask, site: DemoSite
) -> None:
    """The proof that the walk can fail: the same crafting, fresh and for this session, passes."""
    with site.fresh():
        client = site.client("employee")
        raw = session_raw_token(client)
        other = app.test_client()
        foreign = csrf_token(other)
        with app.test_request_context():
            from flask import session

            session["csrf_token"] = raw
            validate_csrf(signed_token(app, raw, 0))
            validate_csrf(signed_token(app, raw, app.config["WTF_CSRF_TIME_LIMIT"] - 60))
            with pytest.raises(ValidationError, match="expired"):
                validate_csrf(signed_token(app, raw, app.config["WTF_CSRF_TIME_LIMIT"] + 60))
            with pytest.raises(ValidationError, match="do not match"):
                validate_csrf(foreign)
        token = signed_token(app, raw, 0)
        response = client.post("/tillganglighet", data={"csrf_token": token, "description": ""})
        assert response.status_code == 200  # past CSRF: the form itself answers
