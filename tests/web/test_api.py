"""The JSON API: decisions in the scenario-case format, agencies, profiles, health."""

from __future__ import annotations

from typing import Any

import pytest

from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import PolicyEvaluationError, PolicyLoadError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import Settings, get_settings
from sanctuarygate.web.app import create_app

from .conftest import FailingDecider, TestClient, as_request, client_for, shared_cases
from .staff import token_of

CASES = shared_cases()
PROBLEM = "application/problem+json"
DECISIONS = "/api/v1/decisions"
#: Answer without recording: no credential needed.
DRY_RUN = DECISIONS + "?dry_run=true"


@pytest.fixture(scope="module")
def desk_token() -> dict[str, str]:
    """The header of a desk officer's staff token."""
    return {"authorization": f"Bearer {token_of('desk')[1]}"}


def test_detainer_downstate_is_denied_citing_trust_act(client: TestClient) -> None:
    case = as_request(CASES["detainer-without-warrant-downstate"])
    response = client.post(DRY_RUN, json=case)
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "deny"
    assert any("805/15(a)" in r["citation"] for r in body["rules"])
    assert body["advice"] and body["explanation"].startswith("No.")
    assert body["request"] == parse_request(case).to_dict()


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_api_answers_every_shared_case_as_the_library_does(
        client: TestClient, decider: Decider, case_id: str, desk_token: dict[str, str]) -> None:
    case = as_request(CASES[case_id])
    response = client.post(DECISIONS, json=case, headers=desk_token)
    assert response.status_code == 200, response.text
    expected = decider.decide(parse_request(case)).to_dict()
    body = response.json()
    assert body.pop("request") == parse_request(case).to_dict()
    if case.get("extra_packs") or case["date"] != get_settings().today().isoformat():
        # a what-if (extra packs, another day): answered, marked, never recorded
        assert (body.pop("hypothetical"), body.pop("recorded")) == (True, False)
        assert body.pop("banner").startswith("HYPOTHETICAL") and "log_index" not in body
        assert body == expected
        return
    index = body.pop("log_index")  # pragma: no cover (a shared case dated today)
    assert body.pop("recorded") is True and body == expected
    logged = client.get(f"/api/v1/log/entries?start={index}&end={index + 1}").json()
    assert logged["entries"][0]["entry"]["outcome"] == expected["outcome"]


def test_a_request_about_today_is_recorded_and_another_day_is_not(
        client: TestClient, desk_token: dict[str, str]) -> None:
    case = as_request(CASES["detainer-without-warrant-downstate"])
    today = client.post(DECISIONS, json={**case, "date": get_settings().today().isoformat()},
                        headers=desk_token)
    assert today.status_code == 200 and "hypothetical" not in today.json()
    index = today.json()["log_index"]
    past = client.post(DECISIONS, json={**case, "date": "2019-05-01"}, headers=desk_token).json()
    assert past["hypothetical"] is True and past["recorded"] is False and "log_index" not in past
    assert past["banner"] == ("HYPOTHETICAL — not the law in force: the law on 2019-05-01, "
                              "not today's")
    assert client.get("/api/v1/log/checkpoint").text.splitlines()[1] == str(index + 1)


