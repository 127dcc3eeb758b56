"""Signing in through the city's identity provider in a real browser (Debian's Chromium): the
sign-in page's button, the provider (a real one on a port, ``test_signin_oidc.Provider``), the
way back, the header saying who is signed in and linking the pages the account's roles open;
and a name no account has: the sign-in page again, saying so, nobody signed in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.store.staff import add_staff
from sanctuarygate.web.app import create_app

from .conftest import serving
from .test_browser import browser  # noqa: F401 (fixture)
from .test_signin_oidc import Provider, oidc_settings, provider  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def city(provider: Provider, decider: Decider) -> Iterator[str]:  # noqa: F811
    log = default_log()
    app = create_app(oidc_settings(provider), decider=decider, log=log)
    with serving(app) as url:
        yield url


@pytest.mark.parametrize("js", [True, False])
def test_a_reviewer_signs_in_with_the_city_account(browser: Browser,  # noqa: F811
                                                   provider: Provider,  # noqa: F811
                                                   city: str, js: bool) -> None:
    with default_log().engine.begin() as conn:
        member, _ = add_staff(conn, f"oidc-browser-{int(js)}", ["reviewer"], no_password=True)
    provider.person = {"preferred_username": member.name}
    context = browser.new_context(java_script_enabled=js, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(city + "/signin?next=/cases")
    button = page.locator("#signin-oidc")
    expect(button).to_have_text("Sign in with City ID")
    with page.expect_navigation(url=city + "/cases"):
        button.click()  # to the provider, which sends the browser straight back
    expect(page.locator("#signed-in-as")).to_contain_text(member.name)
    expect(page.locator("nav.staff-pages")).to_contain_text("Review queue")
    expect(page.locator("h1")).to_have_text("Cases")
    context.close()


def test_a_name_no_account_has_is_told_and_not_signed_in(browser: Browser,  # noqa: F811
                                                          provider: Provider,  # noqa: F811
                                                          city: str) -> None:
    provider.person = {"preferred_username": "nobody-here"}
    context = browser.new_context(locale="es")
    page = context.new_page()
    page.goto(city + "/signin")
    page.locator("#signin-oidc").click()
    expect(page.locator("#signin-error")).to_contain_text("nobody-here")
    expect(page.locator("#signin-oidc")).to_be_visible()  # the sign-in page again
    expect(page.locator("#signed-in-as")).to_have_count(0)
    context.close()
