from tests.browser.conftest import check_axe


def test_explore(page):
    page.goto("/login")
    page.get_by_label("E-mail").fill("peter.sjoberg@kultur.example.se")
    page.get_by_label("Password", exact=True).fill("larlyft-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    print(page.url, page.locator("h1").inner_text())
    print("nav visible:", page.locator("header nav").is_visible())
    print(page.evaluate("() => getComputedStyle(document.querySelector('header nav')).display"))
    print(page.get_by_role("link").all_inner_texts())
    check_axe(page, "explore-start")
