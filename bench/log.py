"""Benchmark: durable appends to the decision log, and inclusion proofs read from the database.

Run from the repository root (PostgreSQL at ``--pg-url``, by default the test server)::

    .venv/bin/python bench/log.py           # full run: 7 rounds, both backends at every size, 4-6 min
    .venv/bin/python bench/log.py --quick   # 3 rounds (HTTP 5 short ones), fewer proofs, 1.5 min

**Appends.** Writers are separate processes, each with its own engine, committing durably:
SQLite as ``make_engine`` sets it up (WAL, ``synchronous=FULL``), PostgreSQL with its default
``synchronous_commit=on``. Four ways of writing are timed, on SQLite and on PostgreSQL, with 1 and
with 4 writers:

* **log, per entry** — ``with engine.begin(): append(conn, body)``: one entry per commit;
* **log, batch of N** — ``append_many(conn, N bodies)``: N entries per commit (group commit);
* **service, C callers** — the service's append path: each process runs C threads (requests)
  appending one entry at a time through one ``GroupCommit`` (``audit/group.py``, as
  ``DecisionLog.record`` does, default window 2 ms): concurrent appends share commits, and each
  call returns once its entry is durable;
* **bare INSERT, per entry / batch of N** — the baseline: the same bodies and timestamps inserted
  into a plain table (``bench_plain``: an auto-increment key, the body, the time) with the same
  commit pattern, no lock, no hashing.

After the appends, the log they wrote is checked: as many entries as were acknowledged, indexes
0..size-1 with no gap and no duplicate.

**End to end over HTTP** (``bench/log_http.py``): a uvicorn server with ``--http-workers``
workers on PostgreSQL, ``--http-clients`` keep-alive connections posting the same decision,
recorded (a staff token each) or as a dry run (``?dry_run=true``, nothing recorded), alternating
round by round (``--http-rounds``, default 7 of 3 s, quick 5 of 1 s). The connections are opened
once, the same number on every worker (each answer names its worker), and both modes use them,
so both are served by the same workers; the split is printed for every round. The ratio is
dry-run answers per second over recorded answers per second (1.0: recording costs nothing),
paired round by round: every round's ratio is printed, with their median and range; p99 latency
of each mode is printed. Afterwards the log must hold exactly the acknowledged decisions.

The bodies are canonical JSON of about 850 bytes, the median size of a real decision entry.
Each timed run lasts a fixed time; the figure is entries committed over the time to the last
commit. The configurations are interleaved round by round (the order rotates every round), and
each figure is the median over the rounds; the ratio to the bare INSERT pairs runs of the same
round.

**Proofs.** Logs of 10^4, 10^5 and 10^6 entries are built in bulk: the complete nodes are
computed in Python level by level (``merkle.leaf_hash`` / ``merkle.node_hash``) and copied in
(``COPY`` on PostgreSQL, ``executemany`` on SQLite), then the stored root is checked against the
one computed in memory. For random leaf indexes the script times ``LogReader.inclusion_proof``
with an empty node cache (*cold*: every node from the database) and with the proof's nodes
already cached (*warm*: one ``tree_size`` query left), ``merkle.verify_inclusion``, and as a
baseline one bare ``SELECT`` of a node by primary key. Each proof is checked against the
in-memory tree and verified. It also counts the complete nodes each proof reads and the SQL
statements a cold proof issues. The full run builds every size on both backends; ``--quick``
builds 10^6 on PostgreSQL only.

The machines are shared and noisy: quote medians and ratios. Never used as a test.

The last line is ``pg_appends_per_s_4w=X service_appends_per_s_4w=Y http_record_ratio=Z
proof_ms_1e6=W``: X is the best durable PostgreSQL figure with 4 writers (per entry or batched,
said above it), Y the service's append path with 4 processes on PostgreSQL (median), Z the HTTP
ratio (dry-run rate over recorded rate, median of the paired rounds), W the median proof
generation time at 10^6 on PostgreSQL, cold if it meets the target, else warm (both are printed
above it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import math
import multiprocessing as mp
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib.metadata import version
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    text,
)

from sanctuarygate.audit import merkle
from sanctuarygate.audit.group import GroupCommit
from sanctuarygate.audit.tree import LogReader, append, append_many
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.tables import log_node

sys.path.insert(0, str(Path(__file__).parent))  # bench/log_http.py, when imported as a module
from log_http import Clients, Run, check_log, request_body, start_server

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_APPENDS_PER_S = 3000.0
TARGET_PROOF_MS = 1.0
BODY_BYTES = 850
SIZES = (10_000, 100_000, 1_000_000)
WAYS = (("log", 1), ("bare", 1), ("log", 0), ("bare", 0), ("service", -1))
# 0 stands for the batch size N, -1 for the callers per process C
TARGET_HTTP_RATIO = 1.5
BACKENDS = ("sqlite", "postgresql")

#: The baseline table: the same bodies and times, no log machinery.
plain = Table(
    "bench_plain",
    MetaData(),
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Where a worker connects: (url, PostgreSQL schema or "" for SQLite). Picklable.
Target = tuple[str, str]


def connect(target: Target) -> Engine:
    """An engine as the application would open it (``make_engine``), in a private schema on PG."""
    url, schema = target
    if schema:
        engine: Engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        return engine
    return make_engine(url)


def body(writer: int, seq: int) -> bytes:
    """Canonical JSON of ``BODY_BYTES`` bytes, distinct per writer and sequence number."""
    head = f'{{"i":{seq},"kind":"bench","pad":"'
    tail = f'","writer":{writer}}}'
    return (head + "x" * (BODY_BYTES - len(head) - len(tail)) + tail).encode()


# --- append workers: separate processes, each with its own engine -------------------------
@dataclass(frozen=True, slots=True)
class Job:
    target: Target
    table: str  # "log", "bare" or "service"
    per_commit: int  # for "service": the callers (threads) of each process
    start_at: float  # time.monotonic(), the same clock in every process on Linux
    seconds: float


def write_rows(conn: Connection, table: str, bodies: list[bytes], when: dt.datetime) -> None:
    if table == "log":
        if len(bodies) == 1:
            append(conn, bodies[0], at=when)
        else:
            append_many(conn, bodies, at=when)
    else:
        conn.execute(insert(plain), [{"body": b.decode(), "created_at": when} for b in bodies])


def run_job(engine: Engine, job: Job, writer: int) -> tuple[int, float, list[float]]:
    """Commit batches until the time is up: (entries, time of the last commit, commit seconds)."""
    seq, last, latencies = 0, job.start_at, []
    clock = time.monotonic
    time.sleep(max(0.0, job.start_at - clock()))
    deadline = job.start_at + job.seconds
    while clock() < deadline:
        bodies = [body(writer, seq + k) for k in range(job.per_commit)]
        t0 = clock()
        with engine.begin() as conn:
            write_rows(conn, job.table, bodies, dt.datetime.now(dt.UTC))
        last = clock()
        latencies.append(last - t0)
        seq += job.per_commit
    return seq, last, latencies


def run_service(group: GroupCommit, job: Job, writer: int) -> tuple[int, float, list[float]]:
    """``job.per_commit`` threads append one entry at a time through the process's group
    commit until the time is up: (entries, time of the last return, each append's latency)."""
    clock = time.monotonic
    callers = job.per_commit
    counts, lasts = [0] * callers, [job.start_at] * callers
    latencies: list[list[float]] = [[] for _ in range(callers)]
    deadline = job.start_at + job.seconds

    def call(k: int) -> None:
        time.sleep(max(0.0, job.start_at - clock()))
        seq = 0
        while clock() < deadline:
            entry = body(writer * 1000 + k, seq)
            t0 = clock()
            group.append(entry, at=dt.datetime.now(dt.UTC))
            lasts[k] = clock()
            latencies[k].append(lasts[k] - t0)
            seq += 1
        counts[k] = seq

    threads = [threading.Thread(target=call, args=(k,)) for k in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts), max(lasts), [x for lat in latencies for x in lat]


def worker(pipe: Pipe, writer: int) -> None:
    engines: dict[Target, Engine] = {}
    groups: dict[Target, GroupCommit] = {}
    pipe.send("ready")
    try:
        while (job := pipe.recv()) is not None:
            if job.target not in engines:
                engines[job.target] = connect(job.target)
                groups[job.target] = GroupCommit(engines[job.target])
            if job.table == "service":
                pipe.send(run_service(groups[job.target], job, writer))
            else:
                pipe.send(run_job(engines[job.target], job, writer))
    finally:
        for engine in engines.values():
            engine.dispose()


class Writers:
    """Long-lived writer processes (spawned, so nothing is shared with this one)."""

    def __init__(self, n: int = 4) -> None:
        ctx = mp.get_context("spawn")
        self.pipes: list[Pipe] = []
        self.procs = []
        for k in range(n):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(theirs, k), daemon=True)
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)
        self.ready = False

    def run(self, target: Target, table: str, per_commit: int, writers: int,
            seconds: float) -> tuple[float, list[float], int]:
        """Entries per second over all writers, every commit's latency, and the entries."""
        if not self.ready:  # each says so once it has imported everything
            self.ready = all(pipe.recv() == "ready" for pipe in self.pipes)
        start = time.monotonic() + 0.05
        job = Job(target, table, per_commit, start, seconds)
        for pipe in self.pipes[:writers]:
            pipe.send(job)
        done = [pipe.recv() for pipe in self.pipes[:writers]]
        total = sum(n for n, _, _ in done)
        end = max(t for _, t, _ in done)
        return total / max(end - start, 1e-9), [x for _, _, lat in done for x in lat], total

    def close(self) -> None:
        for pipe in self.pipes:
            with suppress(OSError):  # a writer that died already (its error is on stderr)
                pipe.send(None)
        for proc in self.procs:
            proc.join(timeout=30)


