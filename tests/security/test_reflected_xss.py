"""Reflected XSS: a marker in every string path parameter and every query argument of every GET
rule, and in every field of every POST form a page offers, for a signed-in user the rule lets in,
never comes back unescaped (error pages, forms re-rendered with validation errors and the page a
redirect leads to, with its flash messages, included)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask

from tests.security.demo_site import (
    DemoSite,
    OfferedForm,
    allowed_roles,
    build_url,
    demo_database,
    kept_cookies,
    offered_forms,
    post_target,
    submission,
    url_values,
)

pytestmark = pytest.mark.sqlite_only

MARKERS = ["\"'><svg/onload=alert(1)>", "</textarea><script>x</script>"]
DANGEROUS = [b"<svg/onload", b"<script>x", b"'><svg", b"</textarea><script"]
# One field at a time (the rest of the form valid, so it is saved and flashed): both at once.
BOTH = "".join(MARKERS)
TEXT_KINDS = {"text", "textarea", "hidden", "email", "url", "search", "date", "time", "number"}
# Every query argument a view reads (grep `request.args` / forms built from `request.args`).
QUERY_ARGS = {
    "editor.index": ["status", "page"],
    "catalog.index": [
        *("q", "area", "competence", "subject", "department", "format", "level"),
        *("delivery", "duration", "upcoming", "page"),
    ],
    "notify.index": ["page"],
    "bookings.coaching_slots": ["q"],
    "calendar.index": ["vy", "datum", "avdelning", "amne", "format"],
    "home.accessibility_reports": ["page"],
    "recommend.index": ["area", "format", "level", "minutes"],
    "esf_reports.programme": ["avdelning"],
    "esf_reports.period": ["fran", "till"],
    "esf_reports.period_csv": ["fran", "till", "sep"],
    "esf_reports.programme_csv": ["sep", "avdelning"],
    "esf_reports.people": ["page"],
    "esf_reports.people_csv": ["sep"],
    "report_dashboard.index": ["program"],
    "admin.users": ["q", "status", "permission", "department", "job_role", "page"],
    "admin.mail": ["status", "page"],
    "accounts.login": ["next"],
    "transfer_editor.new_task": ["fas"],
    "transfer_editor.report": ["start", "end"],
    "transfer.pre_task": ["next"],
    "transfer.response": ["next"],
    "assessment_reports.show": ["jamfor"],
}


@pytest.fixture(scope="module")
def site(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    source = demo_database(tmp_path_factory.getbasetemp())
    return DemoSite(app, source, tmp_path_factory.mktemp("xss"))


def reflected(body: bytes) -> list[bytes]:
    return [d for d in DANGEROUS if d in body]


def test_no_marker_in_a_path_or_query_parameter_is_reflected(app: Flask, site: DemoSite) -> None:
    requests, leaks = 0, []
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or set())]
    with site.fresh() as conn:
        for rule in sorted(rules, key=lambda r: r.rule):
            role = allowed_roles(app, rule.endpoint)[-1]
            client = site.client(role)
            real = url_values(conn, rule.endpoint, set(rule.arguments), role)
            strings = [
                a for a in rule.arguments if "Integer" not in type(rule._converters[a]).__name__
            ]
            for marker in MARKERS:
                urls = []
                for arg in strings:
                    urls.append(build_url(rule, {**real, arg: marker}))
                args = QUERY_ARGS.get(rule.endpoint, [])
                if args:
                    query = "&".join(f"{a}={quote(marker)}" for a in args)
                    urls.append(f"{build_url(rule, real)}?{query}")
                for url in urls:
                    response = client.get(url)
                    requests += 1
                    if found := reflected(response.get_data()):
                        leaks.append((url, response.status_code, found))
                    response.close()
    print(f"\nreflected XSS (GET): {requests} requests with markers, 0 reflected")
    assert leaks == []
    assert requests >= 60


def marked_variants(site: DemoSite, offered: OfferedForm) -> list[dict[str, list[str]]]:
    """Every field marked at once (re-rendered with errors), per marker; then each text-like
    field alone in an otherwise completed form (saved, flashed, redirected)."""
    names = {n for n, _, k in offered.form["fields"] if k != "file"}
    names = {n for n in names if not n.endswith("csrf_token")}
    texts = sorted({n for n in names for _, _, k in offered.form["fields"] if k in TEXT_KINDS})
    base = submission(site, offered, completed=True)
    variants = [{**base, **{n: [marker] for n in names}} for marker in MARKERS] if names else []
    return variants + [{**base, n: [BOTH]} for n in texts]


def post_marked(site: DemoSite, offered: OfferedForm, variants: list[dict]) -> list[tuple]:
    leaks = []
    with site.fresh():  # a form may delete, deactivate or sign out: each on its own copy
        for data in variants:
            with kept_cookies(site.client(offered.role)) as client:
                response = client.post(post_target(offered), data=data, follow_redirects=True)
            if found := reflected(response.get_data()):
                leaks.append((offered.endpoint, response.status_code, found, data))
            response.close()
    return leaks


def test_no_marker_in_a_post_form_field_is_reflected(app: Flask, site: DemoSite) -> None:
    requests, fields, leaks = 0, 0, []
    with site.fresh() as conn:
        forms = offered_forms(app, site, conn)
        for role in {o.role for o in forms.values()}:
            site.token(role)  # signed in; the cookies are kept for every copy
    for _, offered in sorted(forms.items()):
        variants = marked_variants(site, offered)
        fields += len({n for v in variants for n, x in v.items() if x[0] in (*MARKERS, BOTH)})
        leaks += post_marked(site, offered, variants)
        requests += len(variants)
    print(
        f"\nreflected XSS (POST): {len(forms)} forms, {fields} fields marked, "
        f"{requests} requests (redirects followed), 0 reflected"
    )
    assert leaks == [], "\n".join(map(str, leaks))
    assert requests >= 200


def test_error_pages_and_unknown_paths_do_not_reflect(app: Flask, site: DemoSite) -> None:
    with site.fresh():
        for role in (None, "employee"):
            client = site.client(role)
            for marker in MARKERS:
                for url in (
                    f"/{quote(marker)}",
                    f"/katalog/{quote(marker)}/x",
                    f"/?next={quote(marker)}",
                ):
                    response = client.get(url)
                    assert reflected(response.get_data()) == [], url
                    response.close()


def test_the_check_sees_an_unescaped_marker() -> None:
    """The proof that the checks above can fail."""
    assert reflected(MARKERS[0].encode()) and reflected(MARKERS[1].encode())
    assert not reflected(
        b"&#34;&#39;&gt;&lt;svg/onload=alert(1)&gt; &lt;/textarea&gt;&lt;script&gt;x"
    )


def test_the_post_walk_sees_a_reflected_field(app: Flask, site: DemoSite) -> None:
    """The proof that the POST walk can fail: a flash that echoed a field raw is caught."""
    from flask import flash, request
    from markupsafe import Markup

    def _echo() -> None:
        if request.method == "POST" and "name" in request.form:
            flash(Markup(f"Saved {request.form['name']}"), "success")  # the bug being imitated

    with site.fresh() as conn:
        offered = offered_forms(app, site, conn)["admin.job_roles"]
        site.token(offered.role)
    app.before_request_funcs.setdefault(None, []).append(_echo)
    try:
        leaks = post_marked(site, offered, marked_variants(site, offered))
    finally:
        app.before_request_funcs[None].remove(_echo)
    assert leaks and all(leak[0] == "admin.job_roles" for leak in leaks)
