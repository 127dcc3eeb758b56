"""Every route of the API that writes answers 401 (problem+json, with the scheme to use) to a
caller without credentials, and writes no decision: walked over the app's own routes, so a
writing route added later without a guard fails here."""

from __future__ import annotations

import json
import re

import pytest

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.web.app import create_app

from .conftest import TestClient
from .test_signin import _api_routes

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _writing_routes(decider: Decider) -> list[tuple[str, str]]:
    app = create_app(decider=decider)
    return sorted({(method, route.path) for route in _api_routes(app.routes)
                   if route.path.startswith("/api/")
                   for method in (route.methods or set()) & WRITES})


def test_the_walk_finds_the_writing_routes(decider: Decider) -> None:
    found = set(_writing_routes(decider))
    assert {("POST", "/api/v1/decisions"), ("POST", "/api/v1/query"),
            ("POST", "/api/v1/cases/{case_id}/review")} <= found


BODY = {"profile": "illinois", "agency": "ICE-ERO", "action": "honor-detainer",
        "date": "2024-02-01", "resource": {"kind": "person", "in_custody": True},
        "context": {"purpose": "civil-immigration-enforcement"}}


@pytest.mark.parametrize("credentials", [{}, {"authorization": "Bearer not-a-token"},
                                         {"authorization": "Basic dXNlcjpwYXNz"}])
def test_every_writing_route_is_401_without_credentials(decider: Decider,
                                                        credentials: dict[str, str]) -> None:
    client = TestClient(create_app(decider=decider))
    log = default_log()
    for method, path in _writing_routes(decider):
        url = re.sub(r"\{[^}]+\}", "1", path)
        before = log.size()
        r = client.request(method, url, content=json.dumps(BODY),
                           headers={"content-type": "application/json", **credentials})
        assert r.status_code == 401, f"{method} {path}: {r.status_code} {r.text[:200]}"
        assert r.headers["content-type"].startswith("application/problem+json"), path
        assert r.headers.get("www-authenticate", "").startswith("Bearer"), path
        written = [json.loads(e.body) for e in log.entries(before, log.size())]
        assert not [e for e in written if e.get("kind") in ("decision", "review", "exception",
                                                              "exception-approval")], path
