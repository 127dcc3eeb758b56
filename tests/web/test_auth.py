"""Agency keys over HTTP: 401 problems for no key, a bad key, a revoked key, another agency's key;
the key's own agency for a good one, its use recorded in the log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.gateway.keys import issue_key, revoke_key
from sanctuarygate.policy.decide import Decider
from sanctuarygate.store.credential import IssuedKey, list_keys
from sanctuarygate.store.db import upgrade
from sanctuarygate.web.app import create_app
from sanctuarygate.web.auth import AgencyKey, VerifiedKey, require_agency

from .conftest import TestClient

PATH = "/api/v1/test/whoami"


@pytest.fixture
def log(db_engine: Engine, tmp_path: Path) -> DecisionLog:
    upgrade(db_engine)
    return DecisionLog(db_engine, origin="test.example/auth", data_dir=tmp_path)


@pytest.fixture
def client(decider: Decider, log: DecisionLog) -> Iterator[TestClient]:
    """The real app plus two test-only routes that use the dependencies."""
    app = create_app(decider=decider, log=log)

    @app.post(PATH)
    def whoami(key: AgencyKey, request: Request, body: dict[str, Any] | None = None
               ) -> dict[str, Any]:
        require_agency(key, (body or {}).get("agency"))
        return {"agency": key.agency_id, "key_id": key.key_id,
                "log_index": request.state.key_use_index}

    @app.get("/api/v1/test/verified")
    def verified(key: VerifiedKey) -> dict[str, str]:
        return {"agency": key.agency_id}

    with TestClient(app) as test_client:
        yield test_client


def _issue(log: DecisionLog, agency: str = "FBI") -> IssuedKey:
    with log.engine.begin() as conn:
        return issue_key(conn, agency, "test")


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _assert_401(response: Any, reason: str, needle: str) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith('Bearer realm="sanctuarygate"')
    body: dict[str, Any] = response.json()
    assert body["type"] == "urn:sanctuarygate:problem:unauthenticated"
    assert body["title"] == "Not authenticated" and body["status"] == 401
    assert body["reason"] == reason and needle in body["detail"]
    return body


def test_good_key_answers_with_its_agency_and_logs_the_use(client: TestClient,
                                                            log: DecisionLog) -> None:
    issued = _issue(log)
    response = client.post(PATH, headers=_bearer(issued.key), json={"agency": "FBI"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agency"] == "FBI" and body["key_id"] == issued.info.key_id
    (entry,) = log.entries(body["log_index"], body["log_index"] + 1)
    assert json.loads(entry.body) | {"time": "-"} == {
        "v": 1, "kind": "key-use", "time": "-", "key_id": issued.info.key_id, "agency": "FBI",
        "what": f"POST {PATH}"}
    with log.engine.connect() as conn:
        assert list_keys(conn)[0].last_used_at is not None


def test_x_api_key_header_and_lowercase_bearer_work(client: TestClient, log: DecisionLog) -> None:
    issued = _issue(log, "ISP")
    assert client.post(PATH, headers={"X-API-Key": issued.key}).json()["agency"] == "ISP"
    assert client.post(PATH, headers={"authorization": f"bearer {issued.key}"}).status_code == 200
    both = {**_bearer(issued.key), "X-API-Key": issued.key}
    assert client.post(PATH, headers=both).status_code == 200


def test_no_key_is_401(client: TestClient, log: DecisionLog) -> None:
    size = log.size()
    response = client.post(PATH, json={"agency": "FBI"})
    _assert_401(response, "missing", "no API key")
    assert response.headers["www-authenticate"] == 'Bearer realm="sanctuarygate"'
    (entry,) = log.entries(size, log.size())  # the failure is on the record (auth-failed)
    assert json.loads(entry.body)["reason"] == "missing"


def test_revoked_key_is_401(client: TestClient, log: DecisionLog) -> None:
    issued = _issue(log)
    with log.engine.begin() as conn:
        revoke_key(conn, issued.info.key_id)
    response = client.post(PATH, headers=_bearer(issued.key))
    _assert_401(response, "revoked", "revoked API key")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_another_agencys_key_is_401(client: TestClient, log: DecisionLog) -> None:
    fbi = _issue(log, "FBI")
    response = client.post(PATH, headers=_bearer(fbi.key), json={"agency": "ICE-ERO"})
    body = _assert_401(response, "wrong-agency", "belongs to FBI, not to ICE-ERO")
    assert fbi.key not in json.dumps(body)


@pytest.mark.parametrize(("headers", "reason", "needle"), [
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "malformed", "Authorization header"),
    ({"Authorization": "Bearer"}, "malformed", "Authorization header"),
    ({"X-API-Key": "sgk_not-a-key-at-all"}, "malformed", "malformed API key"),
    ({"X-API-Key": "sgk_00000000_" + "A" * 43}, "unknown", "unknown API key"),
], ids=["basic", "empty-bearer", "malformed", "unknown"])
def test_unusable_keys_are_401(client: TestClient, headers: dict[str, str], reason: str,
                               needle: str) -> None:
    body = _assert_401(client.post(PATH, headers=headers), reason, needle)
    assert "not-a-key-at-all" not in body["detail"]  # what was presented is never echoed


def test_two_different_keys_are_401(client: TestClient, log: DecisionLog) -> None:
    a, b = _issue(log), _issue(log)
    headers = {**_bearer(a.key), "X-API-Key": b.key}
    _assert_401(client.post(PATH, headers=headers), "malformed", "two different API keys")


def test_verified_key_authenticates_without_recording(client: TestClient,
                                                      log: DecisionLog) -> None:
    issued = _issue(log, "ISP")
    size = log.size()
    response = client.get("/api/v1/test/verified", headers=_bearer(issued.key))
    assert response.json() == {"agency": "ISP"}
    assert log.size() == size
    _assert_401(client.get("/api/v1/test/verified"), "missing", "no API key")
