"""Fixtures for the web tier: the app with the real policy library, and shared scenario cases."""

from __future__ import annotations

import json
import socket
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.policy.scenario import SCENARIO_KEYS, load_cases
from sanctuarygate.settings import load_settings
from sanctuarygate.web.app import create_app

# Starlette 1.x asks for the ``httpx2`` package under its TestClient and warns on plain httpx,
# which pyproject still names; the warning is about a test dependency, not about our code.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient as TestClient

SCENARIOS = Path(__file__).resolve().parents[1] / "legal" / "scenarios.yaml"  # the repo's copy


def shared_cases() -> dict[str, dict[str, Any]]:
    """The shared scenario cases by id, as JSON would carry them (dates as text)."""
    cases = load_cases(SCENARIOS)
    return {c["id"]: json.loads(json.dumps(dict(c), default=str)) for c in cases}


def as_request(case: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario case without its scenario keys (``id``, ``expect``, ``note``): the body a
    caller would send."""
    return {k: v for k, v in case.items() if k not in SCENARIO_KEYS}


@pytest.fixture(scope="session")
def decider() -> Decider:
    return default_decider()


def web_app(decider: Decider, **given: Any) -> FastAPI:
    """An app built with the test session's own settings (read once: the data directory
    ``tests/conftest.py`` chose) and ``decider``, recording in the session's log (migrated:
    these tests do not run the app's start-up), unless ``given`` another."""
    given.setdefault("log", default_log())
    return create_app(load_settings(), decider=decider, **given)


@pytest.fixture
def client(decider: Decider) -> TestClient:
    return TestClient(web_app(decider))


def client_for(decider: Decider) -> TestClient:
    """A client that answers server errors as responses, as a real server would."""
    return TestClient(web_app(decider), raise_server_exceptions=False)


class FailingDecider(Decider):
    """A decider over the real library whose ``decide`` raises: the engine failing."""

    def __init__(self, error: Exception) -> None:
        super().__init__(default_decider().library)
        self.error = error

    def decide(self, request: Any) -> Any:
        raise self.error


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free 127.0.0.1 port: its base URL, for tests
    with a real browser or a real client."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
