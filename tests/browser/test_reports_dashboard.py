"""The coordinator dashboard in a real browser, as Karin Holm (coordinator of Stockholms stad
kulturförvaltning) meets it in the demo: the demo programme "Digitalt kompetenslyft" with its
headline figures (the same as its ESF report's), the two charts against the target line with
their tables, the top lists, feedback and Transfer of Training. axe finds nothing, and the page
fits a 360 px phone. Screenshots at 1280 px and 360 px (LMS_SCREENSHOT_DIR).

The test only reads: the live server's demo data is shared with the other browser tests.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import check_axe, save_screenshot, sv
from tests.browser.test_journeys import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    expect_no_horizontal_scroll,
    submit_login,
)

PROGRAMME = "Digitalt kompetenslyft"
SLUG = "digitalt-kompetenslyft"


def _log_in_as_coordinator(page: Page) -> None:
    page.goto("/login")
    submit_login(page, DEMO_LOGINS["coordinator"], DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))


def _figure(page: Page, key: str) -> str:
    return page.locator(f"[data-figure={key}]").inner_text().strip()


def test_a_coordinator_follows_the_programme_on_the_dashboard(page: Page) -> None:
    _log_in_as_coordinator(page)
    page.goto("/rapporter/")
    expect(page.get_by_role("heading", level=1)).to_have_text(PROGRAMME)

    # Headline figures against the targets.
    figures = page.get_by_role("region", name=sv("Against the targets"))
    expect(figures.get_by_role("listitem")).to_have_count(3)
    expect(figures).to_contain_text("1 098")  # the participants target
    participants, hours = _figure(page, "participants"), _figure(page, "hours")
    save_screenshot(page, "dashboard-1280")

    # Two charts, each an image with a title and a summary, its legend and its table.
    progress = page.get_by_role("region", name=sv("Progress over time"))
    for title in (sv("Participants over time"), sv("Hours over time")):
        chart = progress.get_by_role("figure", name=title)
        expect(chart).to_be_visible()
        image = chart.get_by_role("img")
        expect(image).to_have_count(1)
        expect(image).to_have_attribute("aria-labelledby", re.compile(r"-title .*-desc$"))
        expect(chart.locator("polyline.chart-line")).to_have_count(1)
        expect(chart.locator("line.chart-target")).to_have_count(2)  # chart and legend
        expect(chart.locator(".chart-key").get_by_text(sv("Target line"))).to_be_visible()
        chart.locator("summary").filter(has_text=sv("The figures per month")).click()
        table = chart.get_by_role("table")
        expect(table).to_be_visible()
        expect(table.locator("tbody tr")).to_have_count(31)  # September 2023 – March 2026
        expect(table.locator("tbody tr").first.get_by_role("rowheader")).to_have_text(
            "september 2023"
        )

    # The top lists, feedback and Transfer of Training are there, tables with captions.
    top = page.get_by_role("region", name=sv("Most popular activities"))
    expect(top.get_by_role("table")).to_have_count(2)
    expect(page.get_by_role("heading", name=sv("Feedback"), exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Transfer of Training", exact=True)).to_be_visible()
    check_axe(page, "dashboard-1280-tables")  # with the month tables open

    # The ESF report shows the same headline figures.
    page.get_by_role("navigation", name=sv("More about the programme")).get_by_role(
        "link", name=sv("ESF report")
    ).click()
    expect(page).to_have_url(re.compile(rf"/rapporter/esf/program/{SLUG}$"))
    assert (_figure(page, "participants"), _figure(page, "hours")) == (participants, hours)

    # On a phone: nothing sideways, the charts scale down, axe still finds nothing.
    width = 360
    page.set_viewport_size({"width": width, "height": 780})
    page.goto("/rapporter/")
    expect_no_horizontal_scroll(page, width)
    for svg in page.locator("svg.line-chart").all():
        box = svg.bounding_box()
        assert box is not None and box["width"] <= width
    check_axe(page, "dashboard-360")
