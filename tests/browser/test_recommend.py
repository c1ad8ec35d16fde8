"""Recommendations in a real browser, as an employee meets them.

Zeynep Kaya (bibliotekarie at Stockholms stadsbibliotek) has a submitted self-assessment with a
need in 4.2 Skydda personuppgifter och integritet (she answered 1, expected 3) and motivation 5
there, and no need anywhere else. Her start page puts a 4.2 activity first and says why. She
marks another recommendation "Inte intresserad": it is gone, after a reload and after a cache
refresh, and listed under "Dolda aktiviteter" where "Visa igen" brings it back. The flash's
"Ångra" undoes a mark at once. axe finds nothing on either page, and both fit a 360 px phone.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import REPO_ROOT, check_axe, save_screenshot, sv
from tests.browser.test_journeys import expect_no_horizontal_scroll, log_out, submit_login
from tests.browser.test_notify import _live_server_env, _lms

ZEYNEP = "zeynep.kaya@kultur.example.se"
PASSWORD = "zeynep-rekommenderat-2026"
CODES = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2")
GAP = "4.2"
GAP_NAME = "Skydda personuppgifter och integritet"
# Activities of the demo content that develop 4.2 (content/activities/*.md).
DEVELOPING_GAP = re.compile(r"^\s*competences:.*\"4\.2\"", re.M)


def _activities_developing_the_gap() -> set[str]:
    titles = set()
    for path in (REPO_ROOT / "content" / "activities").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        if DEVELOPING_GAP.search(text):
            title = re.search(r"^title:\s*(.+)$", text, re.M)
            assert title is not None
            titles.add(title.group(1).strip().strip('"'))
    return titles


def _prepare_zeynep(env: dict[str, str], folder: Path) -> None:
    """A password for Zeynep and a submitted assessment: 1 in 4.2 (motivation 5), 5 elsewhere."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "user", "set-password", ZEYNEP,
         "--password-stdin"],
        cwd=REPO_ROOT, env=env, input=PASSWORD + "\n", text=True, capture_output=True,
        timeout=60, check=True,
    )  # fmt: skip
    round_name = f"Skattning rekommendationer {secrets.token_hex(3)}"
    rows = ["round,email,competence,self_level,agreed_level,motivation"]
    for code in CODES:
        level, motivation = (1, 5) if code == GAP else (5, 3)
        rows.append(f"{round_name},{ZEYNEP},{code},{level},,{motivation}")
    csv = folder / "zeynep.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _lms(env, "import", "assessments", str(csv))


def _log_in_as_zeynep(page: Page) -> None:
    page.goto("/login")
    submit_login(page, ZEYNEP, PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Hello, %(name)s!", name="Zeynep"))


def _button(label: str, title: str) -> re.Pattern[str]:
    """A button's accessible name: its visible label, then which activity (visually hidden)."""
    return re.compile(rf"^{re.escape(sv(label))}\s*: {re.escape(title)}$")


def _flash(page: Page) -> Locator:
    """The flashed messages (the list page's result count is a status too)."""
    return page.locator(".flashes[role=status]")


def _recommended(page: Page) -> Locator:
    return page.get_by_role("region", name=sv("Recommended for you"))


def _titles(section: Locator) -> list[str]:
    return section.locator(".home-item-title, .recommend-title a").all_inner_texts()


def test_a_gap_comes_first_with_its_reason_and_not_interested_stays_gone(
    page: Page, live_server: str, tmp_path: Path
) -> None:
    env = _live_server_env(live_server)
    _prepare_zeynep(env, tmp_path)
    _log_in_as_zeynep(page)

    # The start page: a 4.2 activity first, with the need as its first reason.
    section = _recommended(page)
    expect(section).to_be_visible()
    titles = _titles(section)
    assert 2 <= len(titles) <= 5, titles
    assert titles[0] in _activities_developing_the_gap(), titles
    first = section.get_by_role("listitem").filter(has_text=titles[0]).first
    the_gap = sv(
        "You rated yourself %(assessed)s in %(competence)s; "
        "the expected level for %(role)s is %(expected)s",
        assessed=1,
        competence=f"{GAP} {GAP_NAME}",
        role="bibliotekarie",
        expected=3,
    )
    expect(first.locator(".recommend-reasons li").filter(has_text=the_gap)).to_have_count(1)
    check_axe(page, "recommend-start")

    # "Inte intresserad" on another one: it goes, the flash says so and offers "Ångra".
    hidden = titles[1]
    section.get_by_role("button", name=_button("Not interested", hidden)).click()
    expect(page).to_have_url(re.compile(r"/$"))
    flash = _flash(page)
    expect(flash).to_contain_text(sv("We will not recommend “%(title)s” again.", title=hidden))
    expect(flash.get_by_role("button", name=sv("Undo"))).to_be_visible()
    expect(_recommended(page).get_by_role("link", name=hidden, exact=True)).to_have_count(0)

    # A reload, and a refresh of the cache, do not bring it back.
    page.reload()
    expect(_recommended(page).get_by_role("link", name=hidden, exact=True)).to_have_count(0)
    _lms(env, "recommend", "refresh", "--user", ZEYNEP)
    page.reload()
    expect(_recommended(page).get_by_role("link", name=titles[0], exact=True)).to_be_visible()
    expect(_recommended(page).get_by_role("link", name=hidden, exact=True)).to_have_count(0)

    # The full list: every reason, the filters, and the hidden activity with "Visa igen".
    _recommended(page).get_by_role("link", name=sv("All recommendations")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Recommended for you"))
    results = page.locator(".recommend-full-list")
    expect(results.get_by_role("link", name=hidden, exact=True)).to_have_count(0)
    hidden_section = page.get_by_role("region", name=sv("Hidden activities"))
    expect(hidden_section.get_by_role("link", name=hidden, exact=True)).to_be_visible()
    check_axe(page, "recommend-list")

    page.get_by_label(sv("Competence area")).select_option("4")
    page.get_by_role("button", name=sv("Show"), exact=True).click()
    expect(page).to_have_url(re.compile(r"area=4"))
    expect(results.get_by_role("link", name=titles[0], exact=True)).to_be_visible()
    check_axe(page, "recommend-list-filtered")
    page.get_by_role("link", name=sv("Clear the filters")).click()

    # "Ångra" in the flash undoes a mark at once.
    other = _titles(page.locator(".recommend-full-list"))[-1]
    results.get_by_role("button", name=_button("Not interested", other)).click()
    expect(results.get_by_role("link", name=other, exact=True)).to_have_count(0)
    _flash(page).get_by_role("button", name=sv("Undo")).click()
    expect(_flash(page)).to_contain_text(
        sv("“%(title)s” may be recommended to you again.", title=other)
    )
    expect(results.get_by_role("link", name=other, exact=True)).to_be_visible()

    # "Visa igen" under the hidden activities brings the first one back too.
    hidden_section.get_by_role("button", name=_button("Show again", hidden)).click()
    expect(results.get_by_role("link", name=hidden, exact=True)).to_be_visible()
    save_screenshot(page, "recommend-list-after-undo")

    # Both pages fit a phone.
    width = 360
    page.set_viewport_size({"width": width, "height": 780})
    for path, shot in (("/", "phone-recommend-start"), ("/rekommenderat/", "phone-recommend-list")):
        page.goto(path)
        expect_no_horizontal_scroll(page, width)
        check_axe(page, shot)
    log_out(page)
