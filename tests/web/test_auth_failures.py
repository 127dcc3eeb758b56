"""Every failed authentication is on the record: an ``auth-failed`` log entry (the reason,
the method and path, the key id when one can be read; never the secret, never the client's
address) and a service log line; a client that keeps failing is answered 429 with
``Retry-After`` and is not looked at; two key headers are a 400, never "the first one wins".
On SQLite and PostgreSQL logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.gateway.keys import issue_key, revoke_key
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import Settings
from sanctuarygate.store.credential import IssuedKey
from sanctuarygate.store.db import upgrade
from sanctuarygate.web.app import create_app

from .conftest import TestClient

QUERY = {"dataset": "cpd-arrests", "purpose": "criminal-investigation", "limit": 1}
PLAN = "/api/v1/query/plan?dataset=cpd-arrests"


@pytest.fixture
def log(db_engine: Engine, tmp_path: Path) -> DecisionLog:
    upgrade(db_engine)
    return DecisionLog(db_engine, origin="test.example/auth-failures", data_dir=tmp_path)


def _client(log: DecisionLog, tmp_path: Path, **settings: Any) -> TestClient:
    app = create_app(Settings(data_dir=tmp_path, **settings), decider=default_decider(),
                     log=log)
    return TestClient(app)


@pytest.fixture
def client(log: DecisionLog, tmp_path: Path) -> Iterator[TestClient]:
    with _client(log, tmp_path) as test_client:
        yield test_client


def _issue(log: DecisionLog, agency: str = "FBI") -> IssuedKey:
    with log.engine.begin() as conn:
        return issue_key(conn, agency, "auth failure test")


def _since(log: DecisionLog, start: int) -> list[dict[str, Any]]:
    return [json.loads(e.body) for e in log.entries(start, log.size())]


def test_each_kind_of_failure_is_one_entry_with_the_key_id_and_never_the_secret(
        client: TestClient, log: DecisionLog) -> None:
    fbi, revoked = _issue(log), _issue(log, "ATF")
    with log.engine.begin() as conn:
        revoke_key(conn, revoked.info.key_id)
    never_issued = "sgk_0badc0de_" + "Z" * 43
    truncated = fbi.key[:30]
    attempts: list[tuple[str, dict[str, str], dict[str, Any] | None, str, str | None]] = [
        ("POST", {}, QUERY, "missing", None),
        ("POST", {"Authorization": "Basic dXNlcjpwYXNz"}, QUERY, "malformed", None),
        ("POST", {"X-API-Key": truncated}, QUERY, "malformed", fbi.info.key_id),
        ("POST", {"X-API-Key": never_issued}, QUERY, "unknown", "0badc0de"),
        ("POST", {"X-API-Key": revoked.key}, QUERY, "revoked", revoked.info.key_id),
        ("POST", {"X-API-Key": fbi.key}, {**QUERY, "agency": "ICE-ERO"}, "wrong-agency",
         fbi.info.key_id),
        ("GET", {"X-API-Key": revoked.key}, None, "revoked", revoked.info.key_id),
    ]
    for method, headers, body, reason, key_id in attempts:
        before = log.size()
        if method == "POST":
            r = client.post("/api/v1/query", json=body, headers=headers)
            what = "POST /api/v1/query"
        else:
            r = client.get(PLAN, headers=headers)
            what = "GET /api/v1/query/plan"
        assert r.status_code == 401 and r.json()["reason"] == reason, r.text
        (entry,) = _since(log, before)
        assert (entry["kind"], entry["reason"], entry["what"]) == ("auth-failed", reason, what)
        assert entry.get("key_id") == key_id
    text = "\n".join(e.body for e in log.entries(0, log.size()))
    for secret in (fbi.key, revoked.key, never_issued, truncated, "dXNlcjpwYXNz", "testclient"):
        assert secret not in text


def test_a_failure_prints_a_service_log_line(client: TestClient, log: DecisionLog,
                                             caplog: pytest.LogCaptureFixture) -> None:
    revoked = _issue(log, "ATF")
    with log.engine.begin() as conn:
        revoke_key(conn, revoked.info.key_id)
    with caplog.at_level(logging.WARNING, logger="sanctuarygate.web"):
        client.post("/api/v1/query", json=QUERY, headers={"X-API-Key": revoked.key})
    (line,) = [r.getMessage() for r in caplog.records if "authentication failed" in r.getMessage()]
    assert line.startswith("POST /api/v1/query: authentication failed (revoked, key ")
    assert revoked.info.key_id in line and revoked.key not in line


def test_a_client_that_keeps_failing_is_answered_429_and_not_looked_at(
        log: DecisionLog, tmp_path: Path) -> None:
    fbi = _issue(log)
    with _client(log, tmp_path, auth_failure_limit=3, auth_failure_window=600) as client:
        before = log.size()
        for _ in range(3):
            assert client.post("/api/v1/query", json=QUERY).status_code == 401
        assert log.size() == before + 3
        for headers in ({}, {"X-API-Key": fbi.key}):  # even a good key waits its turn
            r = client.post("/api/v1/query", json=QUERY, headers=headers)
            assert r.status_code == 429, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["reason"] == "throttled"
            assert 0 < int(r.headers["Retry-After"]) <= 600
        assert log.size() == before + 3  # nothing more recorded, nothing decided
        assert client.get(PLAN, headers={"X-API-Key": fbi.key}).status_code == 429


def test_successes_are_not_counted_against_the_client(log: DecisionLog,
                                                      tmp_path: Path) -> None:
    fbi = _issue(log)
    with _client(log, tmp_path, auth_failure_limit=2) as client:
        for _ in range(5):
            assert client.get(PLAN, headers={"X-API-Key": fbi.key}).status_code == 200
        assert client.get(PLAN).status_code == 401
        assert client.get(PLAN, headers={"X-API-Key": fbi.key}).status_code == 200


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
def test_two_headers_of_one_kind_are_400_not_first_wins(client: TestClient, log: DecisionLog,
                                                        header: str) -> None:
    fbi, dea = _issue(log), _issue(log, "DEA")
    values = [f"Bearer {k.key}" if header == "Authorization" else k.key for k in (fbi, dea)]
    before = log.size()
    r = client.post("/api/v1/query", json=QUERY,
                    headers=[(header, values[0]), (header, values[1])])
    assert r.status_code == 400, r.text
    assert r.json()["reason"] == "ambiguous" and header in r.json()["detail"]
    assert 'error="invalid_request"' in r.headers["www-authenticate"]
    assert [(e["kind"], e["reason"]) for e in _since(log, before)] == [("auth-failed",
                                                                        "ambiguous")]
    same = client.post("/api/v1/query", json=QUERY, headers=[(header, values[0])] * 2)
    assert same.status_code == 400  # even the same key twice: which header was meant?


def test_a_client_failing_staff_tokens_at_recording_is_answered_429(log: DecisionLog,
                                                                   tmp_path: Path) -> None:
    """The recording routes count refused staff tokens against the client as the gateway
    counts agency keys: each refusal is an entry, then 429 with nothing looked at or recorded
    (a refused read, which writes nothing, is neither recorded nor counted)."""
    body = {"profile": "chicago", "date": Settings().today().isoformat(),
            "principal": {"agency": "FBI"}, "action": "transfer-custody",
            "resource": {"type": "Person", "in_custody": True},
            "context": {"document": {"kind": "federal-criminal-warrant", "verified": True}}}
    bad = {"Authorization": "Bearer sgs_0badc0de_" + "Z" * 43}
    with _client(log, tmp_path, auth_failure_limit=2, auth_failure_window=600) as client:
        before = log.size()
        for _ in range(3):
            assert client.get("/api/v1/cases", headers=bad).status_code == 401  # a read
        assert log.size() == before
        for _ in range(2):
            assert client.post("/api/v1/decisions", json=body, headers=bad).status_code == 401
        logged = _since(log, before)
        assert [(e["kind"], e["reason"], e["key_id"]) for e in logged] == [
            ("auth-failed", "unknown", "sgs_0badc0de")] * 2
        r = client.post("/api/v1/decisions", json=body, headers=bad)
        assert r.status_code == 429 and r.json()["reason"] == "throttled", r.text
        assert 0 < int(r.headers["Retry-After"]) <= 600
        assert log.size() == before + 2  # nothing more recorded
