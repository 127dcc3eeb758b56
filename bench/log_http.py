"""End to end over HTTP, for ``bench/log.py``: recorded decisions against dry runs.

A real server (``uvicorn --factory sanctuarygate.web.app:create_app --workers W``) on a private
PostgreSQL schema; N client connections (keep-alive, one asyncio process with a minimal HTTP/1.1
client, so the load generator costs little CPU) post the same decision request, either recorded
(``POST /api/v1/decisions`` with a staff token: one per connection, as desk officers each have
their own) or as a dry run (``?dry_run=true``: the same answer, nothing recorded). The two modes
alternate round by round; each round lasts a fixed time. After the run the log must hold exactly
the acknowledged entries, with distinct, gapless indexes.

Not a module of the package, not a test: imported by ``bench/log.py`` only.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, func, select, text

from sanctuarygate.settings import Settings
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.staff import add_staff, issue_token
from sanctuarygate.store.tables import log_entry

ORIGIN = "bench.example/log"
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.I)
_INDEX = re.compile(rb'"log_index":(\d+)')


def request_body() -> bytes:
    """A question about today (so it is recorded, not a what-if) whose answer is deny: an ICE
    detainer alone is not a judicial warrant (no review case is opened)."""
    return json.dumps({
        "profile": "chicago", "date": Settings().today().isoformat(),
        "principal": {"agency": "ICE-ERO"}, "action": "honor-detainer",
        "resource": {"type": "Person", "in_custody": True},
        "context": {"purpose": "civil-immigration-enforcement",
                    "document": {"kind": "detainer", "verified": True}}}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class Server:
    """The server process and what the clients need to reach it."""

    process: subprocess.Popen[bytes]
    port: int
    tokens: list[str]
    url: str  # the log database, with its schema

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def start_server(pg_url: str, schema: str, data_dir: Path, workers: int, clients: int, *,
                 factory: str = "sanctuarygate.web.app:create_app",
                 env: dict[str, str] | None = None) -> Server:
    """Migrate the schema, make a desk officer with a token per client, start the server
    (``factory``, with ``env`` added to the environment) and wait until every worker answers
    ``/healthz``."""
    url = f"{pg_url}?options={quote(f'-csearch_path={schema}')}"
    engine = create_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            add_staff(conn, "bench-desk", ["desk"], password="bench password, not a secret")
            tokens = [issue_token(conn, "bench-desk", f"client {k}").token for k in range(clients)]
    finally:
        engine.dispose()
    port = free_port()
    env = {**os.environ, "SANCTUARYGATE_DATABASE_URL": url, "SANCTUARYGATE_DATA_DIR": str(data_dir),
           "SANCTUARYGATE_LOG_ORIGIN": ORIGIN, **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory,
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--no-access-log", "--log-level", "warning"], env=env, stdin=subprocess.DEVNULL)
    server = Server(process, port, tokens, url)
    deadline = time.monotonic() + 180
    ready = 0
    while ready < 4 * workers:  # several answers in a row: every worker is up
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"the server did not start (exit {process.returncode})")
        try:
            ok = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            ok = False
        ready = ready + 1 if ok else 0
        if not ok:
            time.sleep(0.2)
    return server


def _request(port: int, body: bytes, token: str | None) -> bytes:
    path = "/api/v1/decisions" + ("" if token else "?dry_run=true")
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


@dataclass(slots=True)
class Run:
    """One timed run: answers, latencies (s), the indexes of recorded answers, failures."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / max(self.seconds, 1e-9)


async def _connection(port: int, raw: bytes, deadline: float, run: Run, record: bool) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    clock = time.monotonic
    try:
        while clock() < deadline:
            t0 = clock()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            found = _LENGTH.search(head)
            answer = await reader.readexactly(int(found.group(1)) if found else 0)
            run.latencies.append(clock() - t0)
            status = head[9:12]
            if status != b"200":
                run.failed.append(f"{status.decode()} {answer[:200]!r}")
            elif record:
                index = _INDEX.search(answer)
                if index is None or b'"recorded":true' not in answer:
                    run.failed.append(f"not recorded: {answer[:200]!r}")
                else:
                    run.indexes.append(int(index.group(1)))
            elif b'"dry_run":true' not in answer:
                run.failed.append(f"not a dry run: {answer[:200]!r}")
    finally:
        writer.close()


async def _load(server: Server, body: bytes, record: bool, seconds: float) -> Run:
    run = Run()
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(*(
        _connection(server.port, _request(server.port, body, token if record else None),
                    deadline, run, record) for token in server.tokens))
    run.seconds = time.monotonic() - start  # to the last answer
    return run


def load(server: Server, body: bytes, record: bool, seconds: float) -> Run:
    """Every client posts, answer after answer, for ``seconds``; waits for the last answers."""
    return asyncio.run(_load(server, body, record, seconds))


def check_log(server: Server, acknowledged: list[int]) -> str:
    """The log holds exactly the acknowledged entries: distinct, gapless indexes."""
    engine = create_engine(server.url)
    try:
        with engine.connect() as conn:
            size = int(conn.execute(text("SELECT size FROM log_head WHERE id = 1")).scalar_one())
            rows, top = conn.execute(select(func.count(), func.max(log_entry.c.idx))).one()
    finally:
        engine.dispose()
    if len(set(acknowledged)) != len(acknowledged):
        raise SystemExit("two recorded answers carry the same log index")
    if not (size == rows == len(acknowledged) and (top is None or top == size - 1)):
        raise SystemExit(f"the log has size {size}, {rows} rows, last index {top}, but "
                         f"{len(acknowledged)} decisions were acknowledged")
    if sorted(acknowledged) != list(range(size)):
        raise SystemExit("the acknowledged indexes are not the log's 0..size-1")
    return f"log checked: {size} entries, every one acknowledged, indexes 0..{size - 1}"
