"""Mass assignment: extra fields in a POST change nothing the form itself does not offer.

Every POST rule of the URL map whose form some GET page shows (found by walking every GET page
as every demo login the page lets in, `offered_forms`) is submitted by the role that saw it,
twice, each time on its own fresh copy of the demo database:

(a) the form's own fields, as a person submitting it unchanged would send them;
(b) the same plus every hostile extra below the form does not already have (a prefixed form,
    `goal-1-csrf_token`, also gets `goal-1-user_id` …), with another organisation's person,
    department and organisation, 5, 31, 999, "all", "published".

Then every table either request wrote to (the engine's INSERT/UPDATE/DELETE statements name
them; a table no statement wrote is unchanged by construction) plus `users` is compared, row by
row, between the two copies with MASKED columns left out. Equal means the extras changed nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import Connection, text

from lms.core.db import db
from tests.security.demo_site import (
    LOGINS,
    DemoSite,
    OfferedForm,
    allowed_roles,
    build_url,
    counting_writes,
    demo_database,
    kept_cookies,
    offered_forms,
    post_target,
    submission,
    tables_written,
    url_values,
)

pytestmark = pytest.mark.sqlite_only

EXTRAS = (
    *("user_id", "owner_id", "author_id", "agreed_level", "self_level", "permissions"),
    *("is_admin", "is_active", "is_protected_identity", "hours", "credited_minutes"),
    *("report_scope", "department_id", "organisation_id", "manager_id", "status", "id"),
    *("email", "session_version", "password_hash"),
)
# Columns whose values legitimately differ between two copies given the same request: the
# moment it was served (two copies are a few milliseconds apart) and random secrets. Nothing
# else is masked: ids, foreign keys, levels, hours, statuses, permissions and texts must match.
MASKED_SUFFIXES = ("_at",)  # created_at, updated_at, submitted_at, read_at, last_login_at …
MASKED_COLUMNS = {
    ("recommendation_states", "stale_since"),  # the moment a change made the cache stale
    ("shared_feeds", "token"),  # secrets.token_urlsafe per feed
    ("calendar_feeds", "token"),
    ("auth_tokens", "token_hash"),  # hash of a random invitation / reset token
}
# …and that random token inside the mail that carries it (the rest of the mail is compared).
TOKEN_LINK = re.compile(r"/(invite|reset)/[A-Za-z0-9_-]+")
ALWAYS_COMPARED = ("users",)

# POST rules no page of the demo shows a form for (the walk opens each GET rule once, with the
# first matching id or slug): e-mailed token links (accept_invitation, reset_password), script
# posts (assessment.autosave, editor.preview, theme_editor.render_intro), and buttons shown only
# in a state the first object is not in (a quiz, a failed mail, a saved or hidden activity, a
# draft round, a scheduled theme…). Most of those are a CSRF token and a button; the quiz forms
# also carry answers, left out here. They are posted too, with real URL values, as a bare token
# (a) against the token plus the extras (b), by the first role the rule lets in: the extras must
# change nothing there either. The budget below stops the walk silently losing more forms.
NOT_OFFERED_AT_MOST = 35


def hostile_values(conn: Connection) -> dict[str, str]:
    """Another organisation's person, department and organisation, and out-of-range values."""
    row = conn.execute(
        text(
            "select u.id, u.department_id, d.organisation_id from users u join departments d "
            "on d.id = u.department_id where d.organisation_id <> (select d2.organisation_id "
            "from users u2 join departments d2 on d2.id = u2.department_id "
            "where u2.email = 'fatima.ahmed@kultur.example.se') order by u.id"
        )
    ).first()
    assert row is not None
    person, department, organisation = (str(v) for v in row)
    values = dict.fromkeys(EXTRAS, "999")
    values.update(
        user_id=person,
        owner_id=person,
        author_id=person,
        manager_id=person,
        department_id=department,
        organisation_id=organisation,
        agreed_level="5",
        self_level="5",
        permissions="31",
        is_admin="1",
        is_active="0",
        is_protected_identity="1",
        report_scope="all",
        status="published",
        email="intruder@evil.example",
        password_hash="$argon2id$v=19$m=8,t=1,p=1$x$y",
    )
    return values


def with_extras(offered: OfferedForm, data: dict[str, list[str]], hostile: dict[str, str]) -> dict:
    """The data plus every hostile field the form has no field of that name for (an unticked
    box or radio is the form's own field too: leaving it out is what a person may do)."""
    own = {name for name, _, _ in offered.form["fields"]}
    prefixes = {n[: -len("csrf_token")] for n in own if n.endswith("csrf_token")} | {""}
    extra = {
        f"{prefix}{name}": [value]
        for prefix in prefixes
        for name, value in hostile.items()
        if f"{prefix}{name}" not in own and name not in own
    }
    return {**data, **extra}


def masked(table: str, column: str) -> bool:
    return column.endswith(MASKED_SUFFIXES) or (table, column) in MASKED_COLUMNS


