"""The misuse report form in a real browser (Debian's Chromium through Playwright): a phone's
width (390 px), JavaScript off, in English, Spanish, Polish and Chinese.

Each language: every control has a label and nothing is wider than the screen; a report with
a photo carrying GPS EXIF is sent and answered with a receipt in that language, and the photo
kept has no EXIF; axe-core (which needs scripts, so in a context with JavaScript) finds no
serious violation on the form. An empty form comes back with every problem named beside its
field and in a summary."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from sanctuarygate.policy.decide import Decider

from .conftest import serving
from .misuse_fixtures import bare_app, jpeg_with_gps, photo_files
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_public import _axe

pytestmark = pytest.mark.browser

RECEIPT = {"en": "Report received", "es": "Reporte recibido", "pl": "Zgłoszenie przyjęte",
           "zh": "报告已收到"}
SEND = {"en": "Send the report", "es": "Enviar el reporte", "pl": "Wyślij zgłoszenie",
        "zh": "发送报告"}
VEHICLES = {"en": "Vehicles of immigration", "es": "Vehículos de control migratorio",
            "pl": "Pojazdy służb imigracyjnych", "zh": "移民执法车辆"}


@pytest.fixture(scope="module")
def site(decider: Decider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("report")
    with serving(bare_app(decider, folder)) as url:
        yield url, folder


def _phone(browser: Browser, lang: str) -> Page:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=lang,
                                  java_script_enabled=False, is_mobile=True, has_touch=True)
    return context.new_page()


def _unlabelled(page: Page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(c => c.type !== 'hidden' && !c.closest('[aria-hidden="true"]'))
        .filter(c => !c.labels || c.labels.length === 0).map(c => c.name)""")


@pytest.mark.parametrize("lang", ["en", "es", "pl", "zh"])
def test_a_report_from_a_phone_without_javascript(browser: Browser,  # noqa: F811
                                                  site: tuple[str, Path], lang: str,
                                                  tmp_path: Path) -> None:
    url, folder = site
    before = set(photo_files(folder))
    page = _phone(browser, lang)
    page.goto(f"{url}/report?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert _unlabelled(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(jpeg_with_gps())
    page.select_option("#property_id", "NC-LOT-14")
    page.fill("#seen_on", "2026-11-30")
    page.get_by_label(VEHICLES[lang]).check()
    page.fill("#details", "Six SUVs and a bus by the east gate, 6:40 a.m.")
    page.set_input_files("#photos", str(photo))
    page.get_by_role("button", name=SEND[lang]).click()
    expect(page.locator("h1")).to_have_text(RECEIPT[lang])
    expect(page.locator(".receipt-number")).to_contain_text("r-")
    [kept] = set(photo_files(folder)) - before
    image = Image.open(io.BytesIO(kept.read_bytes()))
    assert dict(image.getexif()) == {} and b"Exif" not in kept.read_bytes()
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_problem_named_at_once(browser: Browser, site: tuple[str, Path],  # noqa: F811
                                     lang: str) -> None:
    url, _ = site
    page = _phone(browser, lang)
    page.goto(f"{url}/report?lang={lang}")
    page.get_by_role("button", name=SEND[lang]).click()
    summary = page.locator("#error-summary li")
    assert summary.count() == 3  # the property (or a point), the date, what was seen
    for field in ("property_id", "seen_on"):
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field}-error")).to_be_visible()
    expect(page.locator("#what_seen-error")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "es", "pl", "zh"])
def test_the_form_passes_axe(browser: Browser, site: tuple[str, Path],  # noqa: F811
                             lang: str) -> None:
    url, _ = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=lang)
    page = context.new_page()
    page.goto(f"{url}/report?lang={lang}")
    assert _axe(page) == []
    context.close()
