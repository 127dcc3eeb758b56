"""What a case records at intake, over HTTP: the desk's "for the case" fields and the API's
``case`` object land in the case (shown to reviewers and auditors on the case page and in
``GET /api/v1/cases/{id}``), never in the public log entry or the answer; a status word is
refused naming the field and records nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider

from .conftest import TestClient, web_app
from .staff import new_member, sign_in, token_of
from .test_cases import HTMX, split_body, split_form

TOLD = {"asked_by": "Special Agent R. Roe, badge 4411", "contact": "roe@fbi.example.gov",
        "person_ref": "CB-2025-004512", "document_verified_by": "Sgt. Mendez, records unit",
        "document_checked_at": "2025-11-03T15:05:00Z"}
#: What none of the public answers may carry.
SECRETS = ("Roe", "4411", "roe@fbi", "CB-2025-004512", "Mendez")


@pytest.fixture
def app(decider: Decider) -> Any:
    return web_app(decider)


def _entry_text(index: int) -> str:
    body = default_log().entries(index, index + 1)[0].body
    return body.decode() if isinstance(body, bytes) else str(body)


def _signed_in(app: Any, *roles: str) -> TestClient:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = sign_in(client, new_member(*roles))
    return client


def test_the_api_keeps_the_intake_in_the_case_only(app: Any) -> None:
    client = TestClient(app)
    _, desk = token_of("desk")
    _, auditor = token_of("auditor")
    made = client.post("/api/v1/decisions", json={**split_body(), "case": TOLD},
                       headers={"Authorization": f"Bearer {desk}"})
    assert made.status_code == 200, made.text
    answer = made.json()
    assert answer["outcome"] == "review" and answer["recorded"] is True
    assert "case" not in answer["request"]
    entry = _entry_text(answer["log_index"])
    for value in SECRETS:
        assert value not in entry and value not in made.text, value

    path = f"/api/v1/cases/{answer['case_id']}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": f"Bearer {desk}"}).status_code == 403
    case = client.get(path, headers={"Authorization": f"Bearer {auditor}"}).json()
    assert (case["asked_by"], case["contact"], case["person_ref"]) == (
        TOLD["asked_by"], TOLD["contact"], TOLD["person_ref"])
    assert case["document"] == {"verified_by": TOLD["document_verified_by"],
                                "checked_at": TOLD["document_checked_at"], "copy": None}


def test_the_api_refuses_a_status_word_naming_the_field(app: Any) -> None:
    client = TestClient(app)
    _, desk = token_of("desk")
    size = default_log().size()
    for name in ("asked_by", "contact", "person_ref", "document_verified_by"):
        refused = client.post("/api/v1/decisions",
                              json={**split_body(), "case": {**TOLD, name: "undocumented"}},
                              headers={"Authorization": f"Bearer {desk}"})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert f"case.{name}" in refused.text and "immigration status" in refused.text
    too_long = client.post("/api/v1/decisions", json={**split_body(), "case": {
        "person_ref": "X" * 65}}, headers={"Authorization": f"Bearer {desk}"})
    assert too_long.status_code == 422 and "person_ref" in too_long.text
    unknown = client.post("/api/v1/decisions", json={**split_body(), "case": {
        "status": "x"}}, headers={"Authorization": f"Bearer {desk}"})
    assert unknown.status_code == 422
    assert default_log().size() == size  # nothing recorded


def test_the_desk_records_the_intake_and_the_case_page_shows_it(app: Any) -> None:
    desk = _signed_in(app, "desk")
    assert 'id="case-intake"' in desk.get("/").text
    assert 'id="case-intake"' not in TestClient(app).get("/").text  # a try: nothing to keep
    form = {**split_form(), "mode": "record",
            **{f"case_{name}": value for name, value in TOLD.items()},
            "case_document_checked_at": "2025-11-03T09:05"}  # the city's time (Chicago, CST)
    card = desk.post("/decide", data=form, headers=HTMX)
    assert card.status_code == 200, card.text
    case_id = int(re.search(r'hx-get="/cases/(\d+)/status"', card.text).group(1))  # type: ignore[union-attr]
    index = int(re.search(r'href="/log/(\d+)"', card.text).group(1))  # type: ignore[union-attr]
    entry = _entry_text(index)
    assert json.loads(entry)["outcome"] == "review"
    for value in SECRETS:
        assert value not in entry and value not in card.text, value
    assert desk.get(f"/cases/{case_id}").status_code == 403  # the desk does not read cases

    for reader in (_signed_in(app, "reviewer"), _signed_in(app, "auditor")):
        page = reader.get(f"/cases/{case_id}").text
        assert 'id="case-asked-by">Special Agent R. Roe, badge 4411<' in page
        assert 'id="case-contact">roe@fbi.example.gov<' in page
        assert 'id="case-person-ref">CB-2025-004512<' in page
        assert "Sgt. Mendez, records unit, 2025-11-03 15:05 UTC" in page


def test_the_desk_refuses_a_status_word_naming_the_field(app: Any) -> None:
    desk = _signed_in(app, "desk")
    size = default_log().size()
    form = {**split_form(), "mode": "record", "case_contact": "ICE visa unit"}
    card = desk.post("/decide", data=form, headers=HTMX)
    assert card.status_code == 422
    assert "immigration status" in card.text and 'href="#case_contact"' in card.text
    page = desk.post("/decide", data=form)  # without JS: the group is open at the field
    assert '<details class="case-intake" id="case-intake" open>' in page.text
    assert 'id="case_contact" name="case_contact"' in page.text
    assert 'aria-invalid="true"' in page.text.split('id="case_contact"')[1].split(">")[0]
    assert default_log().size() == size
