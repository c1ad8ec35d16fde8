"""Theme months in a real browser: written, curated, scheduled, published by the job, told once.

Karin (coordinator) writes a theme month for next month aimed at Stockholms stadsbibliotek,
curates five activities and schedules it for the 1st. The test then travels to that morning
with `lms jobs run publish_theme_months --at …` (twice: the second run must tell nobody
again). Karin sees it published; Fatima (in the library) finds it on her start page and in
her notifications, once; Peter (in the administrative staff) does not see it on his.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from lms.accounts.models import Department, User
from lms.catalog.models import ThemeMonth
from lms.core.db import make_engine
from lms.core.time import STOCKHOLM
from lms.notify.models import Notification
from tests.browser.conftest import check_axe, sv
from tests.browser.test_journeys import expect_no_horizontal_scroll, go_via_nav, log_in
from tests.browser.test_notify import _live_server_env, _lms
from tests.browser.test_taking_part import other_page  # noqa: F401  (a fixture)

DEPARTMENT = "Stockholms stadsbibliotek"
OUTSIDER = "peter.sjoberg@kultur.example.se"  # the administrator, in administrativa staben
CURATED = 5


def _first_of_next_month() -> date:
    today = datetime.now(STOCKHOLM).date()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _announcements(env: dict[str, str], slug: str) -> dict[str, int]:
    """How many announcement notifications each person got for the theme month."""
    engine = make_engine(env["LMS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            theme_id = conn.scalar(select(ThemeMonth.id).where(ThemeMonth.slug == slug))
            rows = conn.execute(
                select(User.email, func.count(Notification.id))
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.dedupe_key.like(f"theme-month:{theme_id}:%"))
                .group_by(User.email)
            ).all()
    finally:
        engine.dispose()
    return {email: count for email, count in rows}


def _library_staff(env: dict[str, str]) -> set[str]:
    engine = make_engine(env["LMS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            emails = conn.scalars(
                select(User.email)
                .join(Department, Department.id == User.department_id)
                .where(Department.name == DEPARTMENT, User.is_active.is_(True))
            ).all()
    finally:
        engine.dispose()
    return set(emails)


def write_theme_month(page: Page, title: str, slug: str, month: date) -> None:
    go_via_nav(page, "Mina aktiviteter")
    page.get_by_role("link", name=sv("Theme months"), exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Theme months"))
    check_axe(page, "theme-editor-index")
    page.get_by_role("link", name=sv("New theme month")).click()
    page.get_by_label(sv("Title"), exact=True).fill(title)
    page.get_by_label(sv("Month"), exact=True).select_option(str(month.month))
    page.get_by_label(sv("Year"), exact=True).fill(str(month.year))
    page.get_by_label(sv("Address"), exact=True).fill(slug)
    page.get_by_label(sv("Introduction (Markdown)")).fill(
        "Under månaden lär vi oss göra webbsidor, dokument och sociala medier "
        "tillgängliga för alla besökare.\n\n"
        "- Börja med nanolektionen om tillgänglighet\n- Boka en workshop\n"
    )
    page.get_by_label(DEPARTMENT, exact=True).check()
    page.get_by_role("button", name=sv("Save"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def curate(page: Page) -> list[str]:
    """Add the first five published activities the picker offers, in that order."""
    chosen: list[str] = []
    picker = page.get_by_label(sv("Activity"), exact=True)
    for _ in range(CURATED):
        options = picker.locator("option:not([value=''])")
        label = options.first.inner_text().strip()
        picker.select_option(label=label)
        page.get_by_role("button", name=sv("Add"), exact=True).click()
        chosen.append(label)
    listed = page.locator("#activities ol > li")
    expect(listed).to_have_count(CURATED)
    for item, label in zip(listed.all(), chosen, strict=True):
        expect(item).to_contain_text(label)
    return chosen


def test_coordinator_schedules_a_theme_month_that_is_published_and_announced_once(
    page: Page,
    other_page: Page,  # noqa: F811  (the fixture)
    live_server: str,
) -> None:
    env = _live_server_env(live_server)
    first = _first_of_next_month()
    slug = f"tillganglighet-{secrets.token_hex(3)}"
    title = "Tillgänglighet på webben och i våra lokaler"

    log_in(page, "coordinator")
    write_theme_month(page, title, slug, first)
    curate(page)
    page.get_by_label(sv("Publish on")).fill(first.isoformat())
    page.get_by_role("button", name=sv("Schedule"), exact=True).click()
    expect(page.locator("#publishing")).to_contain_text(first.strftime("%Y"))
    expect(page.get_by_role("button", name=sv("Cancel the schedule"))).to_be_visible()
    check_axe(page, "theme-editor-scheduled")
    assert _announcements(env, slug) == {}

    # The evening before nothing happens; on the 1st at six the job publishes and announces.
    evening = first - timedelta(days=1)
    _lms(env, "jobs", "run", "publish_theme_months", "--at", f"{evening.isoformat()}T20:05")
    assert _announcements(env, slug) == {}
    _lms(env, "jobs", "run", "publish_theme_months", "--at", f"{first.isoformat()}T06:05")
    _lms(env, "jobs", "run", "publish_theme_months", "--at", f"{first.isoformat()}T07:05")
    told = _announcements(env, slug)
    assert set(told) == _library_staff(env) and set(told.values()) == {1}
    assert "fatima.ahmed@kultur.example.se" in told and OUTSIDER not in told

    page.reload()
    expect(page.get_by_role("button", name=sv("Return to draft"))).to_be_visible()
    page.get_by_role("link", name=sv("Show the published page")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    activities = page.get_by_role("region", name=sv("This month's activities"))
    expect(activities.get_by_role("heading", level=3)).to_have_count(CURATED)

    # Fatima, in the library: on her start page and in her notifications, once.
    log_in(other_page, "employee")
    start = other_page.get_by_role("main")
    expect(start.get_by_role("link", name=title)).to_be_visible()
    check_axe(other_page, "start-with-theme-month")
    start.get_by_role("link", name=title).first.click()
    expect(other_page.get_by_role("heading", level=1)).to_have_text(title)
    check_axe(other_page, "theme-month")
    other_page.set_viewport_size({"width": 360, "height": 780})
    expect_no_horizontal_scroll(other_page, 360)
    check_axe(other_page, "phone-theme-month")
    go_via_nav(other_page, "Start")
    expect(other_page.get_by_role("heading", level=1)).to_have_text(
        sv("Hello, %(name)s!", name="Fatima")
    )
    other_page.wait_for_load_state()
    expect_no_horizontal_scroll(other_page, 360)
    check_axe(other_page, "phone-start")
    other_page.goto("/meddelanden/")
    told_items = other_page.get_by_role("main").get_by_role("listitem").filter(has_text=title)
    expect(told_items).to_have_count(1)

    # Peter, in the administrative staff: the theme month is not on his start page.
    other_page.context.clear_cookies()
    log_in(other_page, "admin")
    expect(other_page.get_by_role("main").get_by_text(title)).to_have_count(0)


# Every page of issue 7 a learner finds their way by, as a learner reaches it.
FINDING_PAGES = (
    ("themes", "/teman"),
    ("theme-month", "/teman/{current}/ai-manaden"),
    ("subject", "/amnen/digital-arbetsplats"),
    ("area", "/omraden/4"),
    ("departments", "/avdelningar"),
    ("calendar-month", "/kalender/?vy=manad"),
    ("calendar-week", "/kalender/?vy=vecka"),
    ("calendar-list", "/kalender/?vy=lista"),
    ("saved", "/sparat/"),
    ("catalogue-subject", "/katalog/?subject=digital-arbetsplats"),
)


def test_finding_pages_pass_axe_on_desktop_and_fit_a_phone(page: Page) -> None:
    log_in(page, "employee")
    # Save an activity from its page, so the saved list has something in it.
    page.goto("/katalog/kanna-igen-natfiske")
    save = page.get_by_role("button", name=sv("Save for later"))
    if save.count():
        save.click()
    expect(page.get_by_role("button", name=sv("Saved – remove"))).to_be_visible()
    check_axe(page, "activity-saved")

    current = datetime.now(STOCKHOLM).strftime("%Y-%m")  # the demo's AI month is this month
    for name, path in FINDING_PAGES:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(path.format(current=current))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_axe(page, name)
        page.set_viewport_size({"width": 360, "height": 780})
        page.wait_for_load_state()
        expect_no_horizontal_scroll(page, 360)
        check_axe(page, f"phone-{name}")
    page.goto("/sparat/")
    expect(page.get_by_role("main").get_by_role("link", name="Känn igen nätfiske")).to_be_visible()
