"""Start-up: the app migrates its database and loads its keys and packs once, before the first
request; /healthz is ready only after; 64 concurrent first requests to a freshly started app on
an empty database all succeed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import Settings, get_settings
from sanctuarygate.store.db import current, head
from sanctuarygate.store.staff import add_staff, issue_token
from sanctuarygate.web.app import create_app
from sanctuarygate.web.problem import PROBLEM_JSON

from .conftest import as_request, shared_cases


def case() -> dict[str, Any]:
    """Today's request, built when asked (a run past midnight asks about the new day)."""
    return {**as_request(shared_cases()["detainer-without-warrant-downstate"]),
            "date": get_settings().today().isoformat()}
FIRST_REQUESTS = 64
READS = ("/healthz", "/api/v1/log/entries?start=0&end=1", "/api/v1/profiles", "/api/v1/log/policy",
         "/api/v1/log/checkpoint")  # concurrent checkpoints of one size: the first is kept


def fresh_app(decider: Decider, engine: Engine, data_dir: Path):  # type: ignore[no-untyped-def]
    log = DecisionLog(engine, origin="sanctuarygate.example/startup", data_dir=data_dir)
    return create_app(decider=decider, log=log)


def client(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def test_health_is_not_ready_before_the_start(decider: Decider, db_engine: Engine,
                                               tmp_path: Path) -> None:
    app = fresh_app(decider, db_engine, tmp_path)

    async def ask() -> httpx.Response:
        async with client(app) as http:  # no lifespan: the start has not run
            return await http.get("/healthz")

    response = asyncio.run(ask())
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("not-ready") and "retry" in response.json()["detail"]
    assert current(db_engine) is None  # nothing migrated without a start


def test_64_concurrent_first_requests_on_an_empty_database_all_succeed(
        decider: Decider, db_engine: Engine, tmp_path: Path) -> None:
    app = fresh_app(decider, db_engine, tmp_path)

    async def first_requests() -> list[httpx.Response]:
        async with app.router.lifespan_context(app), client(app) as http:
            with db_engine.begin() as conn:  # recording needs a staff token (migrated now)
                add_staff(conn, "startup-desk", ["desk"])
                auth = {"authorization": f"Bearer {issue_token(conn, 'startup-desk').token}"}
            asks = [http.post("/api/v1/decisions", json=case(), headers=auth) if i % 2 else
                    http.get(READS[i // 2 % len(READS)]) for i in range(FIRST_REQUESTS)]
            return await asyncio.gather(*asks)

    responses = asyncio.run(first_requests())
    assert [r.status_code for r in responses] == [200] * FIRST_REQUESTS, \
        [r.text[:200] for r in responses if r.status_code != 200]
    recorded = sorted(r.json()["log_index"] for r in responses if r.request.method == "POST")
    assert recorded == list(range(FIRST_REQUESTS // 2))  # one gapless entry per decision
    assert current(db_engine) == head()
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    assert (tmp_path / "keys" / "sanctuarygate.example%2Fstartup.key").exists()  # made at start


def test_a_damaged_signing_key_stops_the_start_naming_the_file(
        decider: Decider, db_engine: Engine, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "sanctuarygate.example%2Fstartup.key").touch(mode=0o600)  # left by an old crash
    app = fresh_app(decider, db_engine, tmp_path)

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(Exception, match=r"startup\.key: the signing key file is empty"):
        asyncio.run(start())
    assert app.state.ready is False


def test_an_app_keeps_the_settings_it_was_built_with(decider: Decider, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings are read once, by the factory (here: given); no request reads the environment
    again, so a broken environment after the start changes nothing."""
    settings = Settings(data_dir=tmp_path, log_origin="sanctuarygate.example/own",
                        max_request_bytes=2_048)
    app = create_app(settings, decider=decider)
    assert app.state.settings is settings and app.state.decider is decider
    assert app.state.log.origin == "sanctuarygate.example/own"
    assert app.state.gateway.data_dir == tmp_path and app.state.gateway.log is app.state.log
    monkeypatch.setenv("SANCTUARYGATE_DECISION_CACHE_SIZE", "-1")  # load_settings would refuse

    async def requests() -> list[httpx.Response]:
        async with app.router.lifespan_context(app), client(app) as http:
            return [await http.get("/healthz"), await http.get("/api/v1/log/checkpoint"),
                    await http.post("/api/v1/decisions?dry_run=true", content=b"x" * 4_096,
                                    headers={"content-type": "application/json"})]

    health, checkpoint, big = asyncio.run(requests())
    assert health.status_code == 200 and checkpoint.status_code == 200
    assert checkpoint.text.startswith("sanctuarygate.example/own\n0\n")
    assert big.status_code == 413  # the settings' body limit, not the default 64 KiB
    assert (tmp_path / "sanctuarygate.db").exists()