# --- databases: private PostgreSQL schemas and SQLite files, dropped afterwards ------------
class Databases:
    def __init__(self, pg_url: str) -> None:
        self.pg_url = pg_url
        self.admin = create_engine(pg_url, pool_pre_ping=True)
        self.schemas: list[str] = []
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-log-")

    def new(self, backend: str, name: str) -> Target:
        """An empty, migrated database with the baseline table; its target for the writers."""
        if backend == "postgresql":
            schema = f"bench_log_{os.getpid()}_{name}"
            with self.admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            self.schemas.append(schema)
            target: Target = (self.pg_url, schema)
        else:
            target = (f"sqlite:///{Path(self.tmp.name) / name}.db", "")
        engine = connect(target)
        try:
            upgrade(engine)
            plain.metadata.create_all(engine)
        finally:
            engine.dispose()
        return target

    def close(self) -> None:
        with self.admin.begin() as conn:
            for schema in self.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.admin.dispose()
        self.tmp.cleanup()


# --- appends ------------------------------------------------------------------------------
@dataclass(slots=True)
class Series:
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def bench_appends(writers: Writers, targets: dict[str, Target], batch: int, callers: int,
                  rounds: int, seconds: float
                  ) -> tuple[dict[tuple[str, int, str, int], Series], dict[str, int]]:
    """Rates keyed by (backend, writers, table, entries per commit or callers), interleaved
    round by round; and the log entries acknowledged on each backend."""
    groups = [(backend, w) for backend in BACKENDS for w in (1, 4)]
    ways = [(table, {0: batch, -1: callers}.get(n, n)) for table, n in WAYS]
    acked = dict.fromkeys(BACKENDS, 0)
    for backend, w in groups:  # warm-up: connections open, caches and files warm
        for table, n in ways:
            total = writers.run(targets[backend], table, n, w, 0.15)[2]
            acked[backend] += total if table != "bare" else 0
    out: dict[tuple[str, int, str, int], Series] = {}
    for k in range(rounds):
        for g, (backend, w) in enumerate(rotate(groups, k)):
            for table, n in rotate(ways, k + g):
                rate, latencies, total = writers.run(targets[backend], table, n, w, seconds)
                acked[backend] += total if table != "bare" else 0
                series = out.setdefault((backend, w, table, n), Series())
                series.rates.append(rate)
                series.latencies.extend(latencies)
    return out, acked


