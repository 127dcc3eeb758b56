"""The desk's property picker and the property refusal card in a real browser (Debian's
Chromium through Playwright), with JavaScript (htmx swaps the card in) and without (the form
posts and the page comes back with the card); and the public registry page with its map."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from sanctuarygate.audit.default import default_log
from sanctuarygate.demo.property import seed_properties
from sanctuarygate.policy.decide import Decider

from .conftest import serving, web_app
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_public import _axe

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(decider: Decider) -> Iterator[str]:
    seed_properties(default_log().engine)  # the demo registries (idempotent)
    with serving(web_app(decider)) as url:
        yield url


def _ask_border_patrol_to_stage(page: Page, *, js: bool) -> None:
    page.select_option("#profile", "north-chicago")
    if js:
        with page.expect_response(lambda r: "/desk/agencies" in r.url):
            page.fill("#agency", "CBP-USBP")
        page.keyboard.press("Escape")
    else:
        page.fill("#agency", "CBP-USBP")
    page.select_option("#action", "use-property")
    page.select_option("#purpose", "civil-immigration-enforcement")
    page.select_option("#use", "staging-area")
    expect(page.locator("#property_id")).to_be_visible()
    page.select_option("#property_id", "NC-LOT-14")


def _check_refusal(page: Page) -> None:
    card = page.locator("#answer-card")
    expect(card).to_contain_text("NO — DENY")
    refusal = page.locator("#property-refusal")
    expect(refusal).to_contain_text("Synthetic Lot 14 (demo)")
    expect(refusal.locator("#step-sign")).to_contain_text("2025-10-27 by Public Works")
    expect(refusal.locator("#step-record")).to_contain_text("names, badge numbers and agency")
    expect(refusal.locator("#step-report")).to_contain_text("Report the attempted use to Public Works")
    expect(refusal.locator("#step-gate")).to_contain_text("Lock the gate")
    expect(refusal.locator("#report-attempt")).to_have_attribute("href", "/report?property=NC-LOT-14")


def test_picking_the_lot_with_javascript(browser: Browser, base_url: str) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.goto(base_url + "/")
    page.select_option("#action", "notify-release")
    expect(page.locator("#property_id")).to_be_hidden()  # not a question about property
    page.select_option("#action", "use-property")
    page.select_option("#profile", "waukegan")  # the picker offers the place's property only
    assert page.evaluate("""() => [...document.querySelectorAll('#property_id optgroup')]
        .filter(g => !g.hidden).map(g => g.dataset.place)""") == ["waukegan"]
    page.select_option("#property_id", "WK-LOT-03")
    page.select_option("#profile", "north-chicago")  # another place: the pick is cleared
    expect(page.locator("#property_id")).to_have_value("")
    _ask_border_patrol_to_stage(page, js=True)
    page.click("#decide-button")
    _check_refusal(page)
    assert page.url == base_url + "/"
    context.close()


def test_picking_the_lot_without_javascript(browser: Browser, base_url: str) -> None:  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/")
    _ask_border_patrol_to_stage(page, js=False)
    with page.expect_navigation():
        page.click("#decide-button")
    _check_refusal(page)
    expect(page.locator("#property_id")).to_have_value("NC-LOT-14")  # kept for the next ask
    context.close()


def test_the_registry_page_and_its_map_without_javascript(browser: Browser,  # noqa: F811
                                                          base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(base_url + "/property")
    page.select_option("#place", "north-chicago")
    page.select_option("#sign", "none")
    with page.expect_navigation():
        page.click("#filter-button")
    rows = page.locator("#property-table tbody th")
    expect(rows).to_have_count(3)
    expect(page.locator("#property-table")).not_to_contain_text("NC-LOT-14")
    map_img = page.locator("#property-map")
    assert page.evaluate("document.getElementById('property-map').naturalWidth") > 0
    expect(map_img).to_have_attribute("alt", "Map of the registered property: NC-GAR-02 "
                                      "Synthetic Garage 2 (demo), no sign yet; NC-PARK-04 Synthetic "
                                      "Park 4 (demo), no sign yet; NC-VAC-09 Synthetic Vacant "
                                      "Lot 9 (demo), no sign yet.")
    assert all(url.startswith(base_url) or url.startswith("data:") for url in requested)
    context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", ["/property", "/property/NC-LOT-14"])
def test_the_registry_pages_have_no_serious_accessibility_violations(
        browser: Browser, base_url: str, path: str, lang: str) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
    page = context.new_page()
    page.goto(f"{base_url}{path}?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("main h1")).to_have_count(1)
    assert _axe(page) == []
    context.close()
