"""Benchmark: the data gateway end to end over HTTP against a hand-written psycopg dump, and
under a mixed load of recorded decisions and queries against the same requests unrecorded.

Run from the repository root (PostgreSQL at ``--pg-url``, by default the test server)::

    .venv/bin/python bench/gateway.py           # 200k rows, 5 rounds, 10^6 for memory, load: ~3.5 min
    .venv/bin/python bench/gateway.py --quick   # 100k rows, 3 rounds, memory at 20k/100k, load: ~1 min

The script creates its own database on the server (``bench_gateway_<pid>``, dropped at the end)
and fills it with ``generate(engine, rows, seed=1)``: ``rows`` arrests and the rest of the
synthetic records. The decision log is SQLite in a temporary directory, which is also the
gateway's data directory (watermark key). An FBI key is issued there, and the gateway runs as a
real process: ``sanctuarygate serve`` on a free port, configured through ``SANCTUARYGATE_*``.

**Speed.** Two ways of getting the same rows of ``cpd-arrests`` as JSON lines:

* **gateway** — ``POST /api/v1/query`` for FBI, purpose ``criminal-investigation``, fields
  ``["*"]``, ``limit`` = all rows, read by an httpx client in this process that counts the bytes
  and lines it receives. The wall time runs from sending the request to the last byte. The server
  checks the key, decides the plan (released and withheld columns), logs the query, reads the
  view with a server-side cursor, watermarks every row (``_wm``), encodes it, and logs the end.
* **script** — the baseline, a hand-written psycopg script in this process: a server-side cursor
  (``itersize`` 1000) runs ``SELECT <the released columns> FROM cpd_arrests ORDER BY arrest_id
  LIMIT n`` and writes ``json.dumps(dict(zip(columns, row)), default=str, ...)`` per row to
  ``/dev/null``. It has no key, no decision, no log and no watermark.

Before timing, one untimed gateway run is checked against the script's output. The rows must be
the same, in the same order, every ``_wm`` must be the FBI's tag for its row, and the trailer
must count every row. The two variants then alternate for a number of rounds, and the order flips
every round. Each figure is a median over the rounds. The ratio is median gateway time over
median script time; the median of the per-round ratios is printed too. The garbage collector is
left on: these are whole processes doing real work. The machines are shared and noisy, so read
the medians and the ratio, not single runs.

**Memory.** For each size, a fresh server is started and warmed with a 1,000-row query. Then it
streams ``limit`` = size rows to the client. The figure is the server process's peak RSS
(``VmHWM`` in ``/proc/<pid>/status``) after the stream, next to its RSS when ready. The full run
regenerates the database at 10^6 arrests (PostgreSQL) and measures 200k and 10^6 rows on fresh
servers. ``--quick`` measures two smaller sizes and prints ``peak_mb_1e6=NA``: nothing is
extrapolated.

**Mixed load** (``bench/gateway_load.py``, which says exactly what each request does and why
its baseline is the honest one): ``--workers`` (2) uvicorn workers with the log and the records
on PostgreSQL; ``--clients`` (16) keep-alive clients, half posting recorded decisions, half
running 100-row queries; then the same requests with recording switched off (decisions as dry
runs; queries, which the gateway cannot release without logging, through a route only this
benchmark mounts that runs the gateway's plan, read, watermark and encoder and records nothing).
The requests are fixed for the run (calibrated so that a recorded round takes about
``--load-seconds``, 10 s; quick 5 s), the modes alternate for ``--load-rounds`` (3; quick 2),
and the log is checked after every round. It prints decisions/s, queries/s, p99 of each, the
errors, the time recorded over the time off, and the peak of PostgreSQL connections against the
pools' bound.

Never used as a test: the test suite holds no timed assertions.

The last line is ``ratio_vs_script=X peak_mb_1e6=Y mixed_decisions_per_s=A
mixed_queries_per_s=B mixed_decision_p99_ms=C mixed_query_p99_ms=D mixed_record_ratio=R
mixed_errors=E peak_connections=P`` (the mixed figures are the recorded mode's; R is the same
requests' time recorded over their time with recording off).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.watermark import load_or_create_key, tagger
from sanctuarygate.gateway.watermark import text as wm_text
from sanctuarygate.policy.default import default_library
from sanctuarygate.store.db import make_engine, upgrade

sys.path.insert(0, str(Path(__file__).parent))  # bench/gateway_load.py
import gateway_load

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATASET = "cpd-arrests"
AGENCY = "FBI"
PURPOSE = "criminal-investigation"
WITHHELD = {"birthplace", "citizenship", "immigration_status_note"}
SEED = 1
TARGET_RATIO = 1.3
FULL_MEMORY_SIZE = 1_000_000
SERVE = Path(sys.executable).parent / "sanctuarygate"


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    rows: int
    nbytes: int
    cpu: float  # CPU seconds of this process (the client, or the script)
    server_cpu: float = 0.0  # CPU seconds of the server process (gateway only)


# --- the records database ---------------------------------------------------------------------
@contextmanager
def records_database(pg_url: str) -> Iterator[Engine]:
    """A database of our own on the server, dropped afterwards."""
    name = f"bench_gateway_{os.getpid()}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(pg_url).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill(engine: Engine, rows: int) -> None:
    t0 = time.perf_counter()
    counts = generate(engine, rows, seed=SEED)
    print(f"records: generate({rows:,} arrests, seed={SEED}) on PostgreSQL: "
          f"{sum(counts.values()):,} rows in all tables, {time.perf_counter() - t0:.0f} s")


# --- the gateway process ----------------------------------------------------------------------
class Server:
    """``sanctuarygate serve`` as a separate process on a free port."""

    def __init__(self, home: Path, records_url: str, log_url: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTUARYGATE_")}
        env.update(SANCTUARYGATE_DATA_DIR=str(home / "data"), SANCTUARYGATE_DATABASE_URL=log_url,
                   SANCTUARYGATE_RECORDS_URL=records_url, SANCTUARYGATE_PROFILE="chicago",
                   SANCTUARYGATE_LOG_ORIGIN="bench.example/gateway")  # serve refuses the demo's
        self._out = (home / f"server-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [str(SERVE), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); see {self._out.name}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {self._out.name}")
            time.sleep(0.1)

    def status_kb(self, field: str) -> int:
        """``VmRSS``, ``VmHWM``... of the server process, in kB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"no {field} in /proc/{self.proc.pid}/status")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def query_body(limit: int) -> dict[str, Any]:
    return {"dataset": DATASET, "fields": ["*"], "purpose": PURPOSE, "limit": limit}