def check_appended(target: Target, acked: int) -> str:
    """The log holds as many entries as were acknowledged, indexes 0..size-1 (no gap, no
    duplicate: the index is the primary key)."""
    engine = connect(target)
    try:
        with engine.connect() as conn:
            size = int(conn.execute(text("SELECT size FROM log_head WHERE id = 1")).scalar_one())
            rows, top = conn.execute(text("SELECT count(*), max(idx) FROM log_entry")).one()
    finally:
        engine.dispose()
    if not (size == rows == acked and top == size - 1):
        raise SystemExit(f"log on {target[1] or target[0]}: size {size}, {rows} rows, last index"
                         f" {top}, {acked} appends acknowledged")
    return f"{size:,}"


def rotate(items: Sequence[Any], k: int) -> list[Any]:
    k %= len(items)
    return [*items[k:], *items[:k]]


# --- end to end over HTTP -----------------------------------------------------------------
@dataclass(slots=True)
class HttpResult:
    runs: dict[str, list[Run]]
    first: list[str]  # the mode that ran first in each round
    pids: list[int]  # the workers, in the order first seen
    share: int  # connections on each worker
    opened: int  # connections opened to place them (the extras closed at once)
    reopened: int  # connections the server closed between rounds, reopened on their worker
    note: str


def bench_http(dbs: Databases, workers: int, clients: int, rounds: int,
               seconds: float) -> HttpResult:
    """Dry runs and recorded decisions against one server on the same connections, the same
    number on each worker, interleaved round by round; then the log must hold exactly the
    acknowledged decisions."""
    _, schema = dbs.new("postgresql", "http")
    server = start_server(dbs.pg_url, schema, Path(dbs.tmp.name) / "http", workers, clients)
    runs: dict[str, list[Run]] = {"dry run": [], "recorded": []}
    first: list[str] = []
    acked: list[int] = []
    conns = Clients(server, workers)
    try:
        body = request_body()
        for k in range(-1, rounds):  # round -1: warm-up (every worker's caches)
            order = rotate(list(runs), max(k, 0))
            for mode in order:
                conns.balance()  # the first time: open them; then reopen any the server closed
                run = conns.load(body, mode == "recorded", seconds if k >= 0 else 0.5)
                if run.failed:
                    raise SystemExit(f"HTTP {mode}: {len(run.failed)} failed, e.g. {run.failed[0]}")
                acked.extend(run.indexes)
                if k >= 0:
                    runs[mode].append(run)
            if k >= 0:
                first.append(order[0])
    finally:
        conns.close()
        server.stop()
    return HttpResult(runs, first, conns.pids, conns.share, conns.opened, conns.reopened,
                      check_log(server, acked))


