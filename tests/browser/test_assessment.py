"""The assessment cycle in a real browser, the way the programme ran it.

Karin (coordinator) opens a round for Stockholms stadsbibliotek and the job tells the library.
Fatima self-assesses her twelve sub-competences with the keyboard only (Tab into each radio
group, Space and arrow keys to choose, Tab to the button, Enter) and submits. Anders, her
manager, agrees two levels differently, writes notes, marks the conversation held and builds the
development plan: two goals pre-filled from the needs, an activity chosen for one and a learning
request for the other. Karin then sees the round's progress and analytics as aggregates only
(one respondent: suppressed) and the request, without Fatima's name. axe on every page.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.assessment.models import AssessmentRound
from lms.core.db import make_engine
from lms.core.time import STOCKHOLM
from lms.notify.models import Notification
from tests.browser.conftest import check_axe, sv
from tests.browser.test_journeys import expect_no_horizontal_scroll, go_via_nav, log_in, log_out
from tests.browser.test_notify import _live_server_env, _lms

DEPARTMENT = "Stockholms stadsbibliotek"
FATIMA = "Fatima Ahmed"
# Fatima (bibliotekarie) answers 5 with motivation 3 everywhere except these (self, motivation).
LOW_ANSWERS = {"4.2": (1, 5), "2.1": (2, 3), "3.2": (1, 2)}
# Anders agrees 3.2 up to the expected 3 (no need left) and 2.1 down to 1 (a need of 2).
AGREED = {"3.2": 3, "2.1": 1}
WISH = "En praktisk workshop om att kommunicera med låntagare i sociala medier."
SECRET_COMMENT = f"Privat kommentar {secrets.token_hex(3)}"


def _round_notifications(env: dict[str, str], name: str) -> dict[str, int]:
    engine = make_engine(env["LMS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            round_id = conn.scalar(select(AssessmentRound.id).where(AssessmentRound.name == name))
            rows = conn.execute(
                select(User.email, func.count(Notification.id))
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.dedupe_key.like(f"%:{round_id}:%"))
                .group_by(User.email)
            ).all()
    finally:
        engine.dispose()
    return {email: count for email, count in rows}


def _tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until `target` has the focus, as a keyboard user moves through the page."""
    handle = target.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def _choose_with_keyboard(page: Page, group: Locator, value: int) -> None:
    """Tab into a radio group with nothing chosen, Space picks 1, arrows move to `value`."""
    _tab_to(page, group.get_by_role("radio").first)
    page.keyboard.press("Space")
    for _ in range(value - 1):
        page.keyboard.press("ArrowRight")
    expect(group.get_by_role("radio").nth(value - 1)).to_be_checked()


def _answer_step_by_keyboard(page: Page, code: str, number: int) -> None:
    self_level, motivation = LOW_ANSWERS.get(code, (5, 3))
    groups = page.locator("#answer-form fieldset")
    _choose_with_keyboard(page, groups.nth(0), self_level)
    _choose_with_keyboard(page, groups.nth(1), motivation)
    if number == 1:
        comment = page.get_by_role("textbox")
        _tab_to(page, comment)
        page.keyboard.type(SECRET_COMMENT)
    _tab_to(page, page.get_by_role("button", name=sv("Save and continue")))
    page.keyboard.press("Enter")


