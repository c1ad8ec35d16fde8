"""Taking part: an employee completes a nano-lesson, waits for a full session and gets a seat.

Fatima (employee) fails the knowledge check of a nano-lesson once, passes it and marks the
lesson as done. She then books a coaching slot (capacity 1) that Anders (manager) booked a
moment before in his own browser, so she lands on the waitlist; when Anders cancels, she is
promoted, told so in the header and sees the booking and the credited hours on "Mitt lärande".
The knowledge check's answers are read from the shipped content (see test_catalog).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import check_axe, sv
from tests.browser.test_catalog import answer, open_catalogue, quiz_of, show_activities
from tests.browser.test_journeys import go_via_nav, log_in, main_nav

# Not the nano-lesson of test_catalog, so the two journeys do not share her progress.
NANO_LESSON = "kanna-igen-natfiske"
NANO_LESSON_TITLE = "Känn igen nätfiske"
NANO_LESSON_MINUTES = 6  # `minutes:` in content/activities/kanna-igen-natfiske.md
COACHING = "it-coach-pa-plats"
COACHING_TITLE = "IT-coach på plats"


@pytest.fixture
def other_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A second person's browser (own cookies) on the same live server."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, locale="sv-SE"
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# "Boka, <the session's date>": the hidden date tells screen readers which session it books.
BOOK = re.compile(rf"^{re.escape(sv('Book'))}\s*,")


def flash(page: Page, text: str) -> None:
    expect(page.locator(".flashes[role=status]")).to_contain_text(text)


def progress_box(page: Page) -> Locator:
    return page.get_by_role("region", name=sv("Your progress"))


def hours_this_year(page: Page) -> float:
    figure = page.locator(".personal-figures div").filter(
        has=page.get_by_text(sv("Hours this year"), exact=True)
    )
    text = figure.locator("dd").inner_text().strip()
    return float(text.replace(",", "."))


def open_my_learning(page: Page) -> None:
    go_via_nav(page, "Mitt lärande")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitt lärande")


def unread_link(count: int) -> re.Pattern[str]:
    # Chromium reads "Meddelanden (1 olästa )": a space after the visually hidden word.
    name = rf"{re.escape(sv('Notifications'))} \({count} {re.escape(sv('unread'))} ?\)"
    return re.compile(f"^{name}$")


def unread_count(page: Page) -> int:
    link = main_nav(page).get_by_role("link", name=re.compile(rf"^{sv('Notifications')}"))
    match = re.search(r"\((\d+)", link.inner_text())
    return int(match.group(1)) if match else 0


def the_slot(page: Page) -> Locator:
    """The last coaching slot in the list (the same row in everyone's browser)."""
    sessions = page.get_by_role("region", name=sv("Upcoming sessions"))
    expect(sessions).to_be_visible()
    return sessions.get_by_role("row").last


def open_coaching(page: Page) -> Locator:
    page.goto(f"/katalog/{COACHING}")
    expect(page.get_by_role("heading", level=1)).to_have_text(COACHING_TITLE)
    return the_slot(page)


def complete_the_nano_lesson(page: Page) -> None:
    open_catalogue(page)
    page.get_by_label(sv("Search"), exact=True).fill("nätfiske")
    show_activities(page)
    page.get_by_role("link", name=NANO_LESSON_TITLE, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/katalog/{NANO_LESSON}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(NANO_LESSON_TITLE)
    box = progress_box(page)
    expect(box).to_contain_text(sv("Not started"))
    check_axe(page, "taking-part-activity-before")

    box.get_by_role("button", name=sv("Begin")).click()
    expect(progress_box(page)).to_contain_text(sv("In progress"))
    expect(progress_box(page)).to_contain_text(
        sv("Pass the knowledge check to complete this activity.")
    )
    # Done before the check is passed: refused, with a way to the check.
    progress_box(page).get_by_role("button", name=sv("Mark as done")).click()
    flash(page, sv("Pass the knowledge check before you mark this as done."))
    expect(
        page.locator(".flashes").get_by_role("link", name=sv("Go to the knowledge check"))
    ).to_be_visible()

    questions = quiz_of(NANO_LESSON)
    answer(page, questions, right=False)
    page.get_by_role("button", name=sv("Check my answers")).click()
    expect(page.get_by_role("status").filter(has_text=sv("Not passed yet"))).to_be_visible()
    expect(page.locator(".quiz-wrong")).to_have_count(len(questions))
    check_axe(page, "taking-part-quiz-failed")

    answer(page, questions, right=True)
    page.get_by_role("button", name=sv("Check again")).click()
    expect(page.get_by_role("status").filter(has_text=sv("Passed – well done!"))).to_be_visible()
    expect(page.locator(".quiz-right")).to_have_count(len(questions))
    check_axe(page, "taking-part-quiz-passed")

    progress_box(page).get_by_role("button", name=sv("Mark as done")).click()
    expect(page).to_have_url(re.compile(rf"/katalog/{NANO_LESSON}$"))
    hours = f"{NANO_LESSON_MINUTES / 60:.2f}".rstrip("0").replace(".", ",")
    flash(page, sv("Completed! %(hours)s hours credited.", hours=hours))
    expect(progress_box(page)).to_contain_text(sv("Completed"))
    expect(progress_box(page).get_by_role("button")).to_have_count(0)
    check_axe(page, "taking-part-activity-after")


def test_employee_completes_a_nano_lesson_and_is_promoted_from_the_waitlist(
    page: Page, other_page: Page
) -> None:
    employee, manager = page, other_page
    log_in(employee, "employee")
    open_my_learning(employee)
    hours_before = hours_this_year(employee)
    unread_before = unread_count(employee)

    complete_the_nano_lesson(employee)

    # Anders takes the only seat of the slot.
    log_in(manager, "manager")
    slot = open_coaching(manager)
    expect(slot.get_by_role("cell").nth(2)).to_have_text("1")  # free seats
    slot.get_by_role("button", name=BOOK).click()
    flash(manager, sv("You are booked. Your seat: %(seat)s.", seat=1))
    expect(the_slot(manager)).to_contain_text(sv("Booked, seat %(seat)s", seat=1))

    # Fatima finds it full and joins the waitlist.
    slot = open_coaching(employee)
    expect(slot.get_by_role("cell").nth(2)).to_have_text("0")
    expect(slot.get_by_role("button", name=BOOK)).to_have_count(0)
    check_axe(employee, "taking-part-session-full")
    slot.get_by_role("button", name=sv("Join the waitlist")).click()
    flash(employee, sv("The session is full: you are on the waitlist (place %(n)s).", n=1))
    slot = the_slot(employee)
    expect(slot).to_contain_text(sv("On the waitlist (place %(n)s)", n=1))
    expect(slot.get_by_role("button", name=sv("Leave the waitlist"))).to_be_visible()
    check_axe(employee, "taking-part-waitlisted")

    # Anders cancels: the seat goes to the first in line.
    slot = open_coaching(manager)
    slot.get_by_role("button", name=sv("Cancel booking")).click()
    flash(manager, sv("Your booking is cancelled."))
    expect(the_slot(manager).get_by_role("cell").nth(2)).to_have_text("0")

    employee.reload()
    slot = the_slot(employee)
    expect(slot).to_contain_text(sv("Booked, seat %(seat)s", seat=1))
    expect(slot.get_by_role("link", name=sv("Add to calendar"))).to_be_visible()
    expect(
        main_nav(employee).get_by_role("link", name=unread_link(unread_before + 1))
    ).to_be_visible()
    check_axe(employee, "taking-part-promoted")

    # "Mitt lärande": the credited time, the completion and the booking.
    open_my_learning(employee)
    assert hours_this_year(employee) == pytest.approx(
        round(hours_before + NANO_LESSON_MINUTES / 60, 1)
    )
    completed = employee.get_by_role("region", name=sv("Completed"))
    expect(completed.get_by_role("rowheader", name=NANO_LESSON_TITLE)).to_be_visible()
    bookings = employee.get_by_role("region", name=sv("Bookings"))
    expect(bookings.get_by_role("listitem").filter(has_text=COACHING_TITLE)).to_have_count(1)
    expect(bookings.get_by_role("heading", name=sv("Waiting lists"))).to_have_count(0)
    check_axe(employee, "taking-part-my-learning")

    # The notification tells her about the seat; reading it clears the header count.
    main_nav(employee).get_by_role("link", name=unread_link(unread_before + 1)).click()
    title = sv("You got a seat on %(title)s", title=COACHING_TITLE)
    expect(employee.get_by_role("main").get_by_role("listitem").first).to_contain_text(title)
    mark = re.compile(rf"^{re.escape(sv('Mark as read'))} ?: {re.escape(title)}$")
    employee.get_by_role("button", name=mark).click()
    expect(employee.get_by_role("status")).to_contain_text(
        sv("The notification is marked as read.")
    )
