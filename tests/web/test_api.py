"""The JSON API: decisions in the scenario-case format, agencies, profiles, health."""

from __future__ import annotations

import datetime as dt

import pytest

from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import PolicyEvaluationError, PolicyLoadError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.web.app import create_app

from .conftest import FailingDecider, TestClient, as_request, client_for, shared_cases

CASES = shared_cases()
PROBLEM = "application/problem+json"


def test_detainer_downstate_is_denied_citing_trust_act(client: TestClient) -> None:
    case = as_request(CASES["detainer-without-warrant-downstate"])
    response = client.post("/api/v1/decisions", json=case)
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "deny"
    assert any("805/15(a)" in r["citation"] for r in body["rules"])
    assert body["advice"] and body["explanation"].startswith("No.")
    assert body["request"] == parse_request(case).to_dict()


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_api_answers_every_shared_case_as_the_library_does(
        client: TestClient, decider: Decider, case_id: str) -> None:
    case = as_request(CASES[case_id])
    response = client.post("/api/v1/decisions", json=case)
    assert response.status_code == 200, response.text
    expected = decider.decide(parse_request(case)).to_dict()
    body = response.json()
    assert body.pop("request") == parse_request(case).to_dict()
    if case.get("extra_packs") or case["date"] != dt.date.today().isoformat():
        # a what-if (extra packs, another day): answered, marked, never recorded
        assert (body.pop("hypothetical"), body.pop("recorded")) == (True, False)
        assert body.pop("banner").startswith("HYPOTHETICAL") and "log_index" not in body
        assert body == expected
        return
    index = body.pop("log_index")  # pragma: no cover (a shared case dated today)
    assert body == expected
    logged = client.get(f"/api/v1/log/entries?start={index}&end={index + 1}").json()
    assert logged["entries"][0]["entry"]["outcome"] == expected["outcome"]


def test_a_request_about_today_is_recorded_and_another_day_is_not(client: TestClient) -> None:
    case = as_request(CASES["detainer-without-warrant-downstate"])
    today = client.post("/api/v1/decisions", json={**case, "date": dt.date.today().isoformat()})
    assert today.status_code == 200 and "hypothetical" not in today.json()
    index = today.json()["log_index"]
    past = client.post("/api/v1/decisions", json={**case, "date": "2019-05-01"}).json()
    assert past["hypothetical"] is True and past["recorded"] is False and "log_index" not in past
    assert past["banner"] == ("HYPOTHETICAL — not the law in force: the law on 2019-05-01, "
                              "not today's")
    assert client.get("/api/v1/log/checkpoint").text.splitlines()[1] == str(index + 1)


