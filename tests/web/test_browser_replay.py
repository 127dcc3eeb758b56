"""The what-if replay page in a real browser (Debian's Chromium through Playwright).

A reviewer signs in, replays 2025 with the OCAD proposal added over a private log known by hand
(``test_replay_page.py``): without JavaScript (plain form posts), and downloads the PDF; then in
Spanish, where axe-core finds no serious or critical violation on the page with its report.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import load_settings
from sanctuarygate.store.db import make_engine

from .conftest import serving
from .staff import PASSWORD
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_public import _axe
from .test_replay_page import OCAD, Site, replay_log

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def replay_site(decider: Decider, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[Site, str]]:
    folder = tmp_path_factory.mktemp("replay-browser")
    engine = make_engine(f"sqlite:///{folder / 'log.sqlite'}")
    site = Site(replay_log(engine, folder, decider), decider, load_settings())
    with serving(site.app) as url:
        yield site, url
    engine.dispose()


def _sign_in_and_replay(page: Page, base: str, name: str, lang: str) -> None:
    page.goto(f"{base}/signin?next=/replay&lang={lang}")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#signin-button")
    expect(page.locator("#replay-form")).to_be_visible()
    page.select_option("#profile", "chicago")
    page.fill("#date_from", "2025-01-01")
    page.fill("#date_to", "2025-12-31")
    page.check(f"#add-{OCAD}")
    with page.expect_navigation():
        page.click("#replay-button")


def test_a_reviewer_replays_and_downloads_the_pdf_without_javascript(
        browser: Browser, replay_site: tuple[Site, str], tmp_path: Path) -> None:  # noqa: F811
    site, base = replay_site
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    _sign_in_and_replay(page, base, site.member("reviewer").name, "en")
    expect(page.locator("#replay-summary")).to_contain_text(
        "Of 4 logged decisions replayed, 2 would have been answered differently and 2 the same.")
    expect(page.locator("#replay-by-agency tbody tr")).to_have_count(1)
    expect(page.locator("#replay-by-agency")).to_contain_text("ICE-HSI")
    expect(page.locator("#replay-rules")).to_contain_text(f"{OCAD}/dhs-databases")
    expect(page.locator(f"#add-{OCAD}")).to_be_checked()  # the form keeps what was asked
    with page.expect_download() as download:
        page.click("#pdf-button")
    saved = tmp_path / "replay.pdf"
    download.value.save_as(saved)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(saved).pages)
    assert "Decisions replayed 4 Answered differently 2 Answered the same 2" in text
    page.fill("#date_from", "2026-01-01")  # after the last day: the error, no report
    with page.expect_navigation():
        page.click("#replay-button")
    expect(page.locator("#replay-error")).to_contain_text("is after")
    expect(page.locator("#replay-report")).to_have_count(0)
    context.close()


def test_the_page_in_spanish_has_no_serious_accessibility_violation(
        browser: Browser, replay_site: tuple[Site, str]) -> None:  # noqa: F811
    site, base = replay_site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es")
    page = context.new_page()
    _sign_in_and_replay(page, base, site.member("auditor").name, "es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#replay-summary")).to_contain_text(
        "De 4 decisiones registradas y reproducidas, 2 habrían recibido otra respuesta")
    expect(page.locator("main h1")).to_have_count(1)
    assert _axe(page) == []
    context.close()
