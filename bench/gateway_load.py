"""The mixed load of ``bench/gateway.py``: recorded decisions and 100-row gateway queries from
concurrent clients against uvicorn workers on PostgreSQL, against the same requests with
recording switched off.

**The server.** ``uvicorn --factory gateway_load:unrecorded_app --workers W`` (real processes,
``SANCTUARYGATE_*`` settings as ``serve`` reads them): the log in a PostgreSQL database of its
own (``bench_gateway_log_<pid>``, dropped at the end), the records in the stream benchmark's
database. The factory is ``web.app.create_app`` unchanged, plus one route that only this
benchmark mounts, ``POST /bench/query-unrecorded`` (below). The bench makes a desk officer with
a staff token per decision client and an FBI key per query client (``issue_key``), as each
desk officer and each partner system has its own.

**The requests.** Half the clients (by default 8 of 16) decide, the others query; each client
is one keep-alive connection that sends its next request when the answer has fully arrived:

* decision, recorded: ``POST /api/v1/decisions`` with the staff token; the question of
  ``bench/log.py``'s HTTP run (an ICE detainer alone, today: deny, no review case); each answer
  must say ``"recorded":true`` and carry a ``log_index``;
* decision, recording off: the same body to ``POST /api/v1/decisions?dry_run=true``, which
  answers the same and records nothing (``"dry_run":true``);
* query, recorded: ``POST /api/v1/query`` with the key: ``cpd-arrests``, purpose
  ``criminal-investigation``, fields ``["*"]``, ``limit`` 100. The gateway authenticates the
  key, plans (the rules), commits the key use and the ``query`` entry durably before any row is
  read, writes the release ledger's part for the fetch, streams the 100 rows with their
  watermarks and commits ``query-complete`` before the trailer. The answer must end with a
  trailer counting 100 rows with both log indexes;
* query, recording off: **the gateway cannot release a row without logging** (that is its
  design: the ``query`` entry is durable before any data leaves), and it has no dry run that
  reads rows. The closest honest baseline is ``POST /bench/query-unrecorded``: the same body and
  key, the same route dependencies (body size limit, JSON check, key authenticated, the body's
  agency checked), the same plan (``check_gateway_config`` + ``plan_query``), and the
  gateway's own read, watermark and encoder (``stream.rows`` + ``stream.encode``), but no
  key-use entry, no ``query`` or ``query-complete`` entry and no ledger part. Its trailer says
  ``"recorded": false``. It lives in this file only: the shipped app has no such route.

**The same requests in both modes.** After a warm-up of each mode, a recorded run of 2 s fixes
how many requests each client sends per round, so that recorded, each kind's clients take about
the round's time; every round of either mode then sends exactly those requests. The modes
alternate round by round (the order flips each round). The ratio is the time the requests take
recorded over the time they take with recording off (1.0: recording costs nothing), the median
of the paired rounds. It is one figure for the mix on purpose: with a fixed number of clients,
whatever a kind saves goes to the other (with recording off, dry-run decisions, which wait on no
disk, take CPU the queries had), so a ratio per kind would mostly measure that shift. A kind's
rate is its answers over the time from the round's start to its last answer; p99 latencies pool
every answer of a mode. An error is any answer that is not a 200 with the checks above, or a connection that
fails. The log is checked after each round: a recorded round adds exactly one ``decision``
entry per acknowledged decision and a ``key-use``, ``query`` and ``query-complete`` entry per
completed query (and one ledger part each), a round with recording off adds nothing.

**Connections.** A thread samples ``pg_stat_activity`` every 20 ms during the rounds and keeps
the peak number of connections to the two databases; it is printed next to the bound the
settings give (``W workers x (2 engines x (SANCTUARYGATE_DB_POOL_SIZE + _OVERFLOW) + 2)``, the 2
the event loop's group commit's own, ``store.db.LOOP_CONNECTIONS``) and the server's
``max_connections``.

Not a module of the package, not a test: imported by ``bench/gateway.py`` only (and by uvicorn,
for the factory).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from sanctuarygate.gateway.body import load_query_body
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.plan import check_gateway_config, parse_spec, plan_query
from sanctuarygate.gateway.stream import encode, rows
from sanctuarygate.settings import city_today
from sanctuarygate.store.db import LOOP_CONNECTIONS, PoolBound, upgrade
from sanctuarygate.store.staff import add_staff, issue_token
from sanctuarygate.web.api import require_json
from sanctuarygate.web.app import create_app
from sanctuarygate.web.auth import VerifiedKey, require_own_agency
from sanctuarygate.web.query_api import body_bytes
from sanctuarygate.web.state import GatewayDep

sys.path.insert(0, str(Path(__file__).parent))  # bench/log_http.py: the same decision
from log_http import request_body as decision_body

ORIGIN = "bench.example/gateway-load"
AGENCY = "FBI"
QUERY_ROWS = 100
KINDS = ("decisions", "queries")
MODES = ("recorded", "off")
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.I)
_CHUNKED = re.compile(rb"transfer-encoding:\s*chunked", re.I)
_INDEX = re.compile(rb'"log_index":(\d+)')


def query_body() -> bytes:
    return json.dumps({"dataset": "cpd-arrests", "fields": ["*"],
                       "purpose": "criminal-investigation", "limit": QUERY_ROWS}).encode()


# --- the baseline route (mounted by the factory below, in the server processes) ---------------
def unrecorded_app() -> FastAPI:
    """``create_app()`` from the environment's settings, plus ``POST /bench/query-unrecorded``:
    the gateway's plan, read, watermark and encoder for a query, with nothing recorded."""
    app: FastAPI = create_app()

    @app.post("/bench/query-unrecorded")
    def query_unrecorded(request: Request, gateway: GatewayDep, key: VerifiedKey,
                         _json: Annotated[None, Depends(require_json)],
                         raw: Annotated[bytes, Depends(body_bytes)]) -> StreamingResponse:
        body = load_query_body(raw)
        require_own_agency(request, key, body.get("agency") if isinstance(body, dict) else None)
        spec = parse_spec(body, gateway.decider.library.catalog)
        check_gateway_config(gateway.decider.library, gateway.profile, gateway.packs)
        plan = plan_query(gateway.decider, spec, agency=key.agency_id, profile=gateway.profile,
                          day=city_today(gateway.timezone), extra_packs=gateway.packs)
        chunks = encode(plan, rows(gateway.records, plan, gateway.watermark_key()),
                        lambda n: {"rows": n, "recorded": False},
                        lambda exc, n: {"error": type(exc).__name__, "rows_sent": n})
        return StreamingResponse(chunks, media_type="application/x-ndjson")

    return app


