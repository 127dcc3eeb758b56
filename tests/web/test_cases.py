"""The review desk over HTTP: a review recorded at the desk or the API opens a case; a reviewer
decides it on its page or through the API; the desk card shows the answer; every other role
and anyone not signed in is refused (401/403, problem+json in the API), and CSRF is checked."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import get_settings

from .conftest import TestClient, web_app
from .staff import new_member, sign_in, token_of

HTMX = {"HX-Request": "true"}


def split_form() -> dict[str, str]:
    """The desk form for a review: the FBI asks to take a person in custody on a federal
    criminal warrant nobody has checked yet (checked: allow; not checked: a person decides)."""
    return {"profile": "chicago", "date": get_settings().today().isoformat(), "agency": "FBI",
            "action": "transfer-custody", "resource_type": "Person", "in_custody": "true",
            "purpose": "criminal-investigation", "document_kind": "federal-criminal-warrant",
            "verified": "unknown"}


def split_body() -> dict[str, Any]:
    return {"profile": "chicago", "date": get_settings().today().isoformat(),
            "principal": {"agency": "FBI"}, "action": "transfer-custody",
            "resource": {"type": "Person", "in_custody": True},
            "context": {"purpose": "criminal-investigation",
                        "document": {"kind": "federal-criminal-warrant", "verified": "unknown"}}}


def denied_body() -> dict[str, Any]:
    return {"profile": "chicago", "date": get_settings().today().isoformat(),
            "principal": {"agency": "ICE-ERO"}, "action": "honor-detainer",
            "resource": {"type": "Person", "in_custody": True},
            "context": {"purpose": "civil-immigration-enforcement",
                        "document": {"kind": "detainer", "verified": True}}}


@pytest.fixture
def app(decider: Decider) -> Any:
    return web_app(decider)


def _signed_in(app: Any, *roles: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    member = new_member(*roles)
    client.headers["X-CSRF-Token"] = sign_in(client, member)
    return client, member.actor


def _desk_case(app: Any) -> tuple[TestClient, int, int]:
    """A desk officer records a review; returns their client, the case id and its log index."""
    desk, _ = _signed_in(app, "desk")
    card = desk.post("/decide", data=split_form(), headers=HTMX)
    assert card.status_code == 200, card.text
    case = re.search(r'hx-get="/cases/(\d+)/status"', card.text)
    index = re.search(r'href="/log/(\d+)"', card.text)
    assert case and index, card.text
    assert f"Case {case.group(1)} is in the review queue" in card.text
    return desk, int(case.group(1)), int(index.group(1))


def _clause(client: TestClient, case_id: int) -> str:
    found = re.search(r'<select id="clause" name="clause" required>\s*<option value="([^"]+)"',
                      client.get(f"/cases/{case_id}").text)
    assert found
    return found.group(1).replace("&#39;", "'").replace("&amp;", "&")


def _entry(index: int) -> dict[str, Any]:
    return dict(json.loads(default_log().entries(index, index + 1)[0].body))


def test_a_reviewer_decides_a_desk_case_and_the_desk_sees_the_answer(app: Any) -> None:
    desk, case_id, index = _desk_case(app)
    waiting = desk.get(f"/cases/{case_id}/status", headers=HTMX)
    assert waiting.status_code == 200 and 'id="review-waiting"' in waiting.text
    assert 'hx-trigger="every' in waiting.text  # the card polls until answered

    reviewer, actor = _signed_in(app, "reviewer")
    assert f'id="case-link-{case_id}"' in reviewer.get("/cases").text
    page = reviewer.get(f"/cases/{case_id}").text
    assert 'id="sides"' in page and 'id="review-form"' in page
    clause = _clause(reviewer, case_id)
    done = reviewer.post(f"/cases/{case_id}/review", data={
        "outcome": "allow-with-conditions", "conditions": ["no-onward-sharing", "purpose-limit"],
        "reason": "Warrant checked with the court clerk.", "clause": clause},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case_id}"
    entry = _entry(default_log().size() - 1)
    assert (entry["kind"], entry["decision"], entry["case"], entry["actor"]) == (
        "review", index, case_id, actor)
    assert entry["conditions"] == ["no-onward-sharing", "purpose-limit"]
    assert "review-form" not in reviewer.get(f"/cases/{case_id}").text  # decided once

    answer = desk.get(f"/cases/{case_id}/status", headers=HTMX).text
    assert "A reviewer answered:" in answer and "ALLOW WITH CONDITIONS" in answer
    assert f"reviewer {actor}" in answer and clause.replace("'", "&#39;") in answer
    assert "hx-trigger" not in answer  # polling stops
    assert "A reviewer answered:" in desk.get(f"/cases/{case_id}/status").text  # a refresh

    assert desk.post(f"/cases/{case_id}/close").status_code == 403
    closed = reviewer.post(f"/cases/{case_id}/close", follow_redirects=False)
    assert closed.status_code == 303
    page = reviewer.get(f"/cases/{case_id}").text
    assert 'id="case-state">closed' in page and 'id="close-case"' not in page
    assert reviewer.post(f"/cases/{case_id}/close").status_code == 409  # closed already


def test_a_bad_review_is_the_page_again_and_records_nothing(app: Any) -> None:
    _, case_id, _ = _desk_case(app)
    reviewer, _ = _signed_in(app, "reviewer")
    clause = _clause(reviewer, case_id)
    size = default_log().size()
    for data in ({"outcome": "allow-with-conditions", "reason": "ok", "clause": clause},
                 {"outcome": "deny", "reason": "He is undocumented.", "clause": clause},
                 {"outcome": "deny", "reason": "ok", "clause": "Made-up Act 1"}):
        again = reviewer.post(f"/cases/{case_id}/review", data=data)
        assert again.status_code == 422 and 'id="review-error"' in again.text, data
    assert default_log().size() == size


def test_csrf_and_roles_guard_the_review_pages(app: Any) -> None:
    _, case_id, _ = _desk_case(app)
    data = {"outcome": "deny", "reason": "No.", "clause": "x"}
    nobody = TestClient(app)
    assert nobody.get("/cases").status_code == 401
    assert nobody.get(f"/cases/{case_id}/status").status_code == 401
    desk, _ = _signed_in(app, "desk")
    assert desk.get("/cases").status_code == 403
    before = default_log().size()
    assert desk.post(f"/cases/{case_id}/review", data=data).status_code == 403
    assert [(e["kind"], e["reason"], e["what"]) for e in (
        _entry(i) for i in range(before, default_log().size()))] == [
        ("auth-failed", "role", f"POST /cases/{case_id}/review")]  # the attempt, on record
    before = default_log().size()
    assert desk.get(f"/cases/{case_id}").status_code == 403  # a refused read is not
    assert default_log().size() == before
    auditor, _ = _signed_in(app, "auditor")
    page = auditor.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "review-form" not in page.text
    assert auditor.post(f"/cases/{case_id}/review", data=data).status_code == 403
    reviewer, _ = _signed_in(app, "reviewer")
    del reviewer.headers["X-CSRF-Token"]
    assert reviewer.post(f"/cases/{case_id}/review", data=data).status_code == 403
    assert reviewer.get("/cases/999999").status_code == 404


def test_the_api_opens_lists_and_decides_cases(app: Any) -> None:
    client = TestClient(app)
    _, desk = token_of("desk")
    _, auditor = token_of("auditor")
    reviewer_member, reviewer = token_of("reviewer")
    made = client.post("/api/v1/decisions", json=split_body(),
                       headers={"Authorization": f"Bearer {desk}"}).json()
    assert made["outcome"] == "review" and made["recorded"] is True
    case_id = made["case_id"]
    assert "case_id" not in client.post("/api/v1/decisions", json=denied_body(),
                                        headers={"Authorization": f"Bearer {desk}"}).json()

    assert client.get("/api/v1/cases").status_code == 401
    refused = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {desk}"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    listed = client.get("/api/v1/cases?state=open&agency=FBI",
                        headers={"Authorization": f"Bearer {auditor}"}).json()["cases"]
    assert case_id in [c["id"] for c in listed]
    case = client.get(f"/api/v1/cases/{case_id}",
                      headers={"Authorization": f"Bearer {auditor}"}).json()
    assert (case["state"], case["log_index"], case["review"]) == ("open", made["log_index"], None)
    clause = case["decision"]["rules"][0]["citation"] if case["decision"]["rules"] else ""

    body = {"outcome": "deny", "reason": "The warrant could not be checked.", "clause": clause}
    path = f"/api/v1/cases/{case_id}/review"
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body,
                       headers={"Authorization": f"Bearer {auditor}"}).status_code == 403
    bad = client.post(path, json={**body, "outcome": "maybe"},
                      headers={"Authorization": f"Bearer {reviewer}"})
    assert bad.status_code == 422
    done = client.post(path, json=body, headers={"Authorization": f"Bearer {reviewer}"})
    assert done.status_code == 200, done.text
    decided = done.json()
    assert decided["state"] == "decided" and decided["review"]["outcome"] == "deny"
    assert decided["review"]["reviewed_by"] == reviewer_member.actor
    assert _entry(decided["review"]["log_index"])["decision"] == made["log_index"]
    again = client.post(path, json=body, headers={"Authorization": f"Bearer {reviewer}"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/cases/999999",
                      headers={"Authorization": f"Bearer {auditor}"}).status_code == 404


def test_an_exception_that_allows_a_deny_needs_another_reviewer(app: Any, decider: Decider
                                                                 ) -> None:
    from sanctuarygate.domain.request import parse_request
    from sanctuarygate.review.queue import case_decision
    from sanctuarygate.store.case import open_case

    asked = parse_request(denied_body())
    with default_log().engine.begin() as conn:
        case_id = open_case(conn, asked.to_dict(), case_decision(decider.decide(asked)),
                            agency="ICE-ERO", log_index=None, source="desk", actor="desk")
    first, first_actor = _signed_in(app, "reviewer")
    second, second_actor = _signed_in(app, "reviewer")
    grant = {"outcome": "allow", "clause": "Emergency order 3", "hours": "4",
             "reason": "Evacuation: the shelter must know who is in custody."}
    too_long = first.post(f"/cases/{case_id}/exception", data={**grant, "hours": "72"})
    assert too_long.status_code == 422 and 'id="exception-error"' in too_long.text
    done = first.post(f"/cases/{case_id}/exception", data=grant, follow_redirects=False)
    assert done.status_code == 303
    entry = _entry(default_log().size() - 1)
    assert (entry["kind"], entry["actor"], entry["needs_second"]) == ("exception", first_actor,
                                                                      True)
    exception_id = re.search(r'id="exception-(\d+)"', first.get(f"/cases/{case_id}").text)
    assert exception_id
    page = first.get(f"/cases/{case_id}").text
    assert "waits for a second approver" in page and "id=\"approve-" not in page  # not their own
    approve = f"/exceptions/{exception_id.group(1)}/approve"
    assert first.post(approve).status_code == 409
    auditor, _ = _signed_in(app, "auditor")
    assert auditor.post(approve).status_code == 403
    assert second.post(approve, follow_redirects=False).status_code == 303
    approval = _entry(default_log().size() - 1)
    assert (approval["kind"], approval["actor"]) == ("exception-approval", second_actor)
    listed = auditor.get("/exceptions")
    assert listed.status_code == 200
    assert f'id="exception-row-{exception_id.group(1)}"' in listed.text and "in force" in listed.text
    assert TestClient(app).get("/exceptions").status_code == 401


def test_the_api_grants_and_approves_exceptions(app: Any, decider: Decider) -> None:
    from sanctuarygate.domain.request import parse_request
    from sanctuarygate.review.queue import case_decision
    from sanctuarygate.store.case import open_case

    asked = parse_request(denied_body())
    with default_log().engine.begin() as conn:
        case_id = open_case(conn, asked.to_dict(), case_decision(decider.decide(asked)),
                            agency="ICE-ERO", log_index=None, source="api", actor="desk")
    client = TestClient(app)
    first_member, first = token_of("reviewer")
    second_member, second = token_of("reviewer")
    _, auditor = token_of("auditor")
    body = {"outcome": "allow", "reason": "Evacuation.", "clause": "Emergency order 3",
            "hours": 2}
    path = f"/api/v1/cases/{case_id}/exceptions"
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body,
                       headers={"Authorization": f"Bearer {auditor}"}).status_code == 403
    assert client.post(path, json={**body, "hours": 48},
                       headers={"Authorization": f"Bearer {first}"}).status_code == 422
    granted = client.post(path, json=body, headers={"Authorization": f"Bearer {first}"})
    assert granted.status_code == 200, granted.text
    made = granted.json()
    assert (made["status"], made["granted_by"], made["rules_outcome"]) == (
        "awaiting-approval", first_member.actor, "deny")
    approve = f"/api/v1/exceptions/{made['id']}/approve"
    own = client.post(approve, headers={"Authorization": f"Bearer {first}"})
    assert own.status_code == 409
    assert own.headers["content-type"].startswith("application/problem+json")
    approved = client.post(approve, headers={"Authorization": f"Bearer {second}"}).json()
    assert (approved["status"], approved["approved_by"]) == ("in-force", second_member.actor)
    assert _entry(approved["approval_index"])["exception"] == made["log_index"]
    listed = client.get("/api/v1/exceptions",
                        headers={"Authorization": f"Bearer {auditor}"}).json()["exceptions"]
    assert made["id"] in [x["id"] for x in listed]
    assert client.post("/api/v1/exceptions/999999/approve",
                       headers={"Authorization": f"Bearer {second}"}).status_code == 404


def test_the_desk_card_tells_of_the_case_in_spanish(app: Any) -> None:
    desk, _ = _signed_in(app, "desk")
    card = desk.post("/decide", data=split_form(),
                     headers={**HTMX, "accept-language": "es"}).text
    case = re.search(r'hx-get="/cases/(\d+)/status"', card)
    assert case and f"El caso {case.group(1)} está en la cola de revisión" in card
    status = desk.get(f"/cases/{case.group(1)}/status",
                      headers={**HTMX, "accept-language": "es"}).text
    assert "Un revisor tiene este caso en la cola de revisión" in status
    assert "Ver si ya hay respuesta" in status