def _open_round(page: Page, name: str, today: date) -> None:
    log_in(page, "coordinator")
    go_via_nav(page, "Samordning")
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Assessment rounds"))
    check_axe(page, "rounds-index")
    page.get_by_role("link", name=sv("New round")).click()
    page.get_by_role("textbox", name=sv("Name"), exact=True).fill(name)
    page.get_by_label(sv("Opens on")).fill(today.isoformat())
    page.get_by_label(sv("Closes on")).fill((today + timedelta(days=20)).isoformat())
    page.get_by_role("checkbox", name=DEPARTMENT).check()
    check_axe(page, "round-new")
    page.get_by_role("button", name=sv("Save")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    log_out(page)


def _self_assess(page: Page, name: str) -> None:
    log_in(page, "employee")
    go_via_nav(page, "Min kompetens")
    check_axe(page, "my-competence")
    round_card = page.get_by_role("article", name=name)
    round_card.get_by_role("button", name=sv("Start your self-assessment")).click()
    check_axe(page, "self-assessment-step")
    codes: list[str] = []
    while "/steg/" in page.url:
        heading = page.get_by_role("heading", level=2).first.inner_text()
        code = heading.split()[0]
        codes.append(code)
        before = page.url
        _answer_step_by_keyboard(page, code, len(codes))
        page.wait_for_url(lambda url, before=before: url != before)
    assert len(codes) == 12 and "6.1" not in codes  # area 6 is not for a bibliotekarie
    expect(page).to_have_url(re.compile(r"/granska$"))
    check_axe(page, "self-assessment-summary")
    _tab_to(page, page.get_by_role("button", name=sv("Submit")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("My competence"))
    submitted = page.get_by_role("article", name=name)
    submitted.get_by_role("link", name=re.compile(sv("Submitted – see your answers"))).click()
    expect(page.get_by_text(SECRET_COMMENT)).to_be_visible()  # the person reads her own
    log_out(page)


def _hold_conversation(page: Page, name: str) -> None:
    log_in(page, "manager")
    page.goto("/skattning/samtal/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_axe(page, "conversation-team")
    label = f"{sv('Open the conversation')} – {FATIMA}, {name}"
    page.get_by_role("link", name=label).click()
    for code, level in AGREED.items():
        page.get_by_role("combobox", name=re.compile(re.escape(code))).select_option(str(level))
    page.get_by_role("button", name=sv("Save agreed levels")).click()
    expect(page.get_by_role("combobox", name=re.compile("2.1"))).to_have_value("1")
    page.get_by_role("textbox", name=sv("Conversation notes")).fill(
        "Vi gick igenom alla delkompetenser."
    )
    page.get_by_role("button", name=sv("Save notes")).click()
    page.get_by_role("button", name=sv("Mark conversation as held")).click()
    check_axe(page, "conversation-held")
    page.get_by_role("link", name=sv("Development plan")).first.click()
    page.get_by_role("button", name=sv("Create development plan")).click()
    goals = page.locator("#goals").get_by_role("heading", level=3)
    expect(goals).to_have_count(2)
    expect(goals.nth(0)).to_contain_text("4.2")  # gap 2 and motivation 5 …
    expect(goals.nth(1)).to_contain_text("2.1")  # … before gap 2 and motivation 3
    first_goal = page.locator("li.plan-goal").nth(0)
    chosen = first_goal.get_by_role("combobox").first
    chosen.select_option(index=1)
    title = chosen.locator("option:checked").inner_text().rsplit(" (", 1)[0]
    first_goal.get_by_role("button", name=sv("Add"), exact=True).click()
    expect(page.locator("li.plan-goal").nth(0).get_by_role("link", name=title)).to_be_visible()
    second_goal = page.locator("li.plan-goal").nth(1)
    second_goal.get_by_text(sv("Wish for a learning activity")).click()
    second_goal.get_by_role("textbox").first.fill(WISH)
    second_goal.get_by_role("button", name=sv("Send the wish")).click()
    expect(page.get_by_text(WISH)).to_be_visible()
    check_axe(page, "development-plan")
    log_out(page)


def _coordinator_reads_aggregates(page: Page, name: str) -> None:
    log_in(page, "coordinator")
    go_via_nav(page, "Samordning")
    page.get_by_role("link", name=name, exact=True).click()
    check_axe(page, "round-progress")
    expect(page.get_by_text(FATIMA)).to_have_count(0)
    page.get_by_role("link", name=re.compile(sv("Analysis"))).first.click()
    check_axe(page, "round-analytics")
    body = page.locator("main").inner_text()
    assert FATIMA not in body and SECRET_COMMENT not in body
    assert "–" in body  # one respondent: every figure suppressed
    page.get_by_role("navigation", name=sv("Coordination")).get_by_role(
        "link", name=sv("Learning requests")
    ).click()
    expect(page.get_by_text(WISH)).to_be_visible()
    assert FATIMA not in page.locator("main").inner_text()
    check_axe(page, "learning-requests")
    log_out(page)


def test_round_self_assessment_conversation_plan_and_aggregates(
    page: Page, live_server: str
) -> None:
    env = _live_server_env(live_server)
    today = datetime.now(STOCKHOLM).date()
    name = f"Skattning webbtest {secrets.token_hex(3)}"
    _open_round(page, name, today)
    _lms(env, "jobs", "run", "open_assessment_rounds")
    _lms(env, "jobs", "run", "open_assessment_rounds")  # a second run tells nobody again
    told = _round_notifications(env, name)
    assert told.get("fatima.ahmed@kultur.example.se") == 1
    assert told.get("peter.sjoberg@kultur.example.se") is None  # not in the library
    _self_assess(page, name)
    _hold_conversation(page, name)
    _coordinator_reads_aggregates(page, name)
    _employee_reads_the_news(page, name)


def _employee_reads_the_news(page: Page, name: str) -> None:
    """Fatima was told the round opened and that the conversation was held; she reads it all."""
    log_in(page, "employee")
    page.goto("/meddelanden/")
    expect(page.locator("main").get_by_text(name).first).to_be_visible()
    page.get_by_role("button", name=sv("Mark all as read")).click()
    expect(page.get_by_role("button", name=sv("Mark all as read"))).to_have_count(0)
    log_out(page)


def test_assessment_pages_fit_a_phone(page: Page) -> None:
    width = 360
    page.set_viewport_size({"width": width, "height": 780})
    log_in(page, "employee")
    for path, shot in (("/skattning/", "phone-my-competence"),):
        page.goto(path)
        expect_no_horizontal_scroll(page, width)
        check_axe(page, shot)
    log_out(page)
    log_in(page, "coordinator")
    for path, shot in (
        ("/samordning/skattning/", "phone-rounds"),
        ("/rapporter/skattning/", "phone-analytics-index"),
        ("/samordning/onskemal/", "phone-requests"),
    ):
        page.goto(path)
        expect_no_horizontal_scroll(page, width)
        check_axe(page, shot)
    page.goto("/rapporter/skattning/")
    page.get_by_role("link", name="Skattning våren 2026").first.click()
    expect_no_horizontal_scroll(page, width)
    check_axe(page, "phone-analytics-round")
