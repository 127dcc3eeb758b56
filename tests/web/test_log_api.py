"""The public log API: every decision response names its entry, and the proofs verify."""

from __future__ import annotations

import base64
from typing import Any

from sanctuarygate.audit import merkle
from sanctuarygate.audit.checkpoint import verify_checkpoint
from sanctuarygate.audit.default import default_log
from sanctuarygate.audit.trust import parse_policy
from sanctuarygate.settings import get_settings

from .conftest import TestClient, as_request, shared_cases
from .staff import as_desk_officer, token_of


# Dated today: only a question about the law in force today is recorded (another date is a what-if).
def case() -> dict[str, Any]:
    """Today's request, built when asked (a run past midnight asks about the new day)."""
    return {**as_request(shared_cases()["detainer-without-warrant-downstate"]),
            "date": get_settings().today().isoformat()}


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def test_decisions_get_increasing_log_indexes(client: TestClient) -> None:
    member, token = token_of("desk")
    client.headers["authorization"] = f"Bearer {token}"
    first = client.post("/api/v1/decisions", json=case()).json()["log_index"]
    second = client.post("/api/v1/decisions", json=case()).json()["log_index"]
    assert second == first + 1
    entry = client.get(f"/api/v1/log/entries?start={first}&end={first + 1}").json()["entries"][0]
    assert entry["entry"]["actor"] == member.actor and entry["entry"]["outcome"] == "deny"
    assert entry["entry"]["rules"][0]["citation"].startswith("5 ILCS 805/15(a)")


def test_checkpoint_and_proofs_verify(client: TestClient) -> None:
    client.headers["authorization"] = f"Bearer {token_of('desk')[1]}"
    for _ in range(5):
        client.post("/api/v1/decisions", json=case())
    note = client.get("/api/v1/log/checkpoint").text
    cp = verify_checkpoint(note, default_log().verifiers())
    assert cp.size >= 5
    for index in (0, cp.size // 2, cp.size - 1):
        proof = client.get(f"/api/v1/log/proof/inclusion?index={index}&size={cp.size}").json()
        assert _b(proof["root_hash"]) == cp.root_hash
        assert merkle.verify_inclusion(_b(proof["leaf_hash"]), index, cp.size,
                                       [_b(p) for p in proof["proof"]], cp.root_hash)
    old = max(1, cp.size - 3)
    body = client.get(f"/api/v1/log/proof/consistency?from={old}&to={cp.size}").json()
    assert merkle.verify_consistency(old, cp.size, _b(body["old_root_hash"]), cp.root_hash,
                                     [_b(p) for p in body["proof"]])


def test_policy_pins_the_keys_that_sign_the_checkpoint(client: TestClient) -> None:
    client.post("/api/v1/decisions", json=case())
    text = client.get("/api/v1/log/policy").text
    policy = parse_policy(text)
    assert policy.origin == default_log().origin
    note = client.get("/api/v1/log/checkpoint").text
    assert verify_checkpoint(note, policy.log_keys).origin == policy.origin


def test_out_of_range_is_a_422_problem(client: TestClient) -> None:
    size = default_log().size()
    response = client.get(f"/api/v1/log/proof/inclusion?index={size + 5}&size={size + 10}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    bad = client.get("/api/v1/log/proof/consistency?from=5&to=2")
    assert bad.status_code == 422


def test_desk_answer_is_recorded(client: TestClient) -> None:
    as_desk_officer(client)
    before = default_log().size()
    page = client.get("/")
    assert page.status_code == 200
    form = {"profile": "illinois", "date": get_settings().today().isoformat(), "agency": "ICE-ERO",
            "action": "honor-detainer", "resource_type": "Person", "in_custody": "true",
            "purpose": "civil-immigration-enforcement", "document_kind": "detainer",
            "verified": "true"}
    response = client.post("/decide", data=form)
    assert response.status_code == 200, response.text
    assert f"#{before}</a>" in response.text and default_log().size() == before + 1