# --- the two variants -------------------------------------------------------------------------
def run_gateway(client: httpx.Client, server: Server, key: str, limit: int) -> Run:
    """Stream the query to a sink that counts bytes and lines."""
    nbytes = lines = 0
    cpu0, server0 = time.process_time(), server.cpu_seconds()
    t0 = time.perf_counter()
    with client.stream("POST", server.url + "/api/v1/query", json=query_body(limit),
                       headers={"Authorization": f"Bearer {key}"}) as r:
        if r.status_code != 200:
            raise RuntimeError(f"gateway answered {r.status_code}: {r.read()[:500]!r}")
        for chunk in r.iter_raw():
            nbytes += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - t0
    return Run(seconds, lines - 1, nbytes, time.process_time() - cpu0,
               server.cpu_seconds() - server0)  # the last line is the trailer


def script_rows(conninfo: str, table: str, columns: list[str], limit: int) -> Iterator[str]:
    """The hand-written dump: the released columns, ordered by the key, one JSON line per row."""
    sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {columns[0]} LIMIT %s"
    with psycopg.connect(conninfo) as conn, conn.cursor(name="dump") as cur:
        cur.itersize = 1000
        cur.execute(sql, (limit,))
        for row in cur:
            yield json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False,
                             separators=(",", ":")) + "\n"


def run_script(conninfo: str, table: str, columns: list[str], limit: int) -> Run:
    rows = nbytes = 0
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for line in script_rows(conninfo, table, columns, limit):
            sink.write(line)
            rows += 1
            nbytes += len(line)
    return Run(time.perf_counter() - t0, rows, nbytes, time.process_time() - cpu0)


def check_same_rows(client: httpx.Client, server: Server, key: str, conninfo: str, table: str,
                    columns: list[str], limit: int, wm_key: bytes) -> int:
    """The gateway's rows are the script's rows plus the FBI's watermark; returns the count."""
    tag = tagger(wm_key, AGENCY, DATASET, columns)
    expected = script_rows(conninfo, table, columns, limit)
    n = 0
    with client.stream("POST", server.url + "/api/v1/query", json=query_body(limit),
                       headers={"Authorization": f"Bearer {key}"}) as r:
        lines = r.iter_lines()
        for line in lines:
            record = json.loads(line)
            if "_trailer" in record:
                if record["_trailer"]["rows"] != n or next(lines, None) is not None:
                    raise RuntimeError(f"bad trailer after {n} rows: {record}")
                break
            wm = record.pop("_wm")
            if record != json.loads(next(expected)) or wm != tag([wm_text(record[c])
                                                                  for c in columns]):
                raise RuntimeError(f"row {n} differs: {line[:200]}")
            n += 1
        else:
            raise RuntimeError(f"no trailer after {n} rows")
    if next(expected, None) is not None:
        raise RuntimeError(f"the gateway sent {n} rows, the script has more")
    return n


