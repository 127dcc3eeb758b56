"""A client that hangs up mid-stream, for real: a uvicorn server on a free port, an httpx
client that reads a few rows and closes the connection. The query's stream is closed, and the
log says so: ``query-aborted`` with the rows handed over, never ``query-complete``. On SQLite
and PostgreSQL records databases."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.release import Gateway, release
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import Settings
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web.app import create_app

ROWS = 20_000  # far more than the socket buffers hold, so the stream is cut mid-way
QUERY: dict[str, Any] = {"dataset": "cpd-arrests", "purpose": "criminal-investigation",
                         "limit": ROWS}
ENDS = {"query-complete", "query-error", "query-aborted"}


@pytest.fixture
def log(tmp_path: Path) -> Iterator[DecisionLog]:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    yield DecisionLog(engine, origin="test.example/disconnect", data_dir=tmp_path / "data")
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(found: Callable[[], Any], timeout: float = 60.0) -> Any:
    """``found()`` once it is truthy, polled until ``timeout`` seconds (then the last value)."""
    deadline = time.monotonic() + timeout
    while not (value := found()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return value


def _ends(log: DecisionLog, query: int) -> list[dict[str, Any]]:
    entries = [json.loads(e.body) for e in log.entries(query + 1, log.size())]
    return [e for e in entries if e["kind"] in ENDS and e["query"] == query]


def test_a_client_that_hangs_up_is_recorded_as_aborted(db_engine: Engine, log: DecisionLog,
                                                       tmp_path: Path) -> None:
    generate(db_engine, ROWS, seed=6)
    with log.engine.begin() as conn:
        key = issue_key(conn, "FBI", "disconnect test").key
    app = create_app(Settings(data_dir=tmp_path / "data"), decider=default_decider(), log=log,
                     records=db_engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert _wait_for(lambda: server.started, timeout=30), "the server did not start"
        received = 0
        with httpx.Client(timeout=60) as client, client.stream(
                "POST", f"http://127.0.0.1:{server.config.port}/api/v1/query", json=QUERY,
                headers={"Authorization": f"Bearer {key}"}) as r:
            assert r.status_code == 200
            query = int(r.headers["X-Log-Index"])
            for line in r.iter_lines():
                assert "_trailer" not in line
                received += 1
                if received == 5:
                    break
        # The connection is closed here (the response and the client are): the server sees
        # the disconnect, stops the stream and records it.
        ends = _wait_for(lambda: _ends(log, query))
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert [e["kind"] for e in ends] == ["query-aborted"], ends
    assert received <= ends[0]["rows"] < ROWS


def test_a_release_closed_before_its_first_chunk_is_aborted_with_no_rows(
        db_engine: Engine, log: DecisionLog, tmp_path: Path) -> None:
    generate(db_engine, 20, seed=6)
    with log.engine.begin() as conn:
        key = issue_key(conn, "FBI", "disconnect test").info
    gw = Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data")
    done = release(gw, key, {**QUERY, "limit": 20}, via="test: disconnect")
    done.close()
    done.close()  # idempotent: one entry
    assert done.ended == "aborted"
    assert [(e["kind"], e["rows"]) for e in _ends(log, done.log_index)] == [("query-aborted", 0)]


def test_a_release_closed_mid_stream_records_the_rows_handed_over(
        db_engine: Engine, log: DecisionLog, tmp_path: Path) -> None:
    generate(db_engine, 2_500, seed=6)  # three fetches of stream.BATCH rows
    with log.engine.begin() as conn:
        key = issue_key(conn, "FBI", "disconnect test").info
    gw = Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data")
    done = release(gw, key, {**QUERY, "limit": 2_500}, via="test: disconnect")
    first = next(done.chunks)
    done.close()
    rows = first.count(b"\n")
    assert [(e["kind"], e["rows"]) for e in _ends(log, done.log_index)] == [
        ("query-aborted", rows)]
    assert 0 < rows < 2_500


def test_a_stream_read_to_the_end_is_complete_and_close_adds_nothing(
        db_engine: Engine, log: DecisionLog, tmp_path: Path) -> None:
    generate(db_engine, 20, seed=6)
    with log.engine.begin() as conn:
        key = issue_key(conn, "FBI", "disconnect test").info
    gw = Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data")
    done = release(gw, key, {**QUERY, "limit": 20}, via="test: disconnect")
    b"".join(done.chunks)
    done.close()
    assert [(e["kind"], e["rows"]) for e in _ends(log, done.log_index)] == [
        ("query-complete", 20)]
