"""One real browser over a real server: Debian's Chromium driven by Playwright.

The desk is filled in and submitted twice: with JavaScript (htmx swaps the card in, the page
does not navigate) and without (a plain form post returns the whole page). Chromium must be
installed (``apt-get install chromium``); set ``SANCTUARYGATE_SKIP_BROWSER=1`` to skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sanctuarygate.policy.decide import Decider
from sanctuarygate.web.labels import OUTCOME_ICONS

from .conftest import serving, web_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def base_url(decider: Decider) -> Iterator[str]:
    """A uvicorn server on a free 127.0.0.1 port, in a thread, for this module's tests."""
    with serving(web_app(decider)) as url:
        yield url


#: How long an ``expect`` waits for the page (Playwright's default is 5 s): CI shares 2 cores
#: with a whole suite, and a loaded machine once took longer to draw a card. A passing check
#: returns as soon as it holds, so this costs nothing when the page is right.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if os.environ.get("SANCTUARYGATE_SKIP_BROWSER") == "1":
        pytest.skip("SANCTUARYGATE_SKIP_BROWSER=1")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium "
                    "(apt-get install -y chromium) or set SANCTUARYGATE_SKIP_BROWSER=1")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _fill_detainer_case(page: Page, *, js: bool = False) -> None:
    """ICE-ERO asks an Illinois agency to hold someone on a verified detainer. With JavaScript,
    typing the agency fetches suggestions; wait for them, so that their swap (and the list it
    opens) cannot land on the submit click."""
    page.select_option("#profile", "illinois")
    page.fill("#date", "2024-02-01")
    if js:
        with page.expect_response(lambda r: "/desk/agencies" in r.url):
            page.fill("#agency", "ICE-ERO")
        page.keyboard.press("Escape")
    else:
        page.fill("#agency", "ICE-ERO")
    page.select_option("#action", "honor-detainer")
    page.select_option("#purpose", "civil-immigration-enforcement")
    page.select_option("#in_custody", "true")
    page.select_option("#document_kind", "detainer")
    page.select_option("#verified", "true")


