"""Every route refuses an oversized body with 413, and no error repeats a huge value whole."""

from __future__ import annotations

from collections.abc import Iterator

from sanctuarygate.policy.decide import Decider

from .conftest import TestClient, web_app

LIMIT = 2_048


def _client(decider: Decider) -> TestClient:
    return TestClient(web_app(decider, max_request_bytes=LIMIT))


def test_an_oversized_decision_is_413_problem_json(decider: Decider) -> None:
    response = _client(decider).post("/api/v1/decisions", content=b"{" + b" " * 10_000 + b"}",
                                     headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "2,048 bytes" in response.json()["detail"]


def test_an_oversized_body_without_a_length_is_stopped_while_it_streams(decider: Decider) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            yield b" " * 512

    response = _client(decider).post("/api/v1/decisions", content=chunks(),
                                     headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_an_oversized_desk_form_is_a_card_for_htmx(decider: Decider) -> None:
    response = _client(decider).post("/decide", data={"agency": "X" * 5_000},
                                     headers={"HX-Request": "true"})
    assert response.status_code == 413
    assert response.headers["X-Sanctuarygate-Card"] == "1"
    assert "NOT DECIDED — THE REQUEST IS TOO LARGE" in response.text
    assert "Nothing was decided" in response.text and "DENY" not in response.text


def test_a_small_request_still_passes(decider: Decider) -> None:
    with _client(decider) as client:  # started: migrated and ready
        response = client.get("/healthz")
    assert response.status_code == 200


def test_a_huge_agency_id_is_not_echoed_whole(client: TestClient) -> None:
    body = {"profile": "chicago", "date": "2025-01-01", "principal": {"agency": "Z" * 40_000},
            "action": "honor-detainer", "resource": {"type": "Person"}}
    response = client.post("/api/v1/decisions?dry_run=true", json=body)
    assert response.status_code in (413, 422)
    assert len(response.text) < 2_000


def test_a_body_that_is_not_json_is_415(client: TestClient) -> None:
    response = client.post("/api/v1/decisions", content=b'{"profile": "chicago"}',
                           headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "application/json" in response.json()["detail"]
