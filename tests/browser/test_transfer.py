"""Transfer of Training in a real browser: stopped before, prepared, booked, attended, followed up.

Fatima (employee) opens the library's AI workshop series, whose preparation is required. She
tries to book, is stopped with a link to the task, writes her reflection, comes back and
books. The session then takes place: the test moves it into the past in the live server's
database (time travel for the server), and Maria (course owner) marks her present. Fatima
finds her follow-ups in "Mina uppgifter"; on the due date the reminder job runs (time travel
with `lms jobs run --at`) and the reminder mail reaches a local SMTP server. She answers the
follow-up, marks the talk with her manager as held, and Anders (her manager) confirms it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from lms.catalog.models import Activity, ActivitySession
from lms.core.db import make_engine
from lms.core.time import STOCKHOLM, utcnow
from lms.transfer.models import TaskResponse
from tests.browser.conftest import check_axe, sv
from tests.browser.test_journeys import log_in, main_nav
from tests.browser.test_notify import _live_server_env, _lms
from tests.browser.test_taking_part import other_page  # noqa: F401  (a fixture)
from tests.support.smtp import RecordingSmtpServer, smtp_server  # noqa: F401  (a fixture)

SLUG = "kallkritik-och-ai-pa-biblioteket-workshopserie"
TITLE = "Källkritik och AI på biblioteket – workshopserie"
PRE_TASK = "Testa ett AI-verktyg"
FOLLOW_UP = "Prova i mötet med låntagare"
TALK = "Samtal med din chef om nästa steg"
FOLLOW_UP_DAYS = 21  # `due_days` of the follow-up in the content file
EMPLOYEE_EMAIL = "fatima.ahmed@kultur.example.se"


def _first_session_id(env: dict[str, str]) -> int:
    engine = make_engine(env["LMS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            session_id = conn.scalar(
                select(ActivitySession.id)
                .join(Activity, Activity.id == ActivitySession.activity_id)
                .where(Activity.slug == SLUG, ActivitySession.is_cancelled.is_(False))
                .order_by(ActivitySession.starts_at)
                .limit(1)
            )
    finally:
        engine.dispose()
    assert session_id is not None
    return int(session_id)


def _hold_session_now(env: dict[str, str], session_id: int) -> datetime:
    """The session took place: it began three hours ago and ended 90 minutes ago."""
    ends_at = utcnow().replace(microsecond=0) - timedelta(minutes=90)
    engine = make_engine(env["LMS_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            conn.execute(
                update(ActivitySession)
                .where(ActivitySession.id == session_id)
                .values(
                    starts_at=ends_at - timedelta(minutes=90),
                    ends_at=ends_at,
                    booking_deadline=None,
                    cancel_deadline=None,
                )
            )
    finally:
        engine.dispose()
    return ends_at


def _due_dates(env: dict[str, str]) -> list[str]:
    engine = make_engine(env["LMS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.scalars(
                select(TaskResponse.due_on)
                .where(TaskResponse.completion_id.is_not(None))
                .order_by(TaskResponse.due_on)
            )
            return [str(day) for day in rows]
    finally:
        engine.dispose()


def test_pre_task_booking_attendance_follow_up_reminder_and_manager_confirmation(
    page: Page,
    other_page: Page,  # noqa: F811
    live_server: str,
    smtp_server: RecordingSmtpServer,  # noqa: F811
) -> None:
    env = _live_server_env(live_server)
    employee = page
    log_in(employee, "employee")
    # Reminders by mail right away (another journey may have chosen the weekly summary).
    employee.goto("/meddelanden/installningar")
    group = employee.get_by_role("group", name=sv("E-mail about notifications"))
    group.get_by_role("radio", name=sv("Right away")).check()
    employee.get_by_role("button", name=sv("Save")).click()

    # 1. Stopped before booking, with a link to the preparation.
    employee.goto(f"/katalog/{SLUG}")
    expect(employee.get_by_role("heading", level=1)).to_have_text(TITLE)
    before = employee.get_by_role("region", name=sv("Before you start"))
    expect(before).to_contain_text(PRE_TASK)
    check_axe(employee, "transfer-activity-before")
    book = re.compile(rf"^{re.escape(sv('Book'))}\s*,")
    employee.get_by_role("button", name=book).first.click()
    message = employee.locator(".flashes")
    expect(message).to_contain_text(TITLE)
    expect(message.get_by_role("link", name=PRE_TASK)).to_be_visible()
    check_axe(employee, "transfer-stopped")

    # 2. The reflection, then back where she was.
    message.get_by_role("link", name=PRE_TASK).click()
    expect(employee.get_by_role("heading", level=1)).to_have_text(PRE_TASK)
    check_axe(employee, "transfer-pre-task")
    employee.get_by_role("button", name=sv("Save")).click()
    expect(employee.get_by_text(sv("Write your reflection before you save."))).to_be_visible()
    answer = employee.get_by_role("textbox").first
    answer.fill(
        "Jag frågade om Rinkeby biblioteks öppettider. Två av tre svar var fel, och en "
        "låntagare hade inte kunnat se det utan att ringa oss."
    )
    employee.get_by_role("button", name=sv("Save")).click()
    expect(employee).to_have_url(re.compile(rf"/katalog/{SLUG}$"))
    expect(employee.locator(".flashes")).to_contain_text(sv("Saved. The task is done."))
    expect(before.get_by_text(sv("Done"), exact=True)).to_be_visible()

    employee.get_by_role("button", name=book).first.click()
    expect(employee.locator(".flashes")).to_contain_text(
        sv("You are booked. Your seat: %(seat)s.", seat=1)
    )
    check_axe(employee, "transfer-booked")

    # 3. The session takes place; Maria marks her present.
    session_id = _first_session_id(env)
    ended = _hold_session_now(env, session_id)
    owner = other_page
    log_in(owner, "course_owner")
    owner.goto(f"/bokningar/tillfalle/{session_id}/narvaro")
    row = owner.get_by_role("row").filter(has_text="Fatima Ahmed")
    row.get_by_role("radio").first.check()
    owner.get_by_role("button", name=sv("Save attendance")).click()
    expect(owner.locator(".flashes")).to_be_visible()
    expect(row.get_by_role("radio").first).to_be_checked()

    # 4. The follow-ups are in "Mina uppgifter", due 21 and 30 days after the session.
    main_nav(employee).get_by_role("link", name="Mina uppgifter").click()
    expect(employee.get_by_role("heading", level=1)).to_have_text(sv("My tasks"))
    to_do = employee.get_by_role("region", name=sv("To do"))
    group_of = to_do.get_by_role("region", name=TITLE)
    expect(group_of.get_by_role("heading", name=FOLLOW_UP)).to_be_visible()
    expect(group_of.get_by_role("heading", name=TALK)).to_be_visible()
    done = employee.get_by_role("region", name=sv("Done tasks"))
    expect(done.get_by_role("heading", name=PRE_TASK)).to_be_visible()
    check_axe(employee, "transfer-my-tasks")
    ended_local = ended.astimezone(STOCKHOLM).date()
    due = ended_local + timedelta(days=FOLLOW_UP_DAYS)
    assert str(due) in _due_dates(env)

    # 5. Time travel to the due date: the reminder job runs, the mail arrives; once only.
    mail_env = dict(env, LMS_SMTP_HOST="127.0.0.1", LMS_SMTP_PORT=str(smtp_server.port))
    at = f"{due.isoformat()}T08:00"
    _lms(mail_env, "jobs", "run", "send_transfer_reminders", "--at", f"{due.isoformat()}T07:59")
    _lms(mail_env, "jobs", "run", "send_transfer_reminders", "--at", at)
    _lms(mail_env, "jobs", "run", "send_outbox")
    mine = [m for m in smtp_server.messages if EMPLOYEE_EMAIL in str(m["To"])]
    assert [m for m in mine if FOLLOW_UP in str(m["Subject"])], [str(m["Subject"]) for m in mine]
    count = len(mine)
    _lms(mail_env, "jobs", "run", "send_transfer_reminders", "--at", f"{due.isoformat()}T09:00")
    _lms(mail_env, "jobs", "run", "send_outbox")
    assert len([m for m in smtp_server.messages if EMPLOYEE_EMAIL in str(m["To"])]) == count

    # 6. She answers the follow-up and marks the talk with her manager as held.
    employee.reload()
    group_of.get_by_role("link", name=re.compile(rf"{re.escape(FOLLOW_UP)}$")).click()
    expect(employee.get_by_role("heading", level=1)).to_have_text(FOLLOW_UP)
    check_axe(employee, "transfer-follow-up")
    employee.get_by_role("textbox").first.fill(
        "Jag använde övningen med tre AI-svar i en skolklassvisning. Eleverna hittade felen själva."
    )
    employee.get_by_role("button", name=sv("Save")).click()
    expect(employee.locator(".flashes")).to_contain_text(sv("Saved. The task is done."))
    employee.goto("/uppgifter/")
    employee.get_by_role("link", name=re.compile(rf"{re.escape(TALK)}$")).click()
    employee.get_by_role("textbox").first.fill("Vi bestämde att prova övningarna på språkcaféet.")
    employee.get_by_role("button", name=sv("Mark the conversation as held")).click()
    expect(employee.locator(".flashes")).to_contain_text(
        sv("Saved. Your manager is asked to confirm that you have talked.")
    )

    # 7. Anders confirms it from his team's tasks.
    manager = other_page
    manager.context.clear_cookies()
    log_in(manager, "manager")
    manager.goto("/mitt-larande/team")
    manager.get_by_role("link", name=sv("My team's tasks")).click()
    expect(manager.get_by_role("heading", level=1)).to_have_text(sv("My team's tasks"))
    waiting = manager.get_by_role("region", name=sv("Waiting for your confirmation"))
    expect(waiting).to_contain_text("Fatima Ahmed")
    expect(waiting).to_contain_text(TALK)
    check_axe(manager, "transfer-team")
    waiting.get_by_role(
        "button", name=re.compile(rf"{re.escape(sv('Confirm'))}.*Fatima Ahmed")
    ).click()
    expect(manager.locator(".flashes")).to_contain_text(
        sv("Confirmed. %(name)s has been told.", name="Fatima Ahmed")
    )
    expect(waiting).to_contain_text(sv("Nothing is waiting for your confirmation."))
    expect(waiting).not_to_contain_text(TALK)

    # 8. All done on her side.
    employee.goto("/uppgifter/")
    done = employee.get_by_role("region", name=sv("Done tasks"))
    for title in (PRE_TASK, FOLLOW_UP, TALK):
        expect(done.get_by_role("heading", name=title)).to_be_visible()
    check_axe(employee, "transfer-all-done")


def test_course_owner_adds_a_follow_up_and_reads_the_follow_through(page: Page) -> None:
    """Maria adds a checklist follow-up to her e-mail nano-lesson in the editor, finds it
    listed, and opens the activity's follow-through figures (axe on every page, phone too)."""
    slug = "smartare-e-post-fa-ordning-pa-inkorgen"
    title = "Efter en vecka: håll inkorgen tom"
    log_in(page, "course_owner")
    page.goto(f"/redigera/{slug}")
    page.get_by_role("link", name=sv("Edit pre-tasks and follow-ups")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Pre-tasks and follow-ups"))
    check_axe(page, "transfer-editor-tasks")

    page.get_by_role("link", name=sv("Add a follow-up")).click()
    check_axe(page, "transfer-editor-new")
    page.get_by_label(sv("Title")).fill(title)
    page.get_by_role("radio", name=re.compile(f"^{re.escape(sv('Checklist'))}")).check()
    page.get_by_label(sv("Instructions (Markdown)")).fill(
        "Prova reglerna och mapparna från lektionen i **en hel vecka**."
    )
    page.get_by_label(sv("Checklist items")).fill(
        "Jag har skapat en regel\n"
        "Jag har flaggat i stället för att låta mejl ligga\n"
        "Jag har tömt inkorgen en fredag"
    )
    page.get_by_label(sv("Due, in days after completion")).fill("0")
    page.get_by_role("button", name=sv("Add task")).click()
    message = sv("Between 1 and %(n)d days.", n=365)
    expect(page.locator("#due_days-error")).to_contain_text(message)  # beside the field
    expect(page.get_by_role("link", name=message)).to_be_visible()  # and in the summary
    check_axe(page, "transfer-editor-error")
    page.get_by_label(sv("Due, in days after completion")).fill("7")
    page.get_by_role("button", name=sv("Add task")).click()
    follow_ups = page.get_by_role("region", name=sv("Follow-ups"))
    expect(follow_ups.get_by_role("cell", name=title)).to_be_visible()
    check_axe(page, "transfer-editor-added")

    page.get_by_role("navigation", name="Transfer of Training").get_by_role(
        "link", name=sv("Follow-through")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_axe(page, "transfer-owner-report")
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    check_axe(page, "phone-transfer-owner-report")
