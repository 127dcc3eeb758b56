"""The desk page: the form, the answer card, and bad input shown as a problem, never an allow."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import PolicyEvaluationError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import get_settings
from sanctuarygate.web.app import create_app
from sanctuarygate.web.pages import DeskForm

from .conftest import FailingDecider, TestClient, client_for
from .staff import as_desk_officer, with_csrf


@pytest.fixture
def client(decider: Decider) -> TestClient:
    """The desk as a browser holds it: a session, its CSRF token sent with every post."""
    return with_csrf(TestClient(create_app(decider=decider)))

STATIC = Path(__file__).resolve().parents[2] / "src" / "sanctuarygate" / "web" / "static"

DETAINER = {"profile": "illinois", "date": "2024-02-01", "principal_kind": "agency",
            "agency": "ICE-ERO", "action": "honor-detainer", "in_custody": "true",
            "purpose": "civil-immigration-enforcement", "document_kind": "detainer",
            "verified": "true"}
HTMX = {"HX-Request": "true"}
#: The same question about today: the law in force, answered and recorded.
def today() -> dict[str, Any]:
    """Today's request, built when asked: a suite that runs past midnight asks about the new day."""
    return {**DETAINER, "date": get_settings().today().isoformat()}


def test_desk_renders_the_form_with_defaults(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<form class="desk-form" id="desk-form" method="post" action="/decide#answer"' in html
    for name in ("profile", "date", "agency", "action", "purpose", "resource_type",
                 "in_custody", "dataset", "property_kind", "property_owner", "use",
                 "document_kind", "verified"):
        assert f'id="{name}" name="{name}"' in html, name
        assert f'<label for="{name}">' in html, name
    assert '<option value="chicago" selected>' in html
    assert '<option value="honor-detainer">Hold someone on an immigration detainer</option>' in html
    assert '<option value="ICE-ERO">' in html  # the datalist works without JS


def test_desk_loads_htmx_from_here_and_nothing_from_elsewhere(client: TestClient) -> None:
    html = client.get("/").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/htmx.min.js" in sources
    assert not [s for s in sources if "//" in s], sources
    assert client.get("/static/htmx.min.js").status_code == 200


def test_vendored_htmx_matches_its_recorded_checksum() -> None:
    recorded = re.search(r"`([0-9a-f]{64})`", (STATIC / "VENDORED.md").read_text())
    assert recorded, "VENDORED.md must record htmx.min.js's sha256"
    assert hashlib.sha256((STATIC / "htmx.min.js").read_bytes()).hexdigest() == recorded.group(1)


def test_form_post_without_js_returns_the_page_with_the_card(client: TestClient) -> None:
    response = client.post("/decide", data=DETAINER)
    assert response.status_code == 200
    html = response.text
    assert "<html" in html and 'class="card outcome-deny"' in html
    assert "NO — DENY" in html
    assert "5 ILCS 805/15(a)" in html
    assert "[C] confirmed in the source text" in html
    assert re.search(r"il-trust-2021 \(2021-08-02\+r\d+\)", html)
    assert 'value="ICE-ERO"' in html  # the form keeps what was typed


def test_htmx_post_returns_the_card_alone(client: TestClient) -> None:
    response = client.post("/decide", data=DETAINER, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text
    assert "NO — DENY" in response.text and "5 ILCS 805/15(a)" in response.text


def test_conditions_are_listed_with_a_conditional_yes(client: TestClient) -> None:
    form = {**DETAINER, "profile": "chicago", "date": "2025-05-20", "agency": "FBI",
            "action": "query-dataset", "dataset": "cpd-arrests",
            "purpose": "criminal-investigation", "document_kind": "none"}
    html = client.post("/decide", data=form, headers=HTMX).text
    assert "YES, WITH CONDITIONS" in html
    assert '<h3>Conditions</h3>' in html and "leave out these fields" in html


def test_an_unchecked_document_asks_a_person_to_decide(client: TestClient) -> None:
    form = {**DETAINER, "profile": "chicago", "date": "2025-09-10", "agency": "USMS",
            "action": "transfer-custody", "purpose": "criminal-investigation",
            "document_kind": "federal-criminal-warrant", "verified": "unknown"}
    html = client.post("/decide", data=form, headers=HTMX).text
    assert "WAIT — A PERSON MUST DECIDE" in html
    assert "Has a supervisor or the Law Department verified the document" in html


def test_unknown_agency_shows_a_problem_with_suggestions(client: TestClient) -> None:
    response = client.post("/decide", data={**DETAINER, "agency": "ice enforcement"})
    assert response.status_code == 422
    html = response.text
    assert "NOT DECIDED — CHECK THE REQUEST" in html
    assert '<a href="#agency">Agency</a>: unknown agency id' in html
    assert "<strong>ICE-ERO</strong>" in html
    assert "outcome-allow" not in html and "YES" not in html


def test_missing_action_names_the_form_field(client: TestClient) -> None:
    response = client.post("/decide", data={**DETAINER, "action": ""}, headers=HTMX)
    assert response.status_code == 422
    assert '<a href="#action">What they ask</a>: is required' in response.text


def test_engine_failure_on_the_desk_is_a_500_card_that_forbids_acting() -> None:
    client = with_csrf(client_for(FailingDecider(PolicyEvaluationError("engine down"))))
    response = client.post("/decide", data=DETAINER, headers=HTMX)
    assert response.status_code == 500
    assert "NOT ALLOWED — THE SYSTEM COULD NOT DECIDE" in response.text
    assert "Do not do what is asked" in response.text


def test_unexpected_failure_without_js_is_an_error_page_not_json() -> None:
    client = with_csrf(client_for(FailingDecider(ZeroDivisionError("x"))))
    response = client.post("/decide", data=DETAINER, headers={"accept": "text/html"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "NOT ALLOWED" in response.text and 'href="/"' in response.text


def test_agency_suggestions_narrow_the_datalist(client: TestClient) -> None:
    html = client.get("/desk/agencies", params={"agency": "border"}).text
    assert html.lstrip().startswith('<datalist id="agency-list">')
    assert 'value="CBP-USBP"' in html and 'value="FBI"' not in html


def test_form_mapping_infers_what_the_request_is_about() -> None:
    mapping = DeskForm(**DETAINER).to_mapping()
    assert mapping["resource"] == {"type": "Person", "in_custody": True}
    assert mapping["context"]["document"] == {"kind": "detainer", "verified": True}
    assert parse_request(mapping).action == "honor-detainer"


def test_form_mapping_leaves_out_verified_when_no_document_is_shown() -> None:
    mapping = DeskForm(**{**DETAINER, "document_kind": "none"}).to_mapping()
    assert mapping["context"]["document"] == {"kind": "none"}


_FORM_FIELDS = list(DeskForm.model_fields)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(_FORM_FIELDS),
                               st.one_of(st.text(max_size=30),
                                         st.sampled_from(["true", "false", "unknown", "Person",
                                                          "Dataset", "query-dataset", "none"]))))
def test_any_form_input_is_answered_or_refused_never_a_crash(
        client: TestClient, decider: Decider, changes: dict[str, str]) -> None:
    response = client.post("/decide", data={**DETAINER, **changes}, headers=HTMX)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert "outcome-" not in response.text


def test_get_on_decide_goes_back_to_the_desk(client: TestClient) -> None:
    response = client.get("/decide", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_purpose_not_given_is_said_so(client: TestClient) -> None:
    """A private garage, nothing decides: the card must not claim the purpose was civil."""
    html = client.post("/decide", headers=HTMX, data={
        "profile": "chicago", "date": "2025-11-01", "principal_kind": "agency",
        "agency": "ICE-ERO", "action": "use-property", "purpose": "unknown",
        "property_kind": "garage", "property_owner": "private", "document_kind": "none"}).text
    assert 'class="card outcome-review"' in html
    assert "The purpose is civil immigration enforcement" not in html


def test_conditions_appear_once_and_in_words(client: TestClient) -> None:
    html = client.post("/decide", headers=HTMX, data={
        "profile": "chicago", "date": "2025-11-01", "principal_kind": "agency", "agency": "FBI",
        "action": "query-dataset", "resource_type": "Dataset", "dataset": "cpd-arrests",
        "purpose": "criminal-investigation", "document_kind": "none"}).text
    assert 'class="card outcome-allow-with-conditions"' in html
    assert html.count("may not pass the data on to") == 1
    assert "U.S. Immigration and Customs Enforcement" in html or "Enforcement and Removal" in html
    assert "use only for: A criminal investigation" in html


def test_the_card_links_a_readable_log_entry(client: TestClient) -> None:
    as_desk_officer(client)
    card = client.post("/decide", data=today(), headers=HTMX).text
    index = int(re.search(r'href="/log/(\d+)"', card).group(1))  # type: ignore[union-attr]
    page = client.get(f"/log/{index}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "NO — DENY" in page.text and "5 ILCS 805/15(a)" in page.text
    assert "Hold someone on an immigration detainer" in page.text
    assert client.get("/log/999999").status_code == 404


def test_every_bad_field_is_shown_at_once_naming_the_form_field(client: TestClient) -> None:
    """No agency, no action and a bad date: three problems on one card, each with the label
    the form shows, linked to its input; without JS the inputs come back marked invalid."""
    form = {**DETAINER, "agency": "", "action": "", "date": "2025-02-30"}
    html = client.post("/decide", data=form).text
    assert '<a href="#date">Date</a>: &#39;2025-02-30&#39; is not a date' in html
    assert '<a href="#agency">Agency</a>: is required' in html
    assert '<a href="#action">What they ask</a>: is required' in html
    assert re.search(r'id="agency"[^>]*aria-describedby="agency-hint error-\d"[^>]*aria-invalid="true"',
                     html), "the agency input is not marked invalid"
    assert re.search(r'id="action" name="action" aria-describedby="error-\d" aria-invalid="true"', html)
    assert 'id="profile" name="profile">' in html  # a good field is not marked


def test_an_unknown_agency_is_listed_with_the_other_problems(client: TestClient) -> None:
    response = client.post("/decide", data={**DETAINER, "agency": "NOBODY", "action": ""},
                           headers=HTMX)
    assert response.status_code == 422
    assert '<a href="#agency">Agency</a>: unknown agency id &#39;NOBODY&#39;' in response.text
    assert '<a href="#action">What they ask</a>: is required' in response.text
    assert '"agency": "error-1"' in response.text.replace("&#34;", '"')  # for desk.js to mark


def test_another_date_is_a_hypothetical_answer_never_recorded(client: TestClient,
                                                               decider: Decider) -> None:
    from sanctuarygate.audit.default import default_log

    as_desk_officer(client)
    before = default_log().size()
    html = client.post("/decide", data=DETAINER, headers=HTMX).text
    assert "NO — DENY" in html
    assert "HYPOTHETICAL — not the law in force: the law on 2024-02-01, not today&#39;s" in html
    assert 'href="/log/' not in html and "Not recorded" in html
    assert default_log().size() == before
    now = client.post("/decide", data=today(), headers=HTMX).text
    assert "HYPOTHETICAL" not in now and 'href="/log/' in now
    assert default_log().size() == before + 1