# --- the server -------------------------------------------------------------------------------
@dataclass(slots=True)
class LoadServer:
    process: subprocess.Popen[bytes]
    port: int
    tokens: list[str]  # staff tokens, one per decision client
    keys: list[str]  # FBI keys, one per query client
    log_url: str
    databases: tuple[str, str]  # the log's and the records' database names
    bound: int  # the most connections the workers' pools may hold together

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@contextmanager
def log_database(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database of our own for the log, dropped afterwards; yields its URL."""
    name = f"bench_gateway_log_{os.getpid()}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def start(home: Path, log_url: str, records_url: str, *, workers: int, decision_clients: int,
          query_clients: int, port: int) -> LoadServer:
    """Migrate the log, make the credentials, start the workers and wait until each answers."""
    engine = create_engine(log_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            add_staff(conn, "bench-desk", ["desk"], password="bench password, not a secret")
            tokens = [issue_token(conn, "bench-desk", f"desk client {k}").token
                      for k in range(decision_clients)]
            keys = [issue_key(conn, AGENCY, f"bench query client {k}").key
                    for k in range(query_clients)]
    finally:
        engine.dispose()
    pool = PoolBound()  # the settings' defaults (tests/store/test_pool.py), said explicitly
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTUARYGATE_")}
    env.update(SANCTUARYGATE_DATA_DIR=str(home / "load-data"), SANCTUARYGATE_DATABASE_URL=log_url,
               SANCTUARYGATE_RECORDS_URL=records_url, SANCTUARYGATE_PROFILE="chicago",
               SANCTUARYGATE_LOG_ORIGIN=ORIGIN, SANCTUARYGATE_DB_POOL_SIZE=str(pool.size),
               SANCTUARYGATE_DB_POOL_OVERFLOW=str(pool.overflow),
               PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                        env.get("PYTHONPATH")])))
    out = (home / "load-server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "gateway_load:unrecorded_app",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--no-access-log", "--log-level", "warning"],
        env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    names = (str(make_url(log_url).database), str(make_url(records_url).database))
    server = LoadServer(process, port, tokens, keys, log_url, names,
                        workers * (2 * (pool.size + pool.overflow) + LOOP_CONNECTIONS))
    deadline = time.monotonic() + 180
    ready = 0
    while ready < 4 * workers:  # several answers in a row: every worker is up
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the load server did not start (exit {process.returncode});"
                               f" see {home / 'load-server.log'}")
        try:
            ok = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            ok = False
        ready = ready + 1 if ok else 0
        if not ok:
            time.sleep(0.2)
    return server


# --- the clients ------------------------------------------------------------------------------
@dataclass(slots=True)
class Sample:
    """One kind in one round: answers' latencies (s), failures, the log indexes acknowledged,
    and the time from the round's start to the kind's last answer (s)."""

    latencies: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / max(self.seconds, 1e-9)


@dataclass(slots=True)
class Round:
    """One mode's run of the same requests: its time to the last answer, each kind's sample,
    and what the log gained meanwhile."""

    mode: str
    seconds: float
    got: dict[str, Sample]
    log_growth: dict[str, int]

    def rate(self, kind: str) -> float:
        return self.got[kind].rate


def _raw(port: int, path: str, body: bytes, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One HTTP/1.1 answer: its status and its whole body (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = _LENGTH.search(head)
    if length:
        return head[9:12], await reader.readexactly(int(length.group(1)))
    if not _CHUNKED.search(head):
        raise RuntimeError(f"an answer with neither length nor chunks: {head[:200]!r}")
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent
            return head[9:12], b"".join(parts)
        parts.append((await reader.readexactly(size + 2))[:-2])


def _check_decision(answer: bytes, recorded: bool, sample: Sample) -> None:
    if not recorded:
        if b'"dry_run":true' not in answer:
            sample.failed.append(f"not a dry run: {answer[:200]!r}")
        return
    index = _INDEX.search(answer)
    if index is None or b'"recorded":true' not in answer:
        sample.failed.append(f"not recorded: {answer[:200]!r}")
    else:
        sample.indexes.append(int(index.group(1)))


def _check_query(answer: bytes, recorded: bool, sample: Sample) -> None:
    lines = answer.rstrip(b"\n").split(b"\n")
    try:
        trailer = json.loads(lines[-1])["_trailer"]
    except (ValueError, KeyError, TypeError):
        sample.failed.append(f"no trailer: {lines[-1][:200]!r}")
        return
    if trailer.get("rows") != QUERY_ROWS or len(lines) != QUERY_ROWS + 1 \
            or b'"_wm":"' not in lines[0]:
        sample.failed.append(f"not {QUERY_ROWS} watermarked rows: {trailer}")
    elif recorded and not (isinstance(trailer.get("log_index"), int)
                           and isinstance(trailer.get("completion_log_index"), int)):
        sample.failed.append(f"not on the record: {trailer}")
    elif not recorded and trailer.get("recorded") is not False:
        sample.failed.append(f"not the unrecorded baseline: {trailer}")
    else:
        sample.indexes.append(trailer["log_index"] if recorded else -1)


async def _client(port: int, kind: str, credential: str, recorded: bool, count: float,
                  start_at: float, deadline: float, sample: Sample) -> None:
    """Send ``count`` requests of ``kind`` one after the other (or until ``deadline``)."""
    if kind == "decisions":
        raw = _raw(port, "/api/v1/decisions" + ("" if recorded else "?dry_run=true"),
                   decision_body(), credential if recorded else None)
        check = _check_decision
    else:
        raw = _raw(port, "/api/v1/query" if recorded else "/bench/query-unrecorded",
                   query_body(), credential)
        check = _check_query
    clock = time.monotonic
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    except OSError as exc:
        sample.failed.append(f"connect: {exc}")
        return
    try:
        sent = 0
        while sent < count and clock() < deadline:
            sent += 1
            t0 = clock()
            writer.write(raw)
            status, answer = await _answer(reader)
            sample.latencies.append(clock() - t0)
            if status != b"200":
                sample.failed.append(f"{status.decode()} {answer[:200]!r}")
            else:
                check(answer, recorded, sample)
    except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
        sample.failed.append(f"connection: {type(exc).__name__}: {exc}")
    finally:
        writer.close()
        sample.seconds = max(sample.seconds, clock() - start_at)


async def _mixed(server: LoadServer, recorded: bool, counts: dict[str, float],
                 seconds: float = math.inf) -> tuple[float, dict[str, Sample]]:
    """Every client sends its kind's count of requests (or until ``seconds`` have passed)."""
    got = {kind: Sample() for kind in KINDS}
    start_at = time.monotonic()
    deadline = start_at + seconds
    await asyncio.gather(
        *(_client(server.port, "decisions", t, recorded, counts["decisions"], start_at, deadline,
                  got["decisions"]) for t in server.tokens),
        *(_client(server.port, "queries", k, recorded, counts["queries"], start_at, deadline,
                  got["queries"]) for k in server.keys))
    return time.monotonic() - start_at, got  # to the last answer


# --- the log and the connections --------------------------------------------------------------
def log_counts(engine: Engine) -> dict[str, int]:
    """Entries of the log by kind, its size, and the release ledger's parts."""
    with engine.connect() as conn:
        kinds: dict[str, int] = dict(conn.execute(text(
            "SELECT body::json->>'kind', count(*) FROM log_entry GROUP BY 1")).tuples().all())
        size = int(conn.execute(text("SELECT size FROM log_head WHERE id = 1")).scalar_one())
        parts = int(conn.execute(text("SELECT count(*) FROM release_ledger")).scalar_one())
    return {**{str(k): int(v) for k, v in kinds.items()}, "size": size, "ledger": parts}


def _growth(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after.keys() | before.keys()
            if after.get(k, 0) != before.get(k, 0)}


def check_round(r: Round) -> None:
    """A recorded round grew the log by exactly its acknowledgements; one with recording off
    did not grow it at all."""
    if r.mode == "off":
        if r.log_growth:
            raise RuntimeError(f"recording was off, yet the log grew: {r.log_growth}")
        return
    decided = r.got["decisions"].indexes
    queried = r.got["queries"].indexes
    if len(set(decided + queried)) != len(decided) + len(queried):
        raise RuntimeError("two acknowledged answers carry the same log index")
    want = {"decision": len(decided), "key-use": len(queried), "query": len(queried),
            "query-complete": len(queried), "ledger": len(queried),
            "size": len(decided) + 3 * len(queried)}
    if r.log_growth != {k: v for k, v in want.items() if v}:
        raise RuntimeError(f"the log grew by {r.log_growth}, the answers say {want}")


class ConnectionPeak:
    """The most connections to ``databases`` seen in ``pg_stat_activity`` while running."""

    def __init__(self, admin_url: str, databases: tuple[str, str]) -> None:
        self._engine = create_engine(admin_url, pool_size=1, max_overflow=0)
        self._databases = list(databases)
        self._stop = threading.Event()
        self.peak = self.samples = self.max_connections = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self._engine.connect() as conn:
            while not self._stop.is_set():
                n = int(conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(:names)"),
                    {"names": self._databases}).scalar_one())
                conn.rollback()
                self.peak, self.samples = max(self.peak, n), self.samples + 1
                self._stop.wait(0.02)

    def __enter__(self) -> ConnectionPeak:
        with self._engine.connect() as conn:
            self.max_connections = int(conn.execute(text("SHOW max_connections")).scalar_one())
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._engine.dispose()


