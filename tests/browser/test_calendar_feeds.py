"""Calendar addresses in a real browser: the pages only show them, a button makes them.

Fatima opens her personal calendar page and the calendar: where an address has not been made
yet she gets a button (a POST with the CSRF token), after it the address, the same on every
later visit. Both states pass axe.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import check_axe, sv
from tests.browser.test_journeys import log_in

TOKEN = r"[A-Za-z0-9_-]{43,}"


def _create_if_offered(page: Page, button: Locator, name: str) -> None:
    if button.count():
        check_axe(page, f"{name}-before")
        button.first.click()
        expect(page.locator(".flash").first).to_be_visible()


def test_personal_and_department_addresses_are_made_by_a_button(page: Page) -> None:
    log_in(page, "employee")
    page.goto("/bokningar/kalender")
    create = page.get_by_role("button", name=sv("Create my calendar address"))
    _create_if_offered(page, create, "personal-feed")
    address = page.locator("#feed-url")
    expect(address).to_have_value(re.compile(rf"/bokningar/kalender/{TOKEN}\.ics$"))
    made = address.input_value()
    expect(create).to_have_count(0)
    check_axe(page, "personal-feed")
    page.reload()
    expect(page.locator("#feed-url")).to_have_value(made)  # made once, then the same

    page.goto("/kalender/?vy=lista&avdelning=mine")
    shared = page.get_by_role(
        "button", name=re.compile("^" + re.escape(sv("Create the calendar address")))
    )
    _create_if_offered(page, shared, "shared-feed")
    expect(page).to_have_url(re.compile(r"/kalender/\?vy=lista&avdelning=mine$"))
    department = page.locator("#department-feed")
    expect(department).to_have_value(re.compile(rf"/kalender/flode/{TOKEN}\.ics$"))
    check_axe(page, "shared-feed")
