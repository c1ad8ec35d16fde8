"""Journeys through the Swedish UI in headless Chromium, with an axe check on every page.

Words the product has fixed are written out in Swedish ("Logga in", "E-post", "Mitt team" …);
the rest of the wording comes from the Swedish catalog through `sv(msgid)`.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from lms.cli import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import LOGIN_ATTEMPTS_PER_ACCOUNT, check_axe, sv

FIRST_NAMES = {
    "employee": "Fatima",
    "manager": "Anders",
    "course_owner": "Maria",
    "coordinator": "Karin",
    "admin": "Peter",
}
# "Meddelanden", with "(3 olästa)" after it while there are unread notifications.
NOTIFICATIONS_LINK = re.compile(
    rf"^{re.escape(sv('Notifications'))}( \(\d+ {re.escape(sv('unread'))} ?\))?$"
)
NAV_LINKS: dict[str, list[str | re.Pattern[str]]] = {
    "employee": [
        "Start",
        "Katalog",
        "Kalender",
        "Kompetensramverk",
        "Mitt lärande",
        "Min kompetens",
        "Mina uppgifter",
        NOTIFICATIONS_LINK,
        "Min profil",
    ],
    "manager": [
        "Start",
        "Katalog",
        "Kalender",
        "Kompetensramverk",
        "Mitt lärande",
        "Min kompetens",
        "Mina uppgifter",
        "Mitt team",
        NOTIFICATIONS_LINK,
        "Min profil",
    ],
    "course_owner": [
        "Start",
        "Katalog",
        "Kalender",
        "Kompetensramverk",
        "Mitt lärande",
        "Min kompetens",
        "Mina uppgifter",
        "Mina aktiviteter",
        NOTIFICATIONS_LINK,
        "Min profil",
    ],
    "coordinator": [
        "Start",
        "Katalog",
        "Kalender",
        "Kompetensramverk",
        "Mitt lärande",
        "Min kompetens",
        "Mina uppgifter",
        "Mina aktiviteter",
        "Samordning",
        "Rapporter",
        NOTIFICATIONS_LINK,
        "Min profil",
    ],
    "admin": [
        "Start",
        "Katalog",
        "Kalender",
        "Kompetensramverk",
        "Mitt lärande",
        "Min kompetens",
        "Mina uppgifter",
        "Samordning",
        "Rapporter",
        "Administration",
        NOTIFICATIONS_LINK,
        "Min profil",
    ],
}
# Demo people without a password: their failed sign-ins never lock out a journey's login.
WRONG_PASSWORD_EMAIL = "klara.hedlund@kultur.example.se"
THROTTLED_EMAIL = "lan.nguyen@kultur.example.se"


def sv_pattern(msgid: str) -> re.Pattern[str]:
    """The Swedish text of a msgid with `%(n)d` placeholders matching any number."""
    return re.compile(re.escape(sv(msgid)).replace(re.escape("%(n)d"), r"\d+"))


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name=sv("Main navigation"))


def go_via_nav(page: Page, name: str) -> None:
    """Click a main navigation link, as a person would."""
    main_nav(page).get_by_role("link", name=name, exact=True).click()


def submit_login(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-post").fill(email)
    page.get_by_label(sv("Password"), exact=True).fill(password)
    page.get_by_role("button", name="Logga in").click()


def log_in(page: Page, role: str) -> None:
    page.goto("/login")
    submit_login(page, DEMO_LOGINS[role], DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        sv("Hello, %(name)s!", name=FIRST_NAMES[role])
    )


def log_out(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Logga ut").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Sign in to Lärlyft"))
    expect(page.get_by_role("status")).to_contain_text(sv("You are now signed out."))
    expect(page.get_by_role("button", name="Logga ut")).to_have_count(0)


def visit_profile(page: Page, role: str) -> None:
    go_via_nav(page, "Min profil")
    expect(page.get_by_role("heading", level=1)).to_have_text("Min profil")
    expect(page.get_by_role("heading", level=2).first).to_contain_text(FIRST_NAMES[role])
    check_axe(page, f"{role}-profile")


def visit_team(page: Page) -> None:
    go_via_nav(page, "Mitt team")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitt team")
    expect(page.get_by_role("rowheader", name="Fatima Ahmed")).to_be_visible()
    check_axe(page, "manager-team")


def visit_admin(page: Page) -> None:
    go_via_nav(page, "Administration")
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    check_axe(page, "admin-overview")
    subnav = page.get_by_role("main").get_by_role("navigation", name="Administration")

    subnav.get_by_role("link", name=sv("Users"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Users"))
    expect(page.get_by_role("link", name="Fatima Ahmed")).to_be_visible()
    check_axe(page, "admin-users")

    page.get_by_role("link", name="Fatima Ahmed").click()
    expect(page).to_have_url(re.compile(r"/admin/users/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fatima Ahmed")
    expect(page.get_by_label(sv("Department"))).to_be_visible()
    check_axe(page, "admin-user-edit")

    page.get_by_role("link", name=sv("All users")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Users"))
    subnav.get_by_role("link", name=sv("Audit log"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Audit log"))
    # Newest first: what the demo set up (passwords, the content import) or later journeys did.
    expect(page.get_by_role("cell", name=re.compile(r"^[a-z_]+\.[a-z_]+$")).first).to_be_visible()
    check_axe(page, "admin-audit")

    subnav.get_by_role("link", name=sv("Mail"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Outgoing mail"))
    expect(page.get_by_label(sv("Status"))).to_have_value("unsent")
    check_axe(page, "admin-mail")


@pytest.mark.parametrize("role", list(DEMO_LOGINS))
def test_role_journey(page: Page, role: str) -> None:
    log_in(page, role)
    nav = main_nav(page)
    links = nav.get_by_role("link")
    expect(links).to_have_text(NAV_LINKS[role])
    expect(nav.get_by_role("link", name="Start")).to_have_attribute("aria-current", "page")
    check_axe(page, f"{role}-start")
    if role == "admin":
        visit_admin(page)
    if role == "manager":
        visit_team(page)
    visit_profile(page, role)
    log_out(page)


def test_main_navigation_is_shown_on_desktop(page: Page) -> None:
    """Every link of the main navigation is visible (and so reachable) at 1280 px."""
    log_in(page, "manager")
    nav = page.get_by_role("navigation", name=sv("Main navigation"))
    expect(
        nav, "the main navigation is not shown at 1280 px: the header has no way to reach it"
    ).to_be_visible()
    for name in NAV_LINKS["manager"]:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()


def expect_field_error(page: Page, label: str, message: str, **label_options: Any) -> None:
    field = page.get_by_label(label, **label_options)
    expect(field).to_have_attribute("aria-invalid", "true")
    field_id = field.get_attribute("id")
    expect(field).to_have_attribute("aria-describedby", re.compile(rf"\b{field_id}-error\b"))
    expect(page.locator(f"#{field_id}-error")).to_have_text(message)
    expect(field).to_have_accessible_description(message)


def test_login_form_error_states(page: Page) -> None:
    page.goto("/login")
    expect(page).to_have_title(re.compile("Lärlyft"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_label("E-post")).not_to_have_attribute("aria-invalid", "true")
    check_axe(page, "login")

    page.get_by_role("button", name="Logga in").click()
    expect_field_error(page, "E-post", sv("Enter your e-mail address."))
    expect_field_error(page, sv("Password"), sv("Enter your password."), exact=True)
    expect(page.get_by_role("alert")).to_have_count(0)
    check_axe(page, "login-empty")

    submit_login(page, WRONG_PASSWORD_EMAIL, "not-the-password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(sv("The e-mail address or the password is wrong."))
    expect(alert).to_have_id("login-error")
    expect(page.get_by_label("E-post")).to_have_value(WRONG_PASSWORD_EMAIL)
    expect(page.get_by_label(sv("Password"), exact=True)).to_have_value("")
    check_axe(page, "login-wrong-password")


def test_login_throttled(page: Page) -> None:
    page.goto("/login")
    for _ in range(LOGIN_ATTEMPTS_PER_ACCOUNT):
        submit_login(page, THROTTLED_EMAIL, "guessing")
        expect(page.get_by_role("alert")).to_have_text(
            sv("The e-mail address or the password is wrong.")
        )
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        submit_login(page, THROTTLED_EMAIL, "guessing")
    assert answer.value.status == 429
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        sv_pattern(
            "Too many failed attempts. For your security, wait %(n)d minutes and try again, "
            "or choose a new password."
        )
    )
    expect(alert).to_have_id("login-error")
    check_axe(page, "login-throttled")


def test_language_switch(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Lärlyft")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_be_visible()
    check_axe(page, "login-en")

    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Sign in to Lärlyft"))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in to Lärlyft")
    expect(page.get_by_role("button", name="Logga in")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()


def test_accessibility_statement_and_report(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("contentinfo").get_by_role("link", name=sv("Accessibility statement")).click()
    expect(page).to_have_url(re.compile(r"/tillganglighet$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        sv("Accessibility statement for Lärlyft")
    )
    check_axe(page, "accessibility")

    send = page.get_by_role("main").get_by_role("button", name=sv("Send report"))
    send.click()
    expect_field_error(
        page, sv("Describe the problem"), sv("Describe the problem so that we can fix it.")
    )
    check_axe(page, "accessibility-empty")

    page.get_by_label(sv("Which page or function?")).fill("Inloggningssidan")
    page.get_by_label(sv("Describe the problem")).fill(
        "Fokusmarkeringen syns inte på knappen när jag använder tangentbordet."
    )
    page.get_by_label(sv("Your e-mail (if you want an answer)")).fill("testare@example.se")
    send.click()
    expect(page.get_by_role("status")).to_contain_text(
        sv("Thank you! Your report has been sent to us.")
    )
    expect(page.get_by_label(sv("Describe the problem"))).to_have_value("")
    check_axe(page, "accessibility-sent")


def expect_no_horizontal_scroll(page: Page, width: int) -> None:
    # A click waits for the navigation, not for the stylesheets: measure the styled page.
    page.wait_for_load_state("load")
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at a {width} px viewport"


def test_phone_viewport(page: Page) -> None:
    width = 360
    page.set_viewport_size({"width": width, "height": 780})
    page.goto("/login")
    expect(page.get_by_role("button", name="Logga in")).to_be_visible()
    expect_no_horizontal_scroll(page, width)
    check_axe(page, "phone-login")

    log_in(page, "manager")
    nav = page.get_by_role("navigation", name=sv("Main navigation"))
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link")).to_have_text(NAV_LINKS["manager"])
    expect_no_horizontal_scroll(page, width)
    check_axe(page, "phone-start")
    nav.get_by_role("link", name="Mitt team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitt team")
    expect_no_horizontal_scroll(page, width)
    check_axe(page, "phone-team")