# --- the whole measurement --------------------------------------------------------------------
@dataclass(slots=True)
class Load:
    workers: int
    counts: dict[str, int]  # requests per client of each kind, every round
    clients: dict[str, int]  # clients of each kind
    rounds: list[Round]
    peak_connections: int
    connection_samples: int
    bound: int
    max_connections: int

    def runs(self, mode: str) -> list[Round]:
        return [r for r in self.rounds if r.mode == mode]

    def rate(self, mode: str, kind: str) -> float:
        return statistics.median(r.rate(kind) for r in self.runs(mode))

    def seconds(self, mode: str) -> float:
        return statistics.median(r.seconds for r in self.runs(mode))

    def p99_ms(self, mode: str, kind: str) -> float:
        pooled = sorted(t for r in self.runs(mode) for t in r.got[kind].latencies)
        return 1000 * pooled[min(len(pooled) - 1, int(0.99 * len(pooled)))] if pooled else math.nan

    def errors(self, mode: str, kind: str) -> list[str]:
        return [f for r in self.runs(mode) for f in r.got[kind].failed]

    def ratios(self) -> list[float]:
        """Time of the same requests recorded over their time with recording off, per pair of
        rounds (equal to the rate off over the rate recorded)."""
        return [rec.seconds / off.seconds
                for rec, off in zip(self.runs("recorded"), self.runs("off"), strict=True)]

    def ratio(self) -> float:
        return statistics.median(self.ratios())