def test_every_bad_field_is_in_the_problem_errors(client: TestClient) -> None:
    case = as_request(CASES["detainer-without-warrant-downstate"])
    bad = {**case, "date": "2025-02-30", "principal": {"agency": ""}, "action": "deport"}
    response = client.post(DRY_RUN, json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["date", "principal.agency", "action"]
    assert body["errors"][1]["message"] == "is required"
    assert body["field"] == "date" and "3 problems" in body["detail"]
    one = client.post(DRY_RUN, json={**case, "action": "deport"}).json()
    assert [e["field"] for e in one["errors"]] == ["action"]


def test_unknown_agency_is_a_422_problem_naming_the_field(client: TestClient) -> None:
    case = as_request(CASES["detainer-without-warrant-downstate"])
    case["principal"] = {"agency": "NOT-AN-AGENCY"}
    response = client.post(DRY_RUN, json=case)
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
    response = client.post(DRY_RUN, json=case)
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
    response = client.post(DRY_RUN, json=["honor-detainer"])
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"]


def test_engine_failure_is_a_500_problem_and_never_an_allow() -> None:
    client = client_for(FailingDecider(PolicyEvaluationError("cedar exploded")))
    response = client.post(DRY_RUN,
                           json=as_request(CASES["usms-fugitive-warrant"]))
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert "NOT allowed" in body["detail"]
    assert body["type"].endswith("policy-evaluation")
    assert "outcome" not in body and "allow" not in response.text.replace("NOT allowed", "")


def test_unexpected_exception_is_a_500_problem_that_hides_internals() -> None:
    client = client_for(FailingDecider(RuntimeError("secret connection string")))
    response = client.post(DRY_RUN,
                           json=as_request(CASES["usms-fugitive-warrant"]))
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret" not in response.text
    assert "NOT allowed" in response.json()["detail"]


def test_policy_that_fails_to_load_is_a_500_problem() -> None:
    client = client_for(FailingDecider(PolicyLoadError("manifest lacks 'id'",
                                                       source="il-trust-2021")))
    response = client.post(DRY_RUN, json=as_request(CASES["usms-fugitive-warrant"]))
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


def test_health_does_not_load_the_policy(monkeypatch: pytest.MonkeyPatch,
                                         decider: Decider) -> None:
    built: list[Settings] = []

    def build(settings: Settings) -> Decider:
        built.append(settings)
        return decider

    monkeypatch.setattr("sanctuarygate.web.app.build_decider", build)
    settings = Settings(database_url="sqlite://")
    app = create_app(settings)  # the factory builds the decider, once, from its settings
    assert built == [settings] and app.state.decider is decider
    client = TestClient(app)  # not started (no lifespan): not ready, and loads nothing more
    assert client.get("/healthz").status_code == 503
    assert built == [settings]


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


def test_a_what_if_is_marked_hypothetical_and_never_recorded(
        client: TestClient, desk_token: dict[str, str]) -> None:
    body = {"profile": "chicago", "date": "2019-07-15", "principal": {"agency": "ICE-ERO"},
            "action": "assist-operation", "resource": {"type": "Facility", "id": "cpd-station"},
            "context": {"purpose": "civil-immigration-enforcement", "document": {"kind": "none"}},
            "extra_packs": ["ocad-proposed-eo-2019"]}
    before = client.get("/api/v1/log/checkpoint").text
    answer = client.post(DECISIONS, json=body, headers=desk_token).json()
    assert answer["hypothetical"] is True and answer["recorded"] is False
    assert answer["banner"].startswith("HYPOTHETICAL")
    assert "log_index" not in answer
    assert client.get("/api/v1/log/checkpoint").text == before


# --- Every write to the log is authenticated --------------------------------------------------
def today() -> dict[str, Any]:
    """Today's request, built when asked: a suite that runs past midnight asks about the new day."""
    return {**as_request(CASES["detainer-without-warrant-downstate"]),
             "date": get_settings().today().isoformat()}


def _size(client: TestClient) -> int:
    return int(client.get("/api/v1/log/checkpoint").text.splitlines()[1])


def _refused_since(client: TestClient, start: int) -> list[tuple[str, str | None]]:
    """The entries since ``start``, each a refused attempt (``auth-failed``) at POST
    /api/v1/decisions: their reasons and key ids (the test fails on any other entry)."""
    found = client.get(f"/api/v1/log/entries?start={start}&end={_size(client)}").json()
    entries = [e["entry"] for e in found["entries"]]
    assert all(e["kind"] == "auth-failed" and e["what"] == f"POST {DECISIONS}"
               for e in entries), entries
    return [(e["reason"], e.get("key_id")) for e in entries]


@pytest.mark.parametrize(("headers", "refusal"), [
    ({}, ("missing", None)),
    ({"authorization": "Bearer sgs_00000000_" + "x" * 43}, ("unknown", "sgs_00000000")),
    ({"authorization": "Basic dTpw"}, ("malformed", None)),
    ({"authorization": "Bearer not-a-token"}, ("malformed", None))])
def test_recording_without_a_staff_token_is_401_and_records_only_the_attempt(
        client: TestClient, headers: dict[str, str], refusal: tuple[str, str | None]) -> None:
    """No decision is recorded; the refused attempt is (its reason and the token's id, never
    the secret)."""
    before = _size(client)
    response = client.post(DECISIONS, json=today(), headers=headers)
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith('Bearer realm="sanctuarygate"')
    assert "outcome" not in response.json()
    assert _refused_since(client, before) == [refusal]
    text = client.get(f"/api/v1/log/entries?start={before}&end={_size(client)}").text
    assert "x" * 43 not in text and "dTpw" not in text


def test_an_agency_key_is_no_staff_token(client: TestClient) -> None:
    key = "sgk_0a1b2c3d_" + "k" * 43  # an agency key's shape: not a staff token
    response = client.post(DECISIONS, json=today(), headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 401 and response.json()["reason"] == "malformed"


@pytest.mark.parametrize("role", ["auditor", "records", "admin"])
def test_a_role_that_may_not_record_is_403(client: TestClient, role: str) -> None:
    _, token = token_of(role)
    before = _size(client)
    response = client.post(DECISIONS, json=today(), headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
    assert "record-decision" in response.json()["detail"]
    assert _refused_since(client, before) == [("role", token[:12])]  # sgs_<token id>


def test_a_revoked_token_or_disabled_account_is_401(client: TestClient) -> None:
    from sanctuarygate.audit.default import default_log
    from sanctuarygate.store.staff import disable_staff, revoke_token

    _, token = token_of("desk")
    with default_log().engine.begin() as conn:
        revoke_token(conn, token)
    revoked = client.post(DECISIONS, json=today(), headers={"authorization": f"Bearer {token}"})
    assert revoked.status_code == 401 and revoked.json()["reason"] == "revoked"
    other, token = token_of("reviewer")
    with default_log().engine.begin() as conn:
        disable_staff(conn, other.name)
    disabled = client.post(DECISIONS, json=today(), headers={"authorization": f"Bearer {token}"})
    assert disabled.status_code == 401 and disabled.json()["reason"] == "disabled"


@pytest.mark.parametrize("role", ["desk", "reviewer"])
def test_a_recorded_entry_names_the_account_never_free_text(client: TestClient, role: str) -> None:
    member, token = token_of(role)
    answer = client.post(DECISIONS, json=today(), headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["recorded"] is True and "dry_run" not in body
    index = body["log_index"]
    entry = client.get(f"/api/v1/log/entries?start={index}&end={index + 1}").json()
    assert entry["entries"][0]["entry"]["actor"] == member.actor
    assert member.actor.startswith("staff:s-") and member.name not in entry["entries"][0]["body"]


def test_a_dry_run_needs_no_credential_and_writes_nothing(client: TestClient,
                                                          decider: Decider) -> None:
    before = _size(client)
    answer = client.post(DRY_RUN, json=today())
    assert answer.status_code == 200
    body = answer.json()
    assert (body.pop("dry_run"), body.pop("recorded")) == (True, False)
    assert "log_index" not in body and _size(client) == before
    assert {k: v for k, v in body.items() if k != "request"} == decider.decide(
        parse_request(today())).to_dict()


def test_openapi_declares_the_staff_token_on_the_decisions_route(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["components"]["securitySchemes"]["staffToken"]["scheme"] == "bearer"
    operation = spec["paths"]["/api/v1/decisions"]["post"]
    assert {"staffToken": []} in operation["security"]
    assert any(p["name"] == "dry_run" for p in operation["parameters"])


def _record(client: TestClient, token: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(DECISIONS, json=body or today(), headers={"authorization": f"Bearer {token}"})


def _entries_since(client: TestClient, start: int) -> list[dict[str, Any]]:
    found = client.get(f"/api/v1/log/entries?start={start}&end={_size(client)}").json()
    return [e["entry"] for e in found["entries"]]


@pytest.mark.parametrize("change", ["revoke", "disable", "roles"])
def test_a_token_the_worker_remembers_writes_nothing_once_it_lapsed(
        client: TestClient, change: str) -> None:
    """The first recorded answer puts the token in the worker's cache; after a revocation, a
    disabled account or a change of roles, the next one is refused as a first use would be
    (401 or 403, on the log), and no decision is recorded: the commit checked the grant."""
    from sqlalchemy import update

    from sanctuarygate.audit.default import default_log
    from sanctuarygate.store.staff import disable_staff, revoke_token
    from sanctuarygate.store.tables import staff_account

    member, token = token_of("desk")
    assert _record(client, token).status_code == 200  # checked in full, now remembered
    assert _record(client, token).status_code == 200  # from the cache
    with default_log().engine.begin() as conn:
        if change == "revoke":
            revoke_token(conn, token)
        elif change == "disable":
            disable_staff(conn, member.name)
        else:  # the desk role taken away
            conn.execute(update(staff_account).where(staff_account.c.id == member.id)
                         .values(roles="auditor"))
    before = _size(client)
    refused = _record(client, token)
    expected = {"revoke": (401, "revoked"), "disable": (401, "disabled"), "roles": (403, "role")}
    assert refused.status_code == expected[change][0], refused.text
    assert "outcome" not in refused.json()
    assert _refused_since(client, before) == [(expected[change][1], token[:12])]


def test_a_remembered_token_whose_roles_still_allow_records_again_after_a_full_check(
        client: TestClient) -> None:
    """A change of roles that still allows recording: the commit leaves the entry out, the
    token is checked again in full, and the answer is recorded once, under the account."""
    from sqlalchemy import update

    from sanctuarygate.audit.default import default_log
    from sanctuarygate.store.tables import staff_account

    member, token = token_of("desk")
    assert _record(client, token).status_code == 200
    with default_log().engine.begin() as conn:
        conn.execute(update(staff_account).where(staff_account.c.id == member.id)
                     .values(roles="desk,reviewer"))
    before = _size(client)
    again = _record(client, token)
    assert again.status_code == 200 and again.json()["log_index"] == before
    entries = _entries_since(client, before)
    assert [(e["kind"], e["actor"]) for e in entries] == [("decision", member.actor)]


def test_a_remembered_token_revoked_before_a_review_opens_no_case(client: TestClient) -> None:
    """A review opens its case in the transaction that records it, which checks the grant
    too: revoked, nothing is recorded and no case is opened."""
    from sanctuarygate.audit.default import default_log
    from sanctuarygate.store.staff import revoke_token

    from .test_cases import split_body

    _, token = token_of("desk")
    opened = _record(client, token, split_body())
    assert opened.status_code == 200 and "case_id" in opened.json()
    with default_log().engine.begin() as conn:
        revoke_token(conn, token)
    before = _size(client)
    refused = _record(client, token, split_body())
    assert refused.status_code == 401 and refused.json()["reason"] == "revoked"
    assert _refused_since(client, before) == [("revoked", token[:12])]
    cases = client.get("/api/v1/cases", headers={
        "authorization": f"Bearer {token_of('reviewer')[1]}"}).json()
    assert max(c["id"] for c in cases["cases"]) == opened.json()["case_id"]
