"""The public pages in a real browser (Debian's Chromium through Playwright), with axe-core.

The transparency page (over a log with small, suppressed counts), the rules index, a place and
a pack are loaded in English and Spanish; axe-core (vendored test data, ``vendor/VENDORED.md``),
injected with ``add_script_tag``, must find no serious or critical violation (landmarks,
headings, contrast, names, alt text). The keyboard reaches the pages from the masthead, and
the page works without JavaScript: tables, charts (images) and the CSV links are all there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import load_settings
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web.app import create_app

from .conftest import serving
from .test_browser import browser  # noqa: F401 (fixture)
from .test_transparency import fill

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
PAGES = ["/transparency", "/rules", "/rules/chicago", "/rules/packs/chi-wco-2021",
         "/rules/packs/ocad-proposed-eo-2019"]


@pytest.fixture(scope="module")
def public_url(decider: Decider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server (in a thread, on a free port) over a private log with a known history."""
    folder = tmp_path_factory.mktemp("public")
    engine = make_engine(f"sqlite:///{folder / 'log.sqlite'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="city.example/log", data_dir=folder / "data")
    fill(log, decider)
    app = create_app(load_settings(), decider=decider, log=log)
    with serving(app) as url:
        yield url
    engine.dispose()


def test_the_vendored_axe_is_the_recorded_file() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def _axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(browser: Browser, public_url: str,  # noqa: F811
                                             path: str, lang: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
    page = context.new_page()
    page.goto(f"{public_url}{path}?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("main h1")).to_have_count(1)
    assert _axe(page) == []
    context.close()


def test_the_charts_load_with_alt_text_and_their_tables(browser: Browser,  # noqa: F811
                                                        public_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(public_url + "/transparency")
    sections = page.locator("section.report-table:has(figure.chart)")
    expect(sections).to_have_count(6)
    for i in range(6):
        section = sections.nth(i)
        chart = section.locator("figure.chart img")
        assert chart.evaluate("img => img.complete && img.naturalWidth > 100"), "not drawn"
        assert (chart.get_attribute("alt") or "").endswith(".")
        expect(section.locator("table.counts")).to_have_count(1)  # its table beside it
    decisions = page.locator("#table-decisions table")
    expect(decisions).to_contain_text("fewer than 5")
    exceptions = page.locator("#exceptions tbody tr")
    expect(exceptions).to_have_count(3)
    expect(exceptions.nth(2)).to_contain_text("in force")
    context.close()


def test_the_keyboard_reaches_the_public_pages(browser: Browser,  # noqa: F811
                                               public_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(public_url + "/transparency")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    reached = []
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('href')"))
        if reached[-1] == "/rules":
            break
    assert reached[-1] == "/rules", reached
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == public_url + "/rules"
    # a table too wide for the screen scrolls from the keyboard: its region takes focus
    assert page.locator(".table-scroll").first.get_attribute("tabindex") == "0"
    context.close()


def test_the_pages_work_without_javascript(browser: Browser, public_url: str) -> None:  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(public_url + "/transparency?lang=es")
    expect(page.locator("h1")).to_contain_text("Lo que se pidió a la ciudad")
    expect(page.locator("figure.chart img")).to_have_count(6)
    expect(page.locator("#exceptions tbody tr").first).to_contain_text("vencida")
    expect(page.locator("#table-decisions table")).to_contain_text("menos de 5")
    with page.expect_download() as download:
        page.click("a[href='/transparency/decisions.csv']")
    assert download.value.suggested_filename == "decisions.csv"
    with page.expect_download() as listed:
        page.click("a[href='/transparency/exceptions.csv']")
    assert listed.value.suggested_filename == "exceptions.csv"
    page.goto(public_url + "/rules/chicago")
    expect(page.locator("h1")).to_contain_text("City of Chicago")
    context.close()


def test_axe_finds_what_it_should(browser: Browser) -> None:  # noqa: F811
    """The check can fail: an image without alt text and grey-on-grey text are reported."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="en"><body><main><h1>x</h1><img src="data:image/gif;base64,'
                     'R0lGODlhAQABAAAAACw=">'
                     '<p style="color:#999;background:#aaa">faint</p></main></body></html>')
    found = {v["id"] for v in _axe(page)}
    assert {"image-alt", "color-contrast"} <= found
    context.close()