def calibrate(server: LoadServer, seconds: float) -> dict[str, int]:
    """Requests per client of each kind so that, recorded, each kind's clients take about
    ``seconds``: from a recorded run of 2 s, after a warm-up of each mode (every worker's
    imports, caches and pools)."""
    for recorded in (True, False):
        _, warm = asyncio.run(_mixed(server, recorded, {k: math.inf for k in KINDS}, 1.0))
        failed = [f for sample in warm.values() for f in sample.failed]
        if failed:
            raise RuntimeError(f"the warm-up failed: {failed[:3]}")
    _, got = asyncio.run(_mixed(server, True, {k: math.inf for k in KINDS}, 2.0))
    per_client = {"decisions": got["decisions"].rate / len(server.tokens),
                  "queries": got["queries"].rate / len(server.keys)}
    return {kind: max(3, round(per_client[kind] * seconds)) for kind in KINDS}


def measure(pg_url: str, records_url: str, home: Path, port: int, *, workers: int, clients: int,
            rounds: int, seconds: float) -> Load:
    """Start the server, fix the requests (``calibrate``), run them ``rounds`` times in each
    mode, alternating, and check the log after each run."""
    query_clients = clients // 2
    with log_database(pg_url) as log_url:
        server = start(home, log_url, records_url, workers=workers,
                       decision_clients=clients - query_clients, query_clients=query_clients,
                       port=port)
        log = create_engine(log_url, pool_size=1, max_overflow=0)
        try:
            counts = calibrate(server, seconds)
            print(f"  each round: {len(server.tokens)} x {counts['decisions']} decisions and"
                  f" {len(server.keys)} x {counts['queries']} queries of {QUERY_ROWS} rows",
                  flush=True)
            done: list[Round] = []
            with ConnectionPeak(pg_url, server.databases) as peak:
                for k in range(rounds):
                    for mode in (MODES if k % 2 == 0 else MODES[::-1]):
                        before = log_counts(log)
                        took, got = asyncio.run(_mixed(server, mode == "recorded",
                                                       {**counts}))
                        done.append(Round(mode, took, got, _growth(before, log_counts(log))))
                        check_round(done[-1])
                        print(f"  load round {k + 1}, {mode:<8}: {took:5.2f} s,"
                              f" {done[-1].rate('decisions'):6.0f} decisions/s,"
                              f" {done[-1].rate('queries'):5.1f} queries/s,"
                              f" errors {sum(len(s.failed) for s in got.values())}", flush=True)
            return Load(workers, counts,
                        {"decisions": len(server.tokens), "queries": len(server.keys)}, done,
                        peak.peak, peak.samples, server.bound, peak.max_connections)
        finally:
            log.dispose()
            server.stop()


