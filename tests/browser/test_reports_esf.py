"""The ESF report in a real browser, as the coordinator who reports to the funder uses it.

Karin Holm (coordinator, report scope "all", the reporting permission in the demo) opens
"Digitalt kompetenslyft" from the ESF reports page, narrows it to one department with the
select and "Visa": the key figures become that department's row of the department table.
She downloads the XLSX, which holds the figures the page shows, and opens the per-person
listing. axe finds nothing on the report or the listing, and both fit a 360 px phone.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_axe, save_screenshot, sv
from tests.browser.test_journeys import expect_no_horizontal_scroll, log_in

PROGRAMME = "Digitalt kompetenslyft"
SLUG = "digitalt-kompetenslyft"


def number(text: str) -> float:
    """ "1 636,9" → 1636.9 (the page writes Swedish numbers)."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).replace("−", "-").replace(",", ".")
    return float(cleaned)


def figure(page: Page, key: str) -> float:
    return number(page.locator(f'[data-figure="{key}"]').inner_text())


def busiest_department(page: Page) -> tuple[str, int, float]:
    """The department table's row with the most participants: name, participants, hours."""
    rows = page.locator("#by-department tbody tr")
    best: tuple[str, int, float] = ("", -1, 0.0)
    for index in range(rows.count()):
        cells = rows.nth(index).locator("th, td").all_inner_texts()
        people = int(number(cells[2]))
        if people > best[1]:
            best = (cells[0].strip(), people, number(cells[3]))
    return best


def open_programme(page: Page) -> None:
    page.goto("/rapporter/esf/")
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("ESF reports"))
    page.get_by_role("link", name=PROGRAMME).click()
    expect(page).to_have_url(re.compile(rf"/rapporter/esf/program/{SLUG}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PROGRAMME)


def test_coordinator_filters_by_department_and_downloads_the_xlsx(
    page: Page, tmp_path: Path
) -> None:
    log_in(page, "coordinator")
    open_programme(page)
    everyone = figure(page, "participants")
    check_axe(page, "esf-report")
    name, participants, hours = busiest_department(page)
    assert 0 < participants < everyone

    page.get_by_label(sv("Department"), exact=True).select_option(label=name)
    page.get_by_role("button", name=sv("Show"), exact=True).click()
    expect(page).to_have_url(re.compile(r"avdelning=\d+$"))
    assert figure(page, "participants") == participants
    assert figure(page, "hours") == hours
    assert page.locator("#by-department tbody tr").count() == 1
    save_screenshot(page, "esf-report-department-desktop")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=sv("Excel (XLSX)"), exact=True).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    book = load_workbook(target)
    summary = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    participants_row, hours_row = summary[-3], summary[-2]
    assert participants_row[1] == participants
    assert round(hours_row[1], 1) == hours
    departments = [list(r) for r in book.worksheets[2].iter_rows(values_only=True)][1:]
    assert [(row[1], row[2]) for row in departments] == [(name, participants)]

    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    expect_no_horizontal_scroll(page, 360)
    save_screenshot(page, "esf-report-department-phone")


def test_the_per_person_listing_is_accessible(page: Page) -> None:
    log_in(page, "coordinator")
    open_programme(page)
    link = sv("Hours per person and month (participant listing for the funder)")
    page.get_by_role("link", name=link).click()
    expect(page).to_have_url(re.compile(rf"/program/{SLUG}/personer$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(sv("Hours per person and month"))
    assert page.locator("table tbody tr").count() > 0
    check_axe(page, "esf-people")
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    expect_no_horizontal_scroll(page, 360)
    check_axe(page, "esf-people-phone")


def test_the_report_fits_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 360, "height": 780})
    log_in(page, "coordinator")
    open_programme(page)
    expect_no_horizontal_scroll(page, 360)
    check_axe(page, "esf-report-phone")
    page.goto("/rapporter/esf/period?fran=2024-12-31&till=2024-01-01")
    expect(page.get_by_role("alert")).to_be_visible()
    expect_no_horizontal_scroll(page, 360)
    check_axe(page, "esf-period-error-phone")