# --- proofs -------------------------------------------------------------------------------
class Levels:
    """The complete nodes of a tree held in lists; counts the nodes read (``merkle.NodeReader``)."""

    def __init__(self, levels: list[list[bytes]]) -> None:
        self.levels = levels
        self.reads = 0

    def complete_node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.levels[level][index]


def build_levels(n: int) -> tuple[list[str], list[list[bytes]]]:
    """Short bodies for ``n`` entries and every complete node, level by level."""
    bodies = [f'{{"i":{i},"kind":"bench"}}'.encode() for i in range(n)]
    leaf, node = merkle.leaf_hash, merkle.node_hash
    levels = [[leaf(b) for b in bodies]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return [b.decode() for b in bodies], levels


def load_log(target: Target, bodies: list[str], levels: list[list[bytes]], n: int) -> None:
    """Bulk-load the first ``n`` entries and their complete nodes; set the head to ``n``."""
    engine = connect(target)
    when = "2026-01-01 00:00:00+00:00"
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            pg = raw.driver_connection
            assert pg is not None
            with pg.cursor() as cur:
                with cur.copy("COPY log_entry (idx, leaf_hash, body, created_at) FROM STDIN") as cp:
                    for lo in range(0, n, 100_000):
                        cp.write("".join(f"{i}\t\\\\x{levels[0][i].hex()}\t{bodies[i]}\t{when}\n"
                                         for i in range(lo, min(n, lo + 100_000))))
                with cur.copy("COPY log_node (level, idx, hash) FROM STDIN") as cp:
                    for level, hashes in enumerate(levels):
                        cp.write("".join(f"{level}\t{i}\t\\\\x{h.hex()}\n"
                                         for i, h in enumerate(hashes[: n >> level])))
                cur.execute("UPDATE log_head SET size = %s WHERE id = 1", (n,))
                cur.execute("ANALYZE log_node")
        else:
            cur = raw.cursor()
            cur.execute("PRAGMA synchronous=OFF")  # the build is not what is timed
            cur.executemany("INSERT INTO log_entry (idx, leaf_hash, body, created_at)"
                            " VALUES (?, ?, ?, ?)",
                            [(i, levels[0][i], bodies[i], when) for i in range(n)])
            cur.executemany("INSERT INTO log_node (level, idx, hash) VALUES (?, ?, ?)",
                            [(level, i, h) for level, hashes in enumerate(levels)
                             for i, h in enumerate(hashes[: n >> level])])
            cur.execute("UPDATE log_head SET size = ? WHERE id = 1", (n,))
            cur.close()
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


@dataclass(slots=True)
class ProofTimes:
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    verify: list[float] = field(default_factory=list)
    select: list[float] = field(default_factory=list)
    node_reads: list[int] = field(default_factory=list)
    path_len: list[int] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


@contextmanager
def statement_counter(engine: Engine) -> Iterator[list[int]]:
    count = [0]

    def seen(*_: object) -> None:
        count[0] += 1

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def cold_proof(conn: Connection, index: int, size: int) -> list[bytes]:
    return LogReader().inclusion_proof(conn, index, size)


def select_node(conn: Connection, query: Any, index: int) -> object:
    return conn.execute(query, {"i": index}).scalar_one()


def bench_proofs(target: Target, levels: list[list[bytes]], n: int, samples: int) -> ProofTimes:
    memory = Levels(levels)
    root = merkle.root(memory, n)
    rng = random.Random(n)
    indexes = [rng.randrange(n) for _ in range(samples)]
    out = ProofTimes()
    engine = connect(target)
    clock = time.perf_counter
    node_by_key = select(log_node.c.hash).where(log_node.c.level == 0, log_node.c.idx == bindparam("i"))
    try:
        with engine.connect() as conn:
            warm = LogReader()
            if warm.root(conn, n) != (n, root):
                raise SystemExit(f"stored root of the {n}-entry log differs from the computed one")
            for i in indexes[:100]:  # untimed: counts, and warms connection and statement caches
                memory.reads = 0
                expected = merkle.inclusion_proof(memory, i, n)
                out.node_reads.append(memory.reads)
                out.path_len.append(len(expected))
                with statement_counter(engine) as count:
                    proof = LogReader().inclusion_proof(conn, i, n)
                out.statements.append(count[0])
                if proof != expected:
                    raise SystemExit(f"stored proof for {i} of {n} differs from the computed one")
                conn.execute(node_by_key, {"i": i}).scalar_one()
            proofs: list[tuple[bytes, int, list[bytes]]] = []
            gc.collect()
            gc.disable()
            try:
                for k, i in enumerate(indexes):
                    leaf = levels[0][i]
                    warm.inclusion_proof(conn, i, n)  # fill the cache with this proof's nodes
                    steps: list[tuple[list[float], Callable[[], object]]] = [
                        (out.cold, functools.partial(cold_proof, conn, i, n)),
                        (out.warm, functools.partial(warm.inclusion_proof, conn, i, n)),
                        (out.select, functools.partial(select_node, conn, node_by_key, i)),
                    ]
                    for times, fn in rotate(steps, k):
                        t0 = clock()
                        fn()
                        times.append(clock() - t0)
                    proofs.append((leaf, i, LogReader().inclusion_proof(conn, i, n)))
            finally:
                gc.enable()
    finally:
        engine.dispose()
    # Verification is timed on its own, after the database work, so that what a query leaves
    # behind (context switches, evicted caches) does not land in it: each proof's median of three.
    verify = merkle.verify_inclusion
    passes: list[list[float]] = [[] for _ in proofs]
    for _ in range(3):
        for times, (leaf, i, proof) in zip(passes, proofs, strict=True):
            t0 = clock()
            ok = verify(leaf, i, n, proof, root)
            times.append(clock() - t0)
            if not ok:
                raise SystemExit(f"proof for {i} of {n} does not verify")
    out.verify = [statistics.median(t) for t in passes]
    return out


# --- report -------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def label(n: int) -> str:
    return f"10^{len(str(n)) - 1}"  # SIZES are powers of ten


def server_version(pg_url: str) -> str:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql("SHOW server_version").scalar_one()).split()[0]
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and proofs (under a minute)")
    parser.add_argument("--rounds", type=int, default=None, help="append rounds (default 7, quick 3)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="length of one timed append run (default 1.5, quick 0.4)")
    parser.add_argument("--batch", type=int, default=64, help="entries per commit when batched (64)")
    parser.add_argument("--proofs", type=int, default=None,
                        help="random indexes per log size (default 1000, quick 200)")
    parser.add_argument("--callers", type=int, default=32,
                        help="service: concurrent callers (threads) in each process (32; the web"
                        " app's thread pool runs up to 40 requests at once)")
    parser.add_argument("--http-workers", type=int, default=min(4, max(2, os.cpu_count() or 2)),
                        help="uvicorn workers (default: the CPUs, 2 to 4)")
    parser.add_argument("--http-clients", type=int, default=32,
                        help="concurrent HTTP client connections (32)")
    parser.add_argument("--http-rounds", type=int, default=None,
                        help="HTTP rounds, each a dry run and a recorded run (default 7, quick 5)")
    parser.add_argument("--http-seconds", type=float, default=None,
                        help="length of one timed HTTP run (default 3, quick 1)")
    parser.add_argument("--pg-url", default=PG_URL, help=f"PostgreSQL server (default {PG_URL})")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 7)
    seconds = args.seconds or (0.4 if args.quick else 1.5)
    samples = args.proofs or (200 if args.quick else 1000)
    http_rounds = args.http_rounds or (5 if args.quick else 7)
    http_seconds = args.http_seconds or (1.0 if args.quick else 3.0)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]

    writers = Writers(4)  # they import while the databases are set up
    dbs = Databases(args.pg_url)
    try:
        try:
            targets = {backend: dbs.new(backend, "append") for backend in BACKENDS}
            appends, acked = bench_appends(writers, targets, args.batch, args.callers, rounds,
                                           seconds)
        finally:
            writers.close()
        appended = {backend: check_appended(targets[backend], acked[backend])
                    for backend in BACKENDS}
        appends_took = time.perf_counter() - started

        http = bench_http(dbs, args.http_workers, args.http_clients, http_rounds, http_seconds)

        bodies, levels = build_levels(max(SIZES))
        proofs: dict[tuple[str, int], ProofTimes] = {}
        built: dict[tuple[str, int], float] = {}
        for backend in ("postgresql", "sqlite"):
            for n in SIZES:
                if args.quick and backend == "sqlite" and n == max(SIZES):
                    continue  # --quick: the 10^6 log on PostgreSQL only
                t0 = time.perf_counter()
                target = dbs.new(backend, f"p{n}")
                load_log(target, bodies, levels, n)
                built[(backend, n)] = time.perf_counter() - t0
                proofs[(backend, n)] = bench_proofs(target, levels, n, samples)
    finally:
        dbs.close()

    print(f"sanctuarygate decision log: durable appends and inclusion proofs"
          f" — python {platform.python_version()}, SQLAlchemy {version('sqlalchemy')},"
          f" psycopg {version('psycopg')}, PostgreSQL {server_version(args.pg_url)},"
          f" SQLite {_sqlite_version()}, {os.cpu_count()} CPUs (shared),"
          f" load {load_before:.1f}→{os.getloadavg()[0]:.1f}, {dt.date.today().isoformat()}")
    print(f"appends: writers are processes; every commit is durable (SQLite WAL synchronous=FULL,"
          f" PostgreSQL synchronous_commit=on); {BODY_BYTES}-byte bodies; {rounds} rounds of"
          f" {seconds:g} s per configuration, interleaved; median over rounds")
    print()
    print(f"{'backend':<11}{'writers':>8}  {'commit':<13}{'log/s':>9}{'bare/s':>9}{'log/bare':>10}"
          f"{'per round':>13}{'commit p50 ms':>15}{'p99 ms':>8}")
    best: tuple[float, str] = (0.0, "")
    for backend in BACKENDS:
        for w in (1, 4):
            for table, n in (("log", 1), ("log", args.batch), ("service", args.callers)):
                bare_n = 1 if table == "service" else n
                log_s, bare_s = appends[(backend, w, table, n)], appends[(backend, w, "bare", bare_n)]
                per_round = [a / b for a, b in zip(log_s.rates, bare_s.rates, strict=True)]
                rate = median(log_s.rates)
                how = {1: "per entry", args.batch: f"batch of {n}"}[n] if table == "log" else (
                    f"service {n}x{w}")
                print(f"{backend:<11}{w:>8}  {how:<13}{rate:>9,.0f}{median(bare_s.rates):>9,.0f}"
                      f"{rate / median(bare_s.rates):>10.2f}"
                      f"{min(per_round):>7.2f}..{max(per_round):<4.2f}"
                      f"{median(log_s.latencies) * 1000:>15.2f}"
                      f"{percentile(log_s.latencies, 0.99) * 1000:>8.2f}")
                if backend == "postgresql" and w == 4 and table == "log" and rate > best[0]:
                    best = (rate, how)
    print("(log/s and bare/s: entries committed per second over all writers; log/bare: ratio of"
          " the medians, the service against bare INSERTs per entry; per round: range of the"
          " paired per-round ratios; commit p50/p99: one transaction, lock wait included, or for"
          " the service one append call, window and wait for company included; service CxW: C"
          " callers in each of W processes)")
    print(f"logs checked after the appends: {appended['sqlite']} entries on SQLite,"
          f" {appended['postgresql']} on PostgreSQL, each one acknowledged, indexes 0..size-1")
    print()
    print(f"end to end over HTTP: uvicorn, {args.http_workers} workers, PostgreSQL;"
          f" {args.http_clients} keep-alive connections posting one decision (deny, no review"
          f" case), recorded (a staff token each) or dry run, both modes on the same"
          f" connections, {http.share} on each worker; {http_rounds} rounds of"
          f" {http_seconds:g} s per mode, interleaved; median over rounds")
    names = {pid: f"w{n + 1}" for n, pid in enumerate(http.pids)}
    print(f"connections: {http.opened} opened to place {args.http_clients}"
          f" ({http.opened - args.http_clients - http.reopened} landed on a full worker and were"
          f" closed),"
          f" {http.reopened} reopened between rounds; workers "
          + ", ".join(f"{name}=pid {pid}" for pid, name in names.items()))

    def split(counts: dict[int, int]) -> str:
        return "+".join(str(counts.get(pid, 0)) for pid in http.pids)

    print(f"{'round':<7}{'first':<10}{'dry/s':>7}{'rec/s':>7}{'ratio':>7}"
          f"  answers per worker ({'+'.join(names.values())}), dry / recorded;"
          f" connections open at the end, dry / recorded")
    for k, (d, r) in enumerate(zip(http.runs["dry run"], http.runs["recorded"], strict=True)):
        print(f"{k + 1:<7}{http.first[k]:<10}{d.rate:>7,.0f}{r.rate:>7,.0f}{d.rate / r.rate:>7.2f}"
              f"  {split(d.answers)} / {split(r.answers)};"
              f" {split(d.connections)} / {split(r.connections)}")
    print(f"{'mode':<10}{'answers/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for mode in ("dry run", "recorded"):
        runs = http.runs[mode]
        every = [x for r in runs for x in r.latencies]
        print(f"{mode:<10}{median([r.rate for r in runs]):>10,.0f}"
              f"{median(every) * 1000:>9.2f}{percentile(every, 0.99) * 1000:>9.2f}")
    ratios = [d.rate / r.rate for d, r in zip(http.runs["dry run"], http.runs["recorded"],
                                              strict=True)]
    http_ratio = median(ratios)
    print("dry-run rate / recorded rate, paired by round: "
          + " ".join(f"{x:.2f}" for x in ratios)
          + f"; median {http_ratio:.2f}, {min(ratios):.2f}..{max(ratios):.2f}; {http.note}")
    print()
    print(f"inclusion proofs: {samples} random indexes per log, median µs (cold: LogReader with an"
          f" empty node cache, every node from the database; warm: this proof's nodes cached);"
          f" bare select: one node by primary key")
    print(f"{'backend':<11}{'size':>6}{'log2':>6}{'build s':>9}{'cold':>8}{'cold p99':>10}{'warm':>8}"
          f"{'verify':>8}{'bare select':>13}{'cold/select':>13}{'nodes':>7}{'path':>6}{'SQL':>5}")
    for (backend, n), t in proofs.items():
        cold = median(t.cold) * 1e6
        print(f"{backend:<11}{label(n):>6}{math.log2(n):>6.1f}{built[(backend, n)]:>9.1f}{cold:>8.0f}"
              f"{percentile(t.cold, 0.99) * 1e6:>10.0f}{median(t.warm) * 1e6:>8.0f}"
              f"{median(t.verify) * 1e6:>8.1f}{median(t.select) * 1e6:>13.0f}"
              f"{cold / (median(t.select) * 1e6):>13.2f}{median(t.node_reads):>7.0f}"
              f"{median(t.path_len):>6.0f}{median(t.statements):>5.0f}")
    print("(nodes: complete nodes a proof reads, median; path: hashes in the proof; SQL: statements"
          " a cold proof issues; build: bulk-loading the entries and nodes, whose hashes were computed"
          " in Python once for all logs)")
    print()
    big = proofs[("postgresql", max(SIZES))]
    cold_ms, warm_ms = median(big.cold) * 1000, median(big.warm) * 1000
    proof_ms, which = (cold_ms, "cold") if cold_ms < TARGET_PROOF_MS else (warm_ms, "warm")
    verdict = {True: "met", False: "MISSED"}
    per_entry = median(appends[("postgresql", 4, "log", 1)].rates)
    service = median(appends[("postgresql", 4, "service", args.callers)].rates)
    print(f"targets: PostgreSQL 4 writers ≥ {TARGET_APPENDS_PER_S:,.0f} appends/s:"
          f" {verdict[best[0] >= TARGET_APPENDS_PER_S]} with {best[1]} ({best[0]:,.0f}/s;"
          f" per entry {per_entry:,.0f}/s, {per_entry / TARGET_APPENDS_PER_S:.2f}x the target);"
          f" the service's path, 4 processes: {verdict[service >= TARGET_APPENDS_PER_S]}"
          f" ({service:,.0f}/s); HTTP recorded ≤ {TARGET_HTTP_RATIO:g}x dry run:"
          f" {verdict[http_ratio <= TARGET_HTTP_RATIO]} ({http_ratio:.2f}x);"
          f" proof < {TARGET_PROOF_MS:g} ms at 10^6 on PostgreSQL: cold {cold_ms:.3f} ms"
          f" {verdict[cold_ms < TARGET_PROOF_MS]}, warm {warm_ms:.3f} ms"
          f" {verdict[warm_ms < TARGET_PROOF_MS]}; the last line reports {which}"
          f"  (took {time.perf_counter() - started:.0f} s, appends {appends_took:.0f} s)")
    print(f"pg_appends_per_s_4w={best[0]:.0f} service_appends_per_s_4w={service:.0f}"
          f" http_record_ratio={http_ratio:.2f} proof_ms_1e6={proof_ms:.3f}")
    return 0


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    sys.exit(main())
