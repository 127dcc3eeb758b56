"""The residents' page in a real browser (Debian's Chromium through Playwright), in each of its
four languages: axe-core finds no serious or critical violation, the keyboard reaches every link
from the top, the phone width needs no sideways scroll, and the page sets no cookie."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import load_settings
from sanctuarygate.web.app import create_app

from .conftest import serving
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_public import _axe

pytestmark = pytest.mark.browser

HEADINGS = {"en": "What City of North Chicago promises you",
            "es": "Lo que La Ciudad de North Chicago le promete",
            "pl": "Co Miasto North Chicago Ci obiecuje",
            "zh": "北芝加哥市对您的承诺"}


@pytest.fixture(scope="module")
def url(decider: Decider) -> Iterator[str]:
    app = create_app(load_settings(), decider=decider, log=default_log())
    with serving(app) as base:
        yield base


@pytest.mark.parametrize("lang", list(HEADINGS))
def test_each_language_is_accessible_and_sets_no_cookie(browser: Browser,  # noqa: F811
                                                       url: str, lang: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=lang,
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{url}/residents/north-chicago")  # the browser's language picks the page's
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("main h1")).to_have_text(HEADINGS[lang])
    assert page.locator("#promises li").count() >= 10
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"sideways scroll at 390 px ({width} px)"
    assert context.cookies() == []
    context.close()
    # axe runs as a script, so in a context with JavaScript on (the page itself has none).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang)
    page = context.new_page()
    page.goto(f"{url}/residents/north-chicago?lang={lang}")
    assert _axe(page) == []
    context.close()


def test_the_keyboard_reaches_the_languages_and_the_hotline(browser: Browser,  # noqa: F811
                                                           url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/residents/chicago")
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('href') || ''"))
    assert reached[0] == "#main"  # the skip link comes first
    assert "/residents/chicago?lang=pl" in reached
    assert "tel:855-435-7693" in reached
    page.keyboard.press("Shift+Tab")
    page.goto(f"{url}/residents/chicago")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    context.close()


def test_the_language_switch_keeps_the_place(browser: Browser, url: str) -> None:  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{url}/residents/waukegan")
    page.click("#lang-zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("main h1")).to_have_text("沃基根市对您的承诺")
    page.click("#place-cook-county")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("main h1")).to_have_text("库克县对您的承诺")
    assert context.cookies() == []
    context.close()


def test_chinese_is_drawn_in_glyphs_not_boxes(browser: Browser, url: str) -> None:  # noqa: F811
    """Each character of the Chinese heading draws differently from the missing-glyph box (the
    machine needs a Chinese font: CI installs one)."""
    from .test_browser import _DRAW

    context = browser.new_context(locale="zh")
    page = context.new_page()
    page.goto(f"{url}/residents/chicago")
    heading = page.locator("main h1").inner_text()
    for char in sorted(set(heading)):
        pixels = page.evaluate(_DRAW, [char, "\ue000"])
        assert pixels["icon"] != pixels["missing"], f"{char!r} draws the missing-glyph box"
    context.close()
