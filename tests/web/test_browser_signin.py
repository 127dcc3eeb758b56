"""Staff sign-in in a real browser (Debian's Chromium through Playwright): a desk officer signs
in, decides and sees the entry number; not signed in, the card says NOT RECORDED."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sanctuarygate.settings import get_settings

from .staff import PASSWORD, new_member
from .test_browser import _fill_detainer_case, base_url, browser  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js", [True, False])
def test_a_desk_officer_signs_in_decides_and_sees_the_entry(browser: Browser,  # noqa: F811
                                                            base_url: str, js: bool) -> None:  # noqa: F811
    member = new_member("desk")
    context = browser.new_context(java_script_enabled=js, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(base_url + "/")
    expect(page.locator("#not-signed-in")).to_contain_text("NOT RECORDED")
    with page.expect_navigation():
        page.click("#signin-link")
    page.fill("#name", member.name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#signin-button")
    assert page.url == base_url + "/"
    expect(page.locator("#signed-in-as")).to_contain_text(member.name)
    _fill_detainer_case(page, js=js)
    page.fill("#date", get_settings().today().isoformat())
    if js:
        page.click("#decide-button")
    else:
        with page.expect_navigation():
            page.click("#decide-button")
    card = page.locator("#answer-card")
    expect(card).to_contain_text("NO — DENY")
    expect(card.locator(".log-index")).to_contain_text("Recorded in the public decision log as entry #")
    expect(card).not_to_contain_text("NOT RECORDED")
    if js:  # the try button sends mode=try (htmx includes the button pressed): nothing recorded
        page.click("#try-button")
    else:
        with page.expect_navigation():
            page.click("#try-button")
    expect(card.locator("#not-recorded")).to_contain_text("NOT RECORDED — a try")
    with page.expect_navigation():
        page.click("#signout-button")
    expect(page.locator("#signin-link")).to_be_visible()
    context.close()


def test_not_signed_in_the_card_says_not_recorded(browser: Browser,  # noqa: F811
                                                  base_url: str) -> None:  # noqa: F811
    context = browser.new_context(locale="es", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(base_url + "/")
    _fill_detainer_case(page, js=True)
    page.fill("#date", get_settings().today().isoformat())
    page.click("#decide-button")
    card = page.locator("#answer-card")
    expect(card).to_contain_text("NO — DENEGAR")
    expect(card.locator("#not-recorded")).to_contain_text("NO REGISTRADA — una prueba")
    expect(card).not_to_contain_text("entrada #")
    context.close()