# --- memory -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Memory:
    rows: int
    ready_mb: float
    peak_mb: float
    seconds: float


def measure_memory(home: Path, records_url: str, log_url: str, key: str, size: int) -> Memory:
    """Peak RSS of a fresh, warmed server while it streams ``size`` rows."""
    server = Server(home, records_url, log_url)
    try:
        with httpx.Client(timeout=None) as client:
            run_gateway(client, server, key, 1000)  # imports, decider, pools: warm
            ready = server.status_kb("VmRSS")
            run = run_gateway(client, server, key, size)
            if run.rows != size:
                raise RuntimeError(f"asked for {size} rows, got {run.rows}")
            peak = server.status_kb("VmHWM")
    finally:
        server.close()
    return Memory(size, ready / 1024, peak / 1024, run.seconds)


# --- main -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="100k rows, 3 rounds, memory at 20k and 100k only, 2 load rounds of 5 s"
                             " (about a minute)")
    parser.add_argument("--rows", type=int, default=None, help="rows per timed run (200,000; quick 100,000)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (5; quick 3)")
    parser.add_argument("--pg-url", default=PG_URL, help=f"PostgreSQL server (default {PG_URL})")
    parser.add_argument("--workers", type=int, default=2, help="mixed load: uvicorn workers (2)")
    parser.add_argument("--clients", type=int, default=16,
                        help="mixed load: clients, half deciding, half querying (16)")
    parser.add_argument("--load-rounds", type=int, default=None,
                        help="mixed load: rounds, each one run per mode (3; quick 2)")
    parser.add_argument("--load-seconds", type=float, default=None,
                        help="mixed load: seconds per mode and round (10; quick 5)")
    args = parser.parse_args(argv)
    n = args.rows or (100_000 if args.quick else 200_000)
    rounds = args.rounds or (3 if args.quick else 5)
    memory_sizes = (n // 5, n) if args.quick else (200_000, FULL_MEMORY_SIZE)
    load_rounds = args.load_rounds or (2 if args.quick else 3)
    load_seconds = args.load_seconds or (5.0 if args.quick else 10.0)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]

    dataset = default_library().catalog.get(DATASET)
    print(f"sanctuarygate gateway vs a hand-written psycopg dump — python"
          f" {platform.python_version()}, psycopg {version('psycopg')}, uvicorn {version('uvicorn')},"
          f" {os.cpu_count()} CPUs (shared), {dt.date.today().isoformat()}")
    home = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    servers: list[Server] = []
    try:
        with records_database(args.pg_url) as records:
            records_url = records.url.render_as_string(hide_password=False)
            conninfo = records.url.set(drivername="postgresql").render_as_string(hide_password=False)
            fill(records, n)
            log_url = f"sqlite:///{home / 'log.db'}"
            log_engine = make_engine(log_url)
            upgrade(log_engine)
            with log_engine.begin() as conn:
                key = issue_key(conn, AGENCY, "bench").key
            log_engine.dispose()

            server = Server(home, records_url, log_url)
            servers.append(server)
            with httpx.Client(timeout=None) as client:
                plan = client.get(server.url + "/api/v1/query/plan",
                                  params={"dataset": DATASET, "purpose": PURPOSE},
                                  headers={"Authorization": f"Bearer {key}"}).json()
                columns = list(plan["released"])
                if set(plan["withheld"]) != WITHHELD or columns[0] != dataset.key:
                    raise RuntimeError(f"unexpected plan: {plan}")
                print(f"plan: {AGENCY}, {PURPOSE}, {DATASET}: {len(columns)} columns released,"
                      f" withheld {', '.join(plan['withheld'])}")
                checked = check_same_rows(client, server, key, conninfo, dataset.table, columns, n,
                                          load_or_create_key(home / "data"))
                print(f"checked: the gateway's {checked:,} rows = the script's rows + the FBI's"
                      f" watermark, same order; trailer counts them")
                run_script(conninfo, dataset.table, columns, 1000)  # warm the script's imports

                samples: dict[str, list[Run]] = {"gateway": [], "script": []}
                round_ratios = []
                for k in range(rounds):
                    order = ("gateway", "script") if k % 2 == 0 else ("script", "gateway")
                    got: dict[str, Run] = {}
                    for name in order:
                        got[name] = (run_gateway(client, server, key, n) if name == "gateway"
                                     else run_script(conninfo, dataset.table, columns, n))
                        if got[name].rows != n:
                            raise RuntimeError(f"{name} returned {got[name].rows} rows, not {n}")
                        samples[name].append(got[name])
                    round_ratios.append(got["gateway"].seconds / got["script"].seconds)
                    print(f"  round {k + 1}: gateway {got['gateway'].seconds:.2f} s,"
                          f" script {got['script'].seconds:.2f} s,"
                          f" ratio {round_ratios[-1]:.2f}", flush=True)
            servers.remove(server)
            server.close()

            if not args.quick:
                fill(records, FULL_MEMORY_SIZE)
            memory = [measure_memory(home, records_url, log_url, key, size)
                      for size in memory_sizes]

            records.dispose()  # only the server's connections count during the load
            print("mixed load (recorded, then with recording off, alternating):", flush=True)
            load_started = time.perf_counter()
            load = gateway_load.measure(args.pg_url, records_url, home, _free_port(),
                                        workers=args.workers, clients=args.clients,
                                        rounds=load_rounds, seconds=load_seconds)
            load_took = time.perf_counter() - load_started
    finally:
        for s in servers:
            s.close()
        shutil.rmtree(home, ignore_errors=True)

    med = {name: statistics.median(r.seconds for r in runs) for name, runs in samples.items()}
    ratio = med["gateway"] / med["script"]
    print()
    print(f"{n:,} rows of {DATASET}, {rounds} rounds, variants alternating (order flips each round);"
          f" load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'variant':<10}{'median s':>10}{'min s':>8}{'max s':>8}{'rows/s':>10}{'MB/s':>7}"
          f"{'MB sent':>9}{'our CPU s':>11}{'server CPU s':>14}")
    for name, runs in samples.items():
        secs = [r.seconds for r in runs]
        mb = runs[0].nbytes / 1e6
        server_cpu = (f"{statistics.median(r.server_cpu for r in runs):>14.2f}"
                      if name == "gateway" else f"{'-':>14}")
        print(f"{name:<10}{med[name]:>10.2f}{min(secs):>8.2f}{max(secs):>8.2f}"
              f"{n / med[name]:>10,.0f}{mb / med[name]:>7.1f}{mb:>9.1f}"
              f"{statistics.median(r.cpu for r in runs):>11.2f}{server_cpu}")
    print("(our CPU: this process — the HTTP client for the gateway, the whole script for the"
          " baseline; server CPU: the gateway process; PostgreSQL's own CPU is in neither)")
    print(f"gateway / script: {ratio:.3f} (ratio of medians; median of per-round ratios"
          f" {statistics.median(round_ratios):.3f}, rounds {min(round_ratios):.2f}.."
          f"{max(round_ratios):.2f})")
    print()
    backend = f"PostgreSQL, {FULL_MEMORY_SIZE:,} arrests" if not args.quick else f"PostgreSQL, {n:,} arrests"
    print(f"server memory while streaming (fresh server per size, warmed; records: {backend}):")
    print(f"{'rows':>12}{'ready MB':>10}{'peak MB':>9}{'growth MB':>11}{'stream s':>10}")
    for m in memory:
        print(f"{m.rows:>12,}{m.ready_mb:>10.1f}{m.peak_mb:>9.1f}{m.peak_mb - m.ready_mb:>11.1f}"
              f"{m.seconds:>10.1f}")
    flat = memory[-1].peak_mb - memory[0].peak_mb
    print(f"peak at {memory[-1].rows:,} rows minus peak at {memory[0].rows:,}: {flat:+.1f} MB")
    peak_1e6 = next((m.peak_mb for m in memory if m.rows == FULL_MEMORY_SIZE), None)
    verdict = {True: "met", False: "MISSED"}
    print(f"targets: gateway ≤ {TARGET_RATIO}x script: {verdict[ratio <= TARGET_RATIO]};"
          f" memory flat (peak grows < 10 MB from {memory[0].rows:,} to {memory[-1].rows:,} rows):"
          f" {verdict[abs(flat) < 10]}  (took {time.perf_counter() - started:.0f} s)")
    print()
    gateway_load.report(load)
    print(f"(the mixed load took {load_took:.0f} s of the {time.perf_counter() - started:.0f} s;"
          f" load average {os.getloadavg()[0]:.1f} at the end)")
    peak_text = f"{peak_1e6:.0f}" if peak_1e6 is not None else "NA"
    print(f"ratio_vs_script={ratio:.2f} peak_mb_1e6={peak_text} {gateway_load.last_line(load)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
