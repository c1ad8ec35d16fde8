"""Safe methods: no GET rule writes to the database, for any role, with real parameters.

Every GET rule of the URL map is requested with real ids and slugs from the demo site by every
demo login and signed out; a counter on the engine catches any INSERT, UPDATE or DELETE that
reaches the database and a counter on the ORM catches any flush with pending changes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from lms.core.db import db
from tests.security.demo_site import (
    LOGINS,
    DemoSite,
    build_url,
    counting_writes,
    demo_database,
    url_values,
)

pytestmark = pytest.mark.sqlite_only

ROLES: list[str | None] = [None, *LOGINS]
# GET writes allowed by (endpoint, table). Each one is argued; anything else fails.
ALLOWED_GET_WRITES = {
    # A cache of derived data: a stale recommendation cache is recomputed before the page reads
    # it, in its own unit of work. The result depends only on stored state (never on request
    # input) and equals what the scheduled refresh job would write, so a forged GET changes
    # nothing anyone could not already see.
    ("home.index", "recommendation_states"),
    ("home.index", "recommendations"),
    ("recommend.index", "recommendation_states"),
    ("recommend.index", "recommendations"),
}


def written_tables(statements: list[str]) -> set[str]:
    pattern = r"^(?:INSERT INTO|UPDATE|DELETE FROM|REPLACE INTO)\s+\"?(\w+)"
    return {m.group(1) for s in statements if (m := re.match(pattern, s, re.I))}


@pytest.fixture(scope="module")
def site(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    source = demo_database(tmp_path_factory.getbasetemp())
    return DemoSite(app, source, tmp_path_factory.mktemp("safe-methods"))


def get_rules(app: Flask) -> list[Any]:
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or set())]
    return sorted(rules, key=lambda r: r.rule)


def test_no_get_rule_writes_to_the_database(app: Flask, site: DemoSite) -> None:
    requests, tolerated, statuses = 0, 0, set()
    offenders: list[tuple[str, str | None, int, list[str]]] = []
    with site.fresh() as conn:
        clients = {role: site.client(role) for role in ROLES}  # signing in writes: not counted
        with counting_writes() as counter:
            for rule in get_rules(app):
                for role in ROLES:
                    values = url_values(conn, rule.endpoint, set(rule.arguments), role)
                    url = build_url(rule, values)
                    response = clients[role].get(url)
                    response.close()
                    requests += 1
                    statuses.add(response.status_code)
                    written = counter.take()
                    tables = written_tables(written)
                    allowed = {t for e, t in ALLOWED_GET_WRITES if e == rule.endpoint}
                    if tables - allowed or (written and not tables):
                        offenders.append((rule.rule, role, response.status_code, written))
                    tolerated += bool(tables)
    rules = len(get_rules(app))
    print(f"\nsafe methods: {requests} GET requests over {rules} rules, {tolerated} argued writes")
    assert offenders == [], "\n".join(map(str, offenders))
    assert requests >= 6 * 60
    assert 200 in statuses and {302, 403} <= statuses


def test_the_counter_sees_a_write_made_while_serving_a_get(app: Flask, site: DemoSite) -> None:
    """The proof that the check above can fail: a GET that writes is caught."""
    from sqlalchemy import text

    with site.fresh():
        client = site.client("employee")
        with counting_writes() as counter:

            def _write_on_get() -> None:
                db.session.execute(text("update users set language = 'sv' where id = 1"))

            app.before_request_funcs.setdefault(None, []).append(_write_on_get)
            try:
                client.get("/katalog/")
            finally:
                app.before_request_funcs[None].remove(_write_on_get)
            assert any(s.startswith("update users") for s in counter.take())