def table_rows(conn: Connection, table: str) -> list[tuple[Any, ...]]:
    columns = [r[1] for r in conn.execute(text(f'pragma table_info("{table}")'))]
    kept = ", ".join(f'"{c}"' for c in columns if not masked(table, c))
    rows = conn.execute(text(f'select {kept} from "{table}"')).all()
    return sorted((tuple(map(unlinked, r)) for r in rows), key=repr)


def unlinked(value: Any) -> Any:
    return TOKEN_LINK.sub(r"/\1/TOKEN", value) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def site(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    source = demo_database(tmp_path_factory.getbasetemp())
    return DemoSite(app, source, tmp_path_factory.mktemp("mass-assignment"))


def submit(site: DemoSite, offered: OfferedForm, data: dict[str, list[str]]) -> tuple[Any, ...]:
    """Post on a fresh copy; the status, the tables written and a reader of those tables."""
    with site.fresh() as conn, counting_writes() as counter:
        with kept_cookies(site.client(offered.role)) as client:
            response = client.post(post_target(offered), data=data)
            response.close()
        written = tables_written(counter.take())
        conn.rollback()
        snapshot = {t: table_rows(conn, t) for t in {*written, *ALWAYS_COMPARED}}
    return response.status_code, written, snapshot


def bare_form(app: Flask, conn: Connection, rule: Any) -> OfferedForm:
    """A form of just a CSRF token for a POST rule no page offered, with real URL values."""
    role = allowed_roles(app, rule.endpoint)[0]
    url = build_url(rule, url_values(conn, rule.endpoint, set(rule.arguments), role))
    return OfferedForm(rule.endpoint, role, "", url, {"fields": [("csrf_token", "", "hidden")]})


def differences(plain: dict[str, list], hostile: dict[str, list]) -> list[str]:
    found = []
    for table in sorted(set(plain) | set(hostile)):
        a, b = plain.get(table), hostile.get(table)
        if a is None or b is None:
            found.append(f"{table}: written by only one of the two requests")
        elif a != b:
            extra = [r for r in b if r not in a][:3]
            missing = [r for r in a if r not in b][:3]
            found.append(f"{table}: hostile-only rows {extra}, plain-only rows {missing}")
    return found


def test_extra_fields_change_nothing_outside_the_form(app: Flask, site: DemoSite) -> None:
    with site.fresh() as conn:
        forms = offered_forms(app, site, conn)
        hostile = hostile_values(conn)
        posts = sorted(
            (r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())),
            key=lambda r: r.endpoint,
        )
        bare = {r.endpoint: bare_form(app, conn, r) for r in posts if r.endpoint not in forms}
        for role in {o.role for o in [*forms.values(), *bare.values()]}:
            site.token(role)  # signed in (the cookies are kept for every copy; no writes counted)
    findings, writing, extras_sent = [], 0, 0
    for endpoint, offered in sorted({**forms, **bare}.items()):
        data = submission(site, offered, completed=True)
        attack = with_extras(offered, data, hostile)
        extras_sent += len(attack) - len(data)
        status, written, plain = submit(site, offered, data)
        hostile_status, hostile_written, after = submit(site, offered, attack)
        writing += bool(written)
        if hostile_status != status or written != hostile_written:
            findings.append(f"{endpoint}: {status}→{hostile_status}, {written}→{hostile_written}")
        findings += [f"{endpoint}: {d}" for d in differences(plain, after)]
    print(
        f"\nmass assignment: {len(posts)} POST rules ({len(forms)} with the form a page offers, "
        f"{len(bare)} as a bare token: {sorted(bare)}) × {len(EXTRAS)} extra fields = "
        f"{extras_sent} extra values posted; {writing} of the legitimate posts wrote data; "
        f"{2 * len(posts)} database copies compared"
    )
    assert findings == [], "\n".join(findings)
    assert len(bare) <= NOT_OFFERED_AT_MOST and writing >= 55


def test_the_comparison_sees_an_extra_field_that_is_applied(app: Flask, site: DemoSite) -> None:
    """The proof that the check can fail: a view that copied `is_active` from the form onto the
    signed-in person (a populate_obj of the whole request) is caught, for the same form."""
    with site.fresh() as conn:
        offered = offered_forms(app, site, conn)["notify.mark_all_read"]
        hostile = hostile_values(conn)
        site.token(offered.role)

    def _assign_everything() -> None:
        if request.method == "POST" and "is_active" in request.form:
            db.session.execute(
                text("update users set is_active = :v where email = :e"),
                {"v": request.form["is_active"] == "1", "e": LOGINS[offered.role or ""]},
            )
            db.session.commit()

    app.before_request_funcs.setdefault(None, []).append(_assign_everything)
    try:
        data = submission(site, offered, completed=True)
        plain = submit(site, offered, data)[2]
        after = submit(site, offered, with_extras(offered, data, hostile))[2]
    finally:
        app.before_request_funcs[None].remove(_assign_everything)
    assert [d.split(":")[0] for d in differences(plain, after)] == ["users"]