def test_desk_with_javascript_swaps_in_the_card(browser: Browser, base_url: str,
                                                tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.goto(base_url + "/")
    assert page.evaluate("typeof htmx") == "object", "htmx did not load from /static"

    page.fill("#agency", "border")  # the datalist narrows through htmx as the officer types
    expect(page.locator("#agency-list option[value='FBI']")).to_have_count(0)
    expect(page.locator("#agency-list option[value='CBP-USBP']")).to_have_count(1)

    _fill_detainer_case(page, js=True)
    page.click("button[type=submit]")
    card = page.locator("#answer-card")
    expect(card).to_contain_text("NO — DENY")
    expect(card).to_contain_text("5 ILCS 805/15(a)")
    expect(card).to_contain_text("What to say and do")
    assert page.url == base_url + "/", "htmx should swap the card in without navigating"
    card.screenshot(path=str(tmp_path / "desk.png"))
    context.close()


def test_desk_without_javascript_posts_the_form(browser: Browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/")
    _fill_detainer_case(page)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == base_url + "/decide#answer"
    card = page.locator("#answer-card")
    expect(card).to_contain_text("NO — DENY")
    expect(card).to_contain_text("5 ILCS 805/15(a)")
    expect(page.locator("#agency")).to_have_value("ICE-ERO")
    context.close()


def test_desk_without_javascript_shows_bad_input(browser: Browser, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/")
    _fill_detainer_case(page)
    page.fill("#agency", "NOBODY")
    with page.expect_navigation():
        page.click("button[type=submit]")
    card = page.locator("#answer-card")
    expect(card).to_contain_text("NOT DECIDED — CHECK THE REQUEST")
    expect(card).not_to_contain_text("YES")
    context.close()


# --- A failure never leaves an old answer on screen ------------------------------------------
def _desk_with_a_yes(browser: Browser, base_url: str) -> tuple[Any, Page]:
    """A page whose card shows an answer, ready for a second submit that goes wrong."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(base_url + "/")
    _fill_detainer_case(page, js=True)
    page.click("#decide-button")
    expect(page.locator("#answer-card")).to_contain_text("NO — DENY")
    return context, page


@pytest.mark.parametrize(("status", "body"), [(413, "Request Entity Too Large"),
                                              (502, "<html>Bad Gateway</html>"),
                                              (400, "bad request")])
def test_a_status_htmx_would_not_swap_shows_not_decided(browser: Browser, base_url: str,
                                                        status: int, body: str) -> None:
    context, page = _desk_with_a_yes(browser, base_url)
    page.route("**/decide", lambda route: route.fulfill(status=status, body=body))
    page.click("#decide-button")
    card = page.locator("#answer-card")
    expect(card).to_contain_text("NOT DECIDED")
    expect(card).to_contain_text(str(status))
    expect(page.locator("#answer")).not_to_contain_text("DENY")
    context.close()


def test_server_out_of_reach_shows_not_decided(browser: Browser, base_url: str) -> None:
    context, page = _desk_with_a_yes(browser, base_url)
    page.route("**/decide", lambda route: route.abort("connectionrefused"))
    page.click("#decide-button")
    expect(page.locator("#answer-card")).to_contain_text("NOT DECIDED")
    expect(page.locator("#answer")).to_contain_text("could not be reached")
    expect(page.locator("#answer")).not_to_contain_text("DENY")
    context.close()


def test_slow_answer_clears_the_old_card_and_disables_the_button(browser: Browser,
                                                                  base_url: str) -> None:
    context, page = _desk_with_a_yes(browser, base_url)
    held: list[Any] = []
    page.route("**/decide", lambda route: held.append(route))  # held until the test lets go
    page.click("#decide-button")
    expect(page.locator("#answer-pending")).to_be_visible()
    expect(page.locator("#answer")).not_to_contain_text("DENY")
    expect(page.locator("#decide-button")).to_be_disabled()
    expect(page.locator("#deciding")).to_be_visible()
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#answer-card")).to_contain_text("NO — DENY")
    expect(page.locator("#decide-button")).to_be_enabled()
    context.close()


def test_our_own_problem_card_is_swapped_in(browser: Browser, base_url: str) -> None:
    context, page = _desk_with_a_yes(browser, base_url)
    page.fill("#agency", "NOBODY")
    page.click("#decide-button")
    expect(page.locator("#answer-card")).to_contain_text("NOT DECIDED — CHECK THE REQUEST")
    expect(page.locator("#answer")).not_to_contain_text("DENY")
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_an_agency_suggestion_is_one_click(browser: Browser, base_url: str, js: bool) -> None:
    context = browser.new_context(java_script_enabled=js, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(base_url + "/")
    _fill_detainer_case(page, js=js)
    page.fill("#agency", "Enforcement and Removal")  # part of a name: not one agency for sure
    if js:
        page.click("#decide-button")
    else:
        with page.expect_navigation():
            page.click("#decide-button")
    pick = page.locator("button[name=agency_pick][value=ICE-ERO]")
    expect(pick).to_be_visible()
    if js:
        pick.click()
    else:
        with page.expect_navigation():
            pick.click()
    expect(page.locator("#answer-card")).to_contain_text("NO — DENY")
    if js:
        expect(page.locator("#agency")).to_have_value("ICE-ERO")
    context.close()


def test_only_the_fields_the_action_uses_show(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(base_url + "/")
    tall = page.evaluate("document.body.scrollHeight")
    page.select_option("#action", "use-property")
    expect(page.locator("#property_kind")).to_be_visible()
    expect(page.locator("#use")).to_be_visible()
    expect(page.locator("#has_detainer")).to_be_hidden()
    expect(page.locator("#dataset")).to_be_hidden()
    assert page.evaluate("document.body.scrollHeight") < tall * 0.75
    page.select_option("#action", "transfer-custody")
    expect(page.locator("#has_detainer")).to_be_visible()
    expect(page.locator("#property_kind")).to_be_hidden()
    context.close()
    plain = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = plain.new_page()
    page.goto(base_url + "/")
    page.select_option("#action", "use-property")
    expect(page.locator("#has_detainer")).to_be_visible()  # without JS every field shows
    plain.close()


# --- The desk in Spanish ------------------------------------------------------------------------
def _submit(page: Page, js: bool) -> None:
    if js:
        page.click("#decide-button")
    else:
        with page.expect_navigation():
            page.click("#decide-button")


@pytest.mark.parametrize(("js", "width"), [(True, 1280), (False, 390), (True, 390), (False, 1280)])
def test_the_desk_in_spanish_from_the_browser_language(browser: Browser, base_url: str,
                                                      js: bool, width: int) -> None:
    """The browser asks for Spanish: the form, a deny card and its banner are Spanish, the
    citation is kept."""
    context = browser.new_context(java_script_enabled=js, locale="es-US",
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(base_url + "/")
    assert page.get_attribute("html", "lang") == "es"
    expect(page.locator("h1")).to_have_text("¿Qué se está pidiendo?")
    _fill_detainer_case(page, js=js)
    _submit(page, js)
    card = page.locator("#answer-card")
    expect(card).to_contain_text("NO — DENEGAR")
    expect(card).to_contain_text("Qué decir y qué hacer")
    expect(card).to_contain_text("HIPOTÉTICO — no es la ley vigente: la ley del 2024-02-01")
    expect(card).to_contain_text("5 ILCS 805/15(a)")
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_the_switch_turns_the_desk_spanish(browser: Browser, base_url: str, js: bool) -> None:
    """An English browser, the officer clicks Español: an allow with conditions in Spanish."""
    context = browser.new_context(java_script_enabled=js, locale="en-US",
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(base_url + "/")
    assert page.get_attribute("html", "lang") == "en"
    with page.expect_navigation():
        page.click("#lang-es")
    assert page.get_attribute("html", "lang") == "es"
    if js:  # let the agency suggestions land before the submit (see _fill_detainer_case)
        with page.expect_response(lambda r: "/desk/agencies" in r.url):
            page.fill("#agency", "FBI")
        page.keyboard.press("Escape")
    else:
        page.fill("#agency", "FBI")
    page.select_option("#action", "query-dataset")
    page.select_option("#resource_type", "Dataset")
    page.select_option("#dataset", "cpd-arrests")
    page.select_option("#purpose", "criminal-investigation")
    _submit(page, js)
    card = page.locator("#answer-card")
    expect(card).to_contain_text("SÍ, CON CONDICIONES")
    expect(card).to_contain_text("úselo solo para: Una investigación penal")
    context.close()


def test_the_failure_card_is_spanish(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="es", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(base_url + "/")
    _fill_detainer_case(page, js=True)
    page.route("**/decide", lambda route: route.abort("connectionrefused"))
    page.click("#decide-button")
    card = page.locator("#answer-card")
    expect(card).to_contain_text("SIN DECISIÓN — no se pudo obtener una respuesta; no actúe")
    expect(card).to_contain_text("No se pudo conectar con el servidor.")
    page.unroute("**/decide")
    page.fill("#agency", "NOBODY")
    page.select_option("#action", "")
    page.click("#decide-button")  # our own problem card, in Spanish, both fields marked
    expect(card).to_contain_text("SIN DECISIÓN — REVISE LA SOLICITUD")
    expect(card).to_contain_text("Lo que piden: es obligatorio")
    expect(page.locator("#agency")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#action")).to_have_attribute("aria-invalid", "true")
    page.select_option("#action", "honor-detainer")
    page.fill("#agency", "ICE-ERO")
    page.click("#decide-button")  # a good answer clears the marks
    expect(card).to_contain_text("NO — DENEGAR")
    expect(page.locator("#action")).not_to_have_attribute("aria-invalid", "true")
    context.close()


# Pixels of each outcome icon drawn in the card's font, and of a private-use character that no
# font has (Chromium draws its missing-glyph box for it): an icon drawn like that box is a box.
_DRAW = """([icon, missing]) => {
  const font = getComputedStyle(document.querySelector("main") || document.body).font;
  const draw = (text) => {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext("2d");
    ctx.font = font.replace(/\\d+(\\.\\d+)?px/, "40px");
    ctx.fillText(text, 8, 48);
    return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(",");
  };
  return {icon: draw(icon), missing: draw(missing), blank: draw(" ")};
}"""


def test_every_outcome_icon_renders_as_a_glyph_not_a_box(browser: Browser, base_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + "/")
    for outcome, icon in OUTCOME_ICONS.items():
        pixels = page.evaluate(_DRAW, [icon, "\ue000"])
        assert pixels["icon"] != pixels["blank"], f"{outcome}: {icon!r} draws nothing"
        assert pixels["icon"] != pixels["missing"], f"{outcome}: {icon!r} draws the missing-glyph box"
    context.close()
