"""End to end over HTTP, for ``bench/log.py``: recorded decisions against dry runs.

A real server on a private PostgreSQL schema: ``uvicorn --factory --workers W`` on
``bench/log_http_app.py``, the product's app with one response header added that names the
worker (its pid). N client connections (keep-alive, one asyncio process with a minimal HTTP/1.1
client, so the load generator costs little CPU) post the same decision request, either recorded
(``POST /api/v1/decisions`` with a staff token: one per connection, as desk officers each have
their own) or as a dry run (``?dry_run=true``: the same answer, nothing recorded).

The connections are opened once, N/W on each worker (``Clients``: the kernel gives a new
connection to whichever worker accepts first, often the same one for a whole burst; the extras
are closed), and both modes run on them, alternating round by round; each round lasts a fixed
time, and records the answers each worker gave and the connections still open to it. Without
this, a round that landed on one worker measured that worker alone: a dry run nearly doubles on
two workers, a recorded run barely changes, so the paired ratio measured the draw. After the
run the log must hold exactly the acknowledged entries, with distinct, gapless indexes.

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
_WORKER = re.compile(rb"x-bench-worker:\s*(\d+)", re.I)


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
                 factory: str = "log_http_app:create_app",
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
        [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "--factory", factory,
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
    """One timed run: answers, latencies (s), the indexes of recorded answers, failures, the
    answers each worker gave (by pid) and the connections open to it at the end."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    answers: dict[int, int] = field(default_factory=dict)
    connections: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / max(self.seconds, 1e-9)


@dataclass(slots=True)
class Client:
    """One keep-alive connection, the staff token its recorded requests carry, and the worker
    (pid) that accepted it."""

    token: str
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    worker: int


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes, int]:
    """One answer: its head, its body and the pid of the worker that gave it (0: not named)."""
    head = await reader.readuntil(b"\r\n\r\n")
    found = _LENGTH.search(head)
    body = await reader.readexactly(int(found.group(1)) if found else 0)
    worker = _WORKER.search(head)
    return head, body, int(worker.group(1)) if worker else 0


class Clients:
    """``len(server.tokens)`` keep-alive connections held across rounds, the same number on
    every worker, so that both modes are served by the same workers in the same proportions.

    The kernel hands a new connection to whichever worker accepts it first; connections are
    opened one at a time and one that lands on a worker that has its share already is closed
    (``extra``). Before each round, a connection the server closed is reopened the same way on
    the worker it was on (``reopened``)."""

    def __init__(self, server: Server, workers: int) -> None:
        if len(server.tokens) % workers:
            raise SystemExit(f"{len(server.tokens)} clients do not split evenly over {workers} workers")
        self.server = server
        self.workers = workers
        self.share = len(server.tokens) // workers
        self.pids: list[int] = []  # in the order first seen
        self.clients: list[Client] = []
        self.opened = self.extra = self.reopened = 0
        self.runner = asyncio.Runner()

    def balance(self) -> None:
        """Open connections until each worker holds its share (reopening closed ones)."""
        self.runner.run(self._balance())

    def load(self, body: bytes, record: bool, seconds: float) -> Run:
        """Every client posts, answer after answer, for ``seconds``; waits for the last
        answers, then counts the connections still open to each worker."""
        run = self.runner.run(self._load(body, record, seconds))
        for c in self.clients:
            if not (c.reader.at_eof() or c.writer.is_closing()):
                run.connections[c.worker] = run.connections.get(c.worker, 0) + 1
        return run

    def split(self) -> dict[int, int]:
        """Connections per worker (pid), every worker seen listed."""
        out = dict.fromkeys(self.pids, 0)
        for c in self.clients:
            out[c.worker] += 1
        return out

    def close(self) -> None:
        for c in self.clients:
            c.writer.close()
        self.runner.close()

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
        port = self.server.port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        head, _, worker = await _answer(reader)
        if head[9:12] != b"200" or not worker:
            writer.close()
            raise SystemExit(f"/healthz on a new connection: {head[:200]!r} (no worker named?)")
        self.opened += 1
        return reader, writer, worker

    async def _balance(self) -> None:
        alive = [c for c in self.clients if not (c.reader.at_eof() or c.writer.is_closing())]
        for c in self.clients:
            if c not in alive:
                c.writer.close()
        self.reopened += len(self.clients) - len(alive)
        self.clients = alive
        held = {c.token for c in alive}
        waiting = [t for t in self.server.tokens if t not in held]
        count = {pid: 0 for pid in self.pids}
        for c in alive:
            count[c.worker] += 1
        extras: list[asyncio.StreamWriter] = []
        tries = 0
        try:
            while waiting:
                tries += 1
                if tries > 50 * len(self.server.tokens):
                    raise SystemExit(f"could not open {self.share} connections on each of"
                                     f" {self.workers} workers in {tries - 1} tries: {count}")
                reader, writer, worker = await self._open()
                if worker not in count and len(count) < self.workers:
                    count[worker] = 0
                    self.pids.append(worker)
                if count.get(worker, self.share) >= self.share:
                    extras.append(writer)  # held open until the end, then closed
                    continue
                count[worker] += 1
                self.clients.append(Client(waiting.pop(), reader, writer, worker))
        finally:
            self.extra += len(extras)
            for writer in extras:
                writer.close()

    async def _load(self, body: bytes, record: bool, seconds: float) -> Run:
        run = Run()
        start = time.monotonic()
        deadline = start + seconds
        port = self.server.port
        await asyncio.gather(*(
            _connection(c, _request(port, body, c.token if record else None), deadline, run, record)
            for c in self.clients))
        run.seconds = time.monotonic() - start  # to the last answer
        return run


async def _connection(client: Client, raw: bytes, deadline: float, run: Run, record: bool) -> None:
    reader, writer = client.reader, client.writer
    clock = time.monotonic
    while clock() < deadline:
        t0 = clock()
        writer.write(raw)
        try:
            head, answer, worker = await _answer(reader)
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            run.failed.append(f"connection to worker {client.worker} lost mid-round: {e!r}")
            writer.close()
            return
        run.latencies.append(clock() - t0)
        run.answers[worker] = run.answers.get(worker, 0) + 1
        status = head[9:12]
        if worker != client.worker:
            run.failed.append(f"answer from worker {worker} on a connection to {client.worker}")
        elif status != b"200":
            run.failed.append(f"{status.decode()} {answer[:200]!r}")
        elif record:
            index = _INDEX.search(answer)
            if index is None or b'"recorded":true' not in answer:
                run.failed.append(f"not recorded: {answer[:200]!r}")
            else:
                run.indexes.append(int(index.group(1)))
        elif b'"dry_run":true' not in answer:
            run.failed.append(f"not a dry run: {answer[:200]!r}")


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
