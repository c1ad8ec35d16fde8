"""Open redirect: no `next` (or Referer) variant ever produces an off-site `Location`.

Every endpoint that follows a `next` value is driven with every variant; the `Location`
is parsed as a browser would (tabs and newlines dropped, backslashes read as slashes,
leading C0 controls and spaces stripped, then resolved against the page's URL) and must
stay on the site's own origin.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.core.security import is_safe_next, same_site_referrer
from tests import factories
from tests.catalog import factories as cf

pytestmark = [pytest.mark.sqlite_only, pytest.mark.usefixtures("csrf_off")]

BASE = "http://localhost/"

OFF_SITE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "%2f%5cevil.example",
    "/%252F%252Fevil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "  javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "/%0d%0aLocation:%20https://evil.example",
    "/\r\nLocation: https://evil.example",
    "%0d%0aLocation:https://evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\x00/evil.example",
    "/%00//evil.example",
    "http://localhost@evil.example/",
    "http://localhost:80@evil.example/",
    "https://localhost.evil.example/",
    "http://evil.example\\@localhost/",
    "/\u3002evil.example",
    "//evil\u3002example",
    "/\uff0f/evil.example",
    "\uff0f\uff0fevil.example",
    "/\u2215\u2215evil.example",
    " //evil.example",
    "\t//evil.example",
    "\x01//evil.example",
    "evil.example",
    ".evil.example",
    "/.evil.example",
    "@evil.example",
    "//%65vil.example",
    "/ /evil.example",
]
SAME_SITE = ["/", "/profile", "/katalog/?q=excel&page=2", "/a/b#c"]


def browser_origin(location: str, page: str = BASE) -> tuple[str, str]:
    """The (scheme, host) a browser would go to for this Location on `page`."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00\x01\x02\x03\x04 ")
    cleaned = cleaned.replace("\\", "/")
    try:
        target = urlsplit(urljoin(page, cleaned))
    except ValueError:  # a host that NFKC-normalises to a slash: not this site
        return ("?", cleaned)
    return target.scheme, target.netloc.rsplit("@", 1)[-1]


def assert_same_site(response: Any, variant: str) -> None:
    assert response.status_code in (302, 303), (variant, response.status_code)
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location, variant
    assert browser_origin(location) == ("http", "localhost"), (variant, location)
    assert browser_origin(location.replace("\\", "/")) == ("http", "localhost"), variant


def test_the_browser_parse_would_catch_off_site_locations() -> None:
    # The check itself must be able to fail: every off-site classic is seen as off-site.
    for location in ["//evil.example", "/\\evil.example", "https:evil.example", "\t//evil"]:
        assert browser_origin(location) != ("http", "localhost"), location
    assert browser_origin("/profile") == ("http", "localhost")


@pytest.mark.parametrize("variant", OFF_SITE)
def test_is_safe_next_accepts_no_variant_a_browser_would_take_off_site(variant: str) -> None:
    # A few variants are odd but local paths ("/。evil.example"); the rest must be refused.
    assert not is_safe_next(variant) or browser_origin(variant) == ("http", "localhost")


def test_there_are_at_least_30_variants() -> None:
    assert len(OFF_SITE) >= 30
    assert len(set(OFF_SITE)) == len(OFF_SITE)


def _login_redirect(app: Flask, email: str, target: str) -> Any:
    fresh = app.test_client()
    data = {"email": email, "password": factories.PASSWORD, "next": target}
    return fresh.post("/login", data=data)


def test_login_never_leaves_the_site(app: Flask, session: Session) -> None:
    person = factories.user(session)
    session.commit()
    for variant in OFF_SITE:
        response = _login_redirect(app, person.email, variant)
        assert_same_site(response, variant)
    for target in SAME_SITE:  # and a real next is followed, so the check can tell
        assert _login_redirect(app, person.email, target).headers["Location"] == target


def test_language_switch_never_leaves_the_site(client: FlaskClient) -> None:
    for variant in OFF_SITE:
        response = client.post("/language", data={"lang": "en", "next": variant})
        assert_same_site(response, variant)
    assert client.post("/language", data={"lang": "sv", "next": "/profile"}).headers[
        "Location"
    ] == ("/profile")


@pytest.fixture
def signed_in_with_activity(client: FlaskClient, session: Session, auth: Any) -> str:
    person = factories.user(session)
    activity = cf.activity(session, title="Öppen omdirigering")
    session.commit()
    assert auth.login(person.email).status_code == 302
    return activity.slug


@pytest.mark.parametrize(
    "action",
    [
        "/sparat/{slug}/spara",
        "/sparat/{slug}/ta-bort",
        "/rekommenderat/{slug}/inte-intresserad",
        "/rekommenderat/{slug}/visa-igen",
    ],
)
def test_saved_and_recommend_buttons_never_leave_the_site(
    client: FlaskClient, signed_in_with_activity: str, action: str
) -> None:
    url = action.format(slug=signed_in_with_activity)
    for variant in OFF_SITE:
        assert_same_site(client.post(url, data={"next": variant}), variant)
    assert client.post(url, data={"next": "/profile"}).headers["Location"] == "/profile"


@pytest.mark.parametrize("variant", OFF_SITE)
def test_a_referer_from_elsewhere_is_never_followed(variant: str) -> None:
    # The DomainError safety net goes back to the Referer only when it is this very site.
    for referer in [variant, "http://evil.example" + variant, "http://localhost" + variant]:
        back = same_site_referrer(referer, BASE)
        assert back is None or browser_origin(back) == ("http", "localhost"), referer
    assert same_site_referrer("http://localhost/profile?x=1", BASE) == "/profile?x=1"
    assert same_site_referrer("http://localhost.evil.example/profile", BASE) is None
