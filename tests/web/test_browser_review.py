"""The review desk in a real browser (Debian's Chromium through Playwright): a desk officer
signs in and decides a request that goes to review; a reviewer signs in in a second browser
context and decides the case; the desk's card shows the answer (htmx polling), who decided and
on what clause."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from sanctuarygate.settings import get_settings

from .staff import PASSWORD, new_member
from .test_browser import base_url, browser  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

#: The desk polls every few seconds (web/cases.py POLL_SECONDS); the answer shows within this.
ANSWER_SHOWS_MS = 20_000


def _sign_in(page: Page, base: str, name: str, then: str = "/") -> None:
    page.goto(f"{base}/signin?next={then}")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#signin-button")


def _fill_split_case(page: Page) -> None:
    """The FBI asks to take a person in our custody on a federal criminal warrant nobody has
    checked yet: checked, the rules allow; not checked, a person decides."""
    page.select_option("#profile", "chicago")
    page.fill("#date", get_settings().today().isoformat())
    with page.expect_response(lambda r: "/desk/agencies" in r.url):
        page.fill("#agency", "FBI")
    page.keyboard.press("Escape")
    page.select_option("#action", "transfer-custody")
    page.select_option("#purpose", "criminal-investigation")
    page.select_option("#in_custody", "true")
    page.select_option("#document_kind", "federal-criminal-warrant")
    page.select_option("#verified", "unknown")


def test_a_review_decided_by_a_reviewer_reaches_the_desk(browser: Browser,  # noqa: F811
                                                         base_url: str) -> None:  # noqa: F811
    desk_member = new_member("desk")
    reviewer_member = new_member("reviewer")
    desk_context = browser.new_context(viewport={"width": 1280, "height": 1000})
    desk = desk_context.new_page()
    _sign_in(desk, base_url, desk_member.name)
    expect(desk.locator("#signed-in-as")).to_contain_text(desk_member.name)
    _fill_split_case(desk)
    desk.click("#case-intake summary")  # for the case: kept in it, never in the public log
    desk.fill("#case_asked_by", "Special Agent R. Roe, badge 4411")
    desk.fill("#case_person_ref", "CB-2025-004512")
    desk.click("#decide-button")
    card = desk.locator("#answer-card")
    expect(card).to_contain_text("WAIT — A PERSON MUST DECIDE")
    expect(card).not_to_contain_text("CB-2025-004512")
    expect(card.locator(".log-index")).to_contain_text("Recorded in the public decision log")
    waiting = card.locator("#review-waiting")
    expect(waiting).to_contain_text("Do not act until the answer shows here")
    heading = card.locator("#case-status h3").inner_text()
    case_id = heading.split()[1]

    reviewer_context = browser.new_context(viewport={"width": 1280, "height": 1000})
    reviewer = reviewer_context.new_page()
    _sign_in(reviewer, base_url, reviewer_member.name, "/cases")
    with reviewer.expect_navigation():
        reviewer.click(f"#case-link-{case_id}")
    expect(reviewer.locator("#sides")).to_contain_text("Has the document been checked?")
    expect(reviewer.locator("#case-asked-by")).to_have_text("Special Agent R. Roe, badge 4411")
    expect(reviewer.locator("#case-person-ref")).to_have_text("CB-2025-004512")
    reviewer.check("#outcome-allow-with-conditions")
    reviewer.check("#condition-no-onward-sharing")
    clause = reviewer.locator("#clause").input_value()
    reviewer.fill("#reason", "The warrant was checked with the issuing court's clerk.")
    with reviewer.expect_navigation():
        reviewer.click("#review-submit")
    expect(reviewer.locator("#case-state")).to_contain_text("decided by a reviewer")
    expect(reviewer.locator("#case-review")).to_contain_text(clause)
    expect(reviewer.locator("#review-form")).to_have_count(0)

    answer = card.locator("#review-answer")  # the desk's card, polling since it was shown
    expect(answer).to_contain_text("ALLOW WITH CONDITIONS", timeout=ANSWER_SHOWS_MS)
    expect(card.locator("#review-by")).to_contain_text(f"reviewer {reviewer_member.actor}")
    expect(card.locator("#review-clause")).to_contain_text(clause)
    expect(card).to_contain_text("the agency may not pass anything on to another agency")
    reviewer_context.close()
    desk_context.close()
