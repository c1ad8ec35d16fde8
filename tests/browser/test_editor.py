"""Authoring in a real browser: write a nano-lesson with live preview, publish it, find it.

The editor's wording comes from the Swedish catalog through `sv(msgid)`.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import check_axe, sv
from tests.browser.test_journeys import expect_no_horizontal_scroll, log_in, main_nav

TITLE = "Säkra lösenord på fem minuter"
SLUG = "sakra-losenord-pa-fem-minuter"
FIRST_DRAFT = """## Varför långa lösenord?

Ett långt lösenord är svårare att gissa än ett krångligt.
"""
MORE_TEXT = """
::: tip
Använd en lösenordshanterare, så behöver du bara komma ihåg ett lösenord.
:::

```quiz
- question: Vilket lösenord är starkast?
  kind: single
  options:
    - text: Sommar2024!
      feedback: Kort och lätt att gissa.
    - text: korv-cykel-molnig-trappa
      correct: true
      feedback: Rätt – längden gör det starkt.
```
"""
QUIZ_QUESTION = "Vilket lösenord är starkast?"


def open_editor_list(page: Page) -> None:
    main_nav(page).get_by_role("link", name=sv("My activities"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/redigera/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("My activities"))


def write_new_nano_lesson(page: Page) -> None:
    page.get_by_role("link", name=sv("New activity")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("New activity"))
    page.get_by_label(sv("Title"), exact=True).fill(TITLE)
    page.get_by_label(sv("Summary"), exact=True).fill("Så gör du ett lösenord som håller.")
    page.get_by_label(sv("Format"), exact=True).select_option("nanolesson")
    page.get_by_label(sv("Credited time in minutes")).fill("5")
    competences = page.get_by_role("group", name="4 Digital säkerhet")
    competences.get_by_label("4.1 Skydda enheter och information").fill("1")

    body = page.get_by_label(sv("Content (Markdown)"))
    preview = page.locator("#preview")
    body.fill(FIRST_DRAFT)
    expect(preview.get_by_role("heading", name="Varför långa lösenord?")).to_be_visible()
    body.press("Control+End")
    body.type(MORE_TEXT, delay=0)
    expect(preview.locator(".admonition-tip")).to_contain_text("lösenordshanterare")
    expect(preview).not_to_contain_text(QUIZ_QUESTION)
    expect(page.locator("#preview-quiz")).to_be_visible()
    expect(page.locator("#preview-problems")).to_be_hidden()
    check_axe(page, "editor-new-with-preview")


def save_and_publish(page: Page) -> None:
    page.get_by_role("button", name=sv("Save"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/redigera/{SLUG}$"))
    expect(page.get_by_role("status")).to_contain_text(sv("The activity was created as a draft."))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.get_by_role("button", name=sv("Publish"), exact=True).click()
    expect(page.locator(".editor-meta .tag")).to_have_text(sv("Published"))
    expect(page.get_by_role("button", name=sv("Archive"), exact=True)).to_be_visible()
    expect(page.locator("#preview")).not_to_contain_text(QUIZ_QUESTION)
    check_axe(page, "editor-edit-published")


def change_and_look_at_the_diff(page: Page) -> None:
    body = page.get_by_label(sv("Content (Markdown)"))
    body.fill(body.input_value().replace("svårare att gissa", "mycket svårare att knäcka"))
    expect(page.locator("#preview")).to_contain_text("mycket svårare att knäcka")
    page.get_by_label(sv("What did you change? (optional)")).fill("Tydligare formulering")
    page.get_by_role("button", name=sv("Save"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(sv("Your changes were saved."))

    page.get_by_role("link", name=sv("Version history")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Version history"))
    expect(page.get_by_role("cell", name="Tydligare formulering")).to_be_visible()
    check_axe(page, "editor-revisions")

    page.get_by_role("link", name=sv("Version %(n)d", n=3), exact=True).click()
    diff = page.locator("table.diff")
    expect(diff.locator("tr.diff-added")).to_contain_text("mycket svårare att knäcka")
    expect(diff.locator("tr.diff-removed")).to_contain_text("svårare att gissa")
    check_axe(page, "editor-diff")

    page.get_by_role("link", name=sv("Version %(n)d", n=2), exact=True).click()
    facts = page.locator("table.meta-diff")
    expect(facts.get_by_role("row", name=re.compile(sv("Status")))).to_contain_text(sv("Published"))
    expect(page.get_by_role("button", name=sv("Restore version %(n)d", n=2))).to_be_visible()
    check_axe(page, "editor-diff-status-change")


def find_it_in_the_catalogue(page: Page) -> None:
    page.goto(f"/redigera/{SLUG}")
    page.get_by_role("link", name=sv("Show in the catalogue")).click()
    expect(page).to_have_url(re.compile(rf"/katalog/{SLUG}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("main")).to_contain_text("mycket svårare att knäcka")
    # …and as a learner finds it: through the catalogue's search.
    page.get_by_role("navigation", name=sv("Main navigation")).get_by_role(
        "link", name="Katalog"
    ).click()
    page.get_by_label("Sök", exact=True).fill("lösenord")
    page.get_by_role("button", name="Visa aktiviteter").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/katalog/{SLUG}$"))


def test_course_owner_writes_previews_publishes_and_finds_a_nano_lesson(page: Page) -> None:
    log_in(page, "course_owner")
    open_editor_list(page)
    check_axe(page, "editor-list")
    write_new_nano_lesson(page)
    save_and_publish(page)
    change_and_look_at_the_diff(page)
    find_it_in_the_catalogue(page)


def test_an_employee_gets_the_403_page_for_the_editor(page: Page) -> None:
    log_in(page, "employee")
    expect(main_nav(page).get_by_role("link", name=sv("My activities"))).to_have_count(0)
    response = page.goto("/redigera/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        sv("You do not have access to this page")
    )
    check_axe(page, "editor-403")


def test_course_owner_opens_a_lesson_of_her_course(page: Page) -> None:
    log_in(page, "course_owner")
    page.goto("/redigera/office-grunder-word-excel-och-teams-i-vardagen")
    lessons = page.get_by_role("region", name=sv("Lessons"))
    lessons.get_by_role("link", name=re.compile("^Excel")).click()
    expect(page).to_have_url(re.compile(r"/lektioner/excel-tabeller-och-filter$"))
    body = page.get_by_label(sv("Content (Markdown)"))
    body.fill(body.input_value() + "\n\n::: note\nEn ny anteckning.\n:::\n")
    expect(page.locator("#preview .admonition-note")).to_contain_text("En ny anteckning.")
    check_axe(page, "editor-lesson")


def test_editor_pages_fit_a_phone(page: Page) -> None:
    width = 360
    page.set_viewport_size({"width": width, "height": 780})
    log_in(page, "course_owner")
    for slug in (
        "office-grunder-word-excel-och-teams-i-vardagen",
        "kallkritik-och-ai-pa-biblioteket-workshopserie",
    ):
        page.goto(f"/redigera/{slug}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect_no_horizontal_scroll(page, width)
        check_axe(page, f"phone-editor-{slug[:20]}")
    page.goto("/redigera/")
    expect_no_horizontal_scroll(page, width)
    check_axe(page, "phone-editor-list")