def report(load: Load) -> None:
    """The load's table, ratio, errors and connections."""
    print(f"mixed load: uvicorn, {load.workers} workers, log and records on PostgreSQL;"
          f" the same requests each round: {load.clients['decisions']} clients x"
          f" {load.counts['decisions']} decisions + {load.clients['queries']} clients x"
          f" {load.counts['queries']} queries of {QUERY_ROWS} rows, keep-alive;"
          f" {len(load.runs('recorded'))} rounds per mode, alternating; medians over rounds")
    print(f"{'mode':<10}{'s':>7}{'decisions/s':>13}{'p99 ms':>9}{'queries/s':>11}{'p99 ms':>9}"
          f"{'errors':>8}")
    for mode in MODES:
        errors = sum(len(load.errors(mode, kind)) for kind in KINDS)
        print(f"{mode:<10}{load.seconds(mode):>7.2f}{load.rate(mode, 'decisions'):>13,.0f}"
              f"{load.p99_ms(mode, 'decisions'):>9.0f}{load.rate(mode, 'queries'):>11,.1f}"
              f"{load.p99_ms(mode, 'queries'):>9.0f}{errors:>8}")
    print("(recorded: decisions logged, queries logged + ledger; off: decisions as dry runs,"
          " queries through /bench/query-unrecorded, the gateway's own read with nothing"
          " recorded; a kind's rate is its answers over the time to its last answer)")
    rs = load.ratios()
    print(f"recorded / off, time of the same requests: {load.ratio():.2f} (median of the paired"
          f" rounds, {min(rs):.2f}..{max(rs):.2f}; 1.0: recording costs nothing)")
    for mode in MODES:
        for kind in KINDS:
            for failure in load.errors(mode, kind)[:3]:
                print(f"  error ({mode} {kind}): {failure}")
    print(f"PostgreSQL connections to the two databases during the rounds: peak"
          f" {load.peak_connections} ({load.connection_samples} samples); the pools' bound"
          f" {load.bound} ({load.workers} workers x (2 engines x (pool size + overflow) + 2 for"
          " the event loop's commits));"
          f" max_connections {load.max_connections}")


def last_line(load: Load) -> str:
    """The load's part of the benchmark's last line."""
    errors = sum(len(load.errors(mode, kind)) for mode in MODES for kind in KINDS)
    return (f"mixed_decisions_per_s={load.rate('recorded', 'decisions'):.0f}"
            f" mixed_queries_per_s={load.rate('recorded', 'queries'):.1f}"
            f" mixed_decision_p99_ms={load.p99_ms('recorded', 'decisions'):.0f}"
            f" mixed_query_p99_ms={load.p99_ms('recorded', 'queries'):.0f}"
            f" mixed_record_ratio={load.ratio():.2f}"
            f" mixed_errors={errors} peak_connections={load.peak_connections}")