def test_every_bad_field_is_in_the_problem_errors(client: TestClient) -> None:
    case = as_request(CASES["detainer-without-warrant-downstate"])
    bad = {**case, "date": "2025-02-30", "principal": {"agency": ""}, "action": "deport"}
    response = client.post("/api/v1/decisions", json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["date", "principal.agency", "action"]
    assert body["errors"][1]["message"] == "is required"
    assert body["field"] == "date" and "3 problems" in body["detail"]
    one = client.post("/api/v1/decisions", json={**case, "action": "deport"}).json()
    assert [e["field"] for e in one["errors"]] == ["action"]


def test_unknown_agency_is_a_422_problem_naming_the_field(client: TestClient) -> None:
    case = as_request(CASES["detainer-without-warrant-downstate"])
    case["principal"] = {"agency": "NOT-AN-AGENCY"}
    response = client.post("/api/v1/decisions", json=case)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["title"] == "Unknown agency"
    assert body["status"] == 422
    assert body["field"] == "principal.agency"
    assert "NOT-AN-AGENCY" in body["detail"]
    assert body["type"].endswith("unknown-agency")
    assert "outcome" not in body


@pytest.mark.parametrize(("change", "field"), [
    ({"profile": "atlantis"}, "profile"),
    ({"action": "fly-drone"}, "action"),
    ({"date": "yesterday"}, "date"),
    ({"resource": {"type": "Dataset", "id": "no-such-dataset"}, "action": "query-dataset"},
     "resource.id"),
    ({"context": {"document": {"kind": "detainer", "verified": "maybe"}}},
     "context.document.verified"),
])
def test_bad_input_is_a_422_problem_naming_the_field(
        client: TestClient, change: dict[str, object], field: str) -> None:
    case = {**as_request(CASES["detainer-without-warrant-downstate"]), **change}
    response = client.post("/api/v1/decisions", json=case)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["field"] == field


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    response = client.post("/api/v1/decisions", content=b'{"profile": "chicago",',
                           headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Malformed JSON"


def test_a_body_that_is_not_an_object_is_a_422_problem(client: TestClient) -> None:
    response = client.post("/api/v1/decisions", json=["honor-detainer"])
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"]


def test_engine_failure_is_a_500_problem_and_never_an_allow() -> None:
    client = client_for(FailingDecider(PolicyEvaluationError("cedar exploded")))
    response = client.post("/api/v1/decisions",
                           json=as_request(CASES["usms-fugitive-warrant"]))
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert "NOT allowed" in body["detail"]
    assert body["type"].endswith("policy-evaluation")
    assert "outcome" not in body and "allow" not in response.text.replace("NOT allowed", "")


def test_unexpected_exception_is_a_500_problem_that_hides_internals() -> None:
    client = client_for(FailingDecider(RuntimeError("secret connection string")))
    response = client.post("/api/v1/decisions",
                           json=as_request(CASES["usms-fugitive-warrant"]))
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret" not in response.text
    assert "NOT allowed" in response.json()["detail"]


def test_policy_that_fails_to_load_is_a_500_problem(decider: Decider) -> None:
    app = create_app(decider)

    def broken() -> Decider:
        raise PolicyLoadError("manifest lacks 'id'", source="il-trust-2021")

    app.state.decider = broken
    response = TestClient(app).get("/api/v1/profiles")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "il-trust-2021" in response.json()["detail"]


def test_agency_search_finds_by_name(client: TestClient) -> None:
    response = client.get("/api/v1/agencies", params={"q": "border"})
    assert response.status_code == 200
    ids = [a["id"] for a in response.json()["agencies"]]
    assert "CBP-USBP" in ids and "FBI" not in ids


def test_agency_search_without_text_lists_agencies_up_to_the_limit(client: TestClient) -> None:
    agencies = client.get("/api/v1/agencies", params={"limit": 3}).json()["agencies"]
    assert [a["id"] for a in agencies] == ["DHS", "ICE", "ICE-ERO"]
    assert client.get("/api/v1/agencies", params={"limit": 0}).status_code == 422


def test_profiles_list_places_and_their_packs(client: TestClient) -> None:
    profiles = {p["id"]: p for p in client.get("/api/v1/profiles").json()["profiles"]}
    assert profiles["chicago"]["title"] == "City of Chicago"
    assert "il-trust-2021" in profiles["chicago"]["packs"]


def test_health_does_not_load_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_load() -> Decider:
        raise AssertionError("the decider was built")

    monkeypatch.setattr("sanctuarygate.web.app.default_decider", must_not_load)
    client = TestClient(create_app())  # not started (no lifespan): not ready, and loads nothing
    assert client.get("/healthz").status_code == 503


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Not Found"


def test_wrong_method_is_a_405_problem_that_keeps_allow_header(client: TestClient) -> None:
    response = client.get("/api/v1/decisions")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["allow"] == "POST"


def test_a_what_if_is_marked_hypothetical_and_never_recorded(client: TestClient) -> None:
    body = {"profile": "chicago", "date": "2019-07-15", "principal": {"agency": "ICE-ERO"},
            "action": "assist-operation", "resource": {"type": "Facility", "id": "cpd-station"},
            "context": {"purpose": "civil-immigration-enforcement", "document": {"kind": "none"}},
            "extra_packs": ["ocad-proposed-eo-2019"]}
    before = client.get("/api/v1/log/checkpoint").text
    answer = client.post("/api/v1/decisions", json=body).json()
    assert answer["hypothetical"] is True and answer["recorded"] is False
    assert answer["banner"].startswith("HYPOTHETICAL")
    assert "log_index" not in answer
    assert client.get("/api/v1/log/checkpoint").text == before
