"""Notifications in a real browser: the header's count, marking read, mail settings, unsubscribe.

The notifications are made in the live server's database with the operator command
`lms notify send`, run with the live server's own environment (so that the unsubscribe links
in the queued mails are signed with the server's secret key). The wording comes from the
Swedish catalog through `sv(msgid)`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.cli import DEMO_LOGINS
from lms.core.db import make_engine
from lms.core.outbox import OutboxEmail
from tests.browser.conftest import REPO_ROOT, check_axe, sv
from tests.browser.test_journeys import expect_no_horizontal_scroll, log_in, main_nav

EMPLOYEE = DEMO_LOGINS["employee"]
# A demo person nobody signs in as, so unsubscribing her changes no other test's page.
READER = "aleksandra.nowak@kultur.example.se"
TITLES = ("Ny temamånad: AI i kulturarbetet", "Påminnelse: uppföljning", "Ditt pass är bokat")


def _live_server_env(base_url: str) -> dict[str, str]:
    """The environment of the `flask run` child process serving `base_url`."""
    port = str(urlsplit(base_url).port)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text()
            raw_env = (proc / "environ").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"run" in argv and port.encode() in argv:
            pairs = (item.split(b"=", 1) for item in raw_env.split(b"\0") if b"=" in item)
            return {key.decode(): value.decode() for key, value in pairs}
    pytest.fail(f"no live server process found for {base_url}")


def _lms(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _unsubscribe_path(env: dict[str, str], email: str) -> str:
    """The one-click link of the newest mail queued for `email`."""
    engine = make_engine(env["LMS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            body = conn.scalar(
                select(OutboxEmail.body_text)
                .where(OutboxEmail.to_address == email)
                .order_by(OutboxEmail.id.desc())
                .limit(1)
            )
    finally:
        engine.dispose()
    match = re.search(r"https?://[^/\s]+(/meddelanden/avregistrera/\S+)", body or "")
    assert match, body
    return match.group(1)


def _nav_link(unread: int) -> re.Pattern[str]:
    # Chromium puts a space after the visually hidden word in the accessible name
    # ("Meddelanden (3 olästa )"); screen readers do not voice it.
    name = rf"{re.escape(sv('Notifications'))} \({unread} {re.escape(sv('unread'))} ?\)"
    return re.compile(f"^{name}$")


def test_notifications_journey(page: Page, live_server: str) -> None:
    env = _live_server_env(live_server)
    for title in TITLES:
        _lms(env, "notify", "send", EMPLOYEE, "--title", title, "--link", "/katalog/")

    log_in(page, "employee")
    nav = main_nav(page)
    expect(nav.get_by_role("link", name=_nav_link(3))).to_be_visible()
    nav.get_by_role("link", name=_nav_link(3)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Notifications"))
    # Only these three are unread (other journeys may have told Fatima things she has read).
    items = page.locator(".notification-unread")
    expect(items).to_have_count(3)
    expect(page.get_by_role("main").get_by_role("listitem").first).to_contain_text(TITLES[-1])
    expect(page.get_by_role("link", name=TITLES[0])).to_have_attribute("href", "/katalog/")
    check_axe(page, "notifications")

    mark = re.compile(rf"^{re.escape(sv('Mark as read'))} ?: {re.escape(TITLES[-1])}$")
    page.get_by_role("button", name=mark).click()
    expect(page.get_by_role("status")).to_contain_text(sv("The notification is marked as read."))
    expect(main_nav(page).get_by_role("link", name=_nav_link(2))).to_be_visible()
    expect(page.locator(".notification-unread")).to_have_count(2)
    check_axe(page, "notifications-one-read")

    page.get_by_role("main").get_by_role("link", name=sv("E-mail settings")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("E-mail settings"))
    group = page.get_by_role("group", name=sv("E-mail about notifications"))
    expect(group.get_by_role("radio", name=sv("Right away"))).to_be_checked()
    check_axe(page, "notify-preferences")
    group.get_by_role("radio", name=sv("A weekly summary")).check()
    page.get_by_role("button", name=sv("Save")).click()
    expect(page.get_by_role("status")).to_contain_text(sv("Your e-mail settings are saved."))
    expect(group.get_by_role("radio", name=sv("A weekly summary"))).to_be_checked()
    check_axe(page, "notify-preferences-saved")

    page.set_viewport_size({"width": 360, "height": 780})
    main_nav(page).get_by_role("link", name=_nav_link(2)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Notifications"))
    expect_no_horizontal_scroll(page, 360)
    check_axe(page, "phone-notifications")


def test_unsubscribe_link_without_login(page: Page, live_server: str) -> None:
    env = _live_server_env(live_server)
    _lms(env, "notify", "send", READER, "--title", "Ett tips om Teams")
    path = _unsubscribe_path(env, READER)

    page.goto(path[:-4] + "xxxx")
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("This link is not valid"))
    check_axe(page, "unsubscribe-invalid")

    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Stop e-mail about notifications"))
    check_axe(page, "unsubscribe")
    page.get_by_role("main").get_by_role("button", name=sv("Turn off e-mail")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        sv("E-mail about notifications is off")
    )
    check_axe(page, "unsubscribed")

    page.goto(path)
    expect(page.get_by_role("main")).to_contain_text(
        sv("E-mail about notifications is already turned off for this account.")
    )
    expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)
