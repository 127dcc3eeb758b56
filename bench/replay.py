"""Benchmark: ``sanctuarygate replay`` (``report.replay.replay``) over a log of recorded
decisions, against ``decide_many`` on the same requests without reading the log.

Run from the repository root::

    .venv/bin/python bench/replay.py           # 10^5 logged decisions, 3 rounds
    .venv/bin/python bench/replay.py --quick   # 10^4 logged decisions, 3 rounds

A SQLite log in a temporary folder is filled (one transaction, ``audit.record.record_decision``)
with decisions of Chicago requests on days spread over 2025: agencies of several families
(DHS and others) asking for CPD datasets, release notices, interviews and detainers, for a
criminal or a civil purpose, with or without a document. Then, round by round (the order
alternates), each on fresh deciders so nothing is cached from a previous pass:

* **replay** — ``replay(log, decider, add=[ocad-proposed-eo-2019])``: verify the log against its
  signed checkpoint (all entries read, the Merkle root recomputed), rebuild every request from
  its entry, decide it before and after, in batches, and count the moves;
* **decide_many** (the baseline) — the same rebuilt requests decided before and after with
  ``decide_many`` in the same batches: no log reading, no verification, no counting.

The figure is the median over rounds; ``ratio`` is replay's rate over the baseline's, from the
same run (1.0: reading and verifying the log costs nothing). Never used as a test.

The last line is ``replay_per_s=X``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record_decision
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.report.replay import (
    BATCH,
    changed_request,
    logged_requests,
    replay,
    verified_entries,
)
from sanctuarygate.store.db import make_engine, upgrade

OCAD = "ocad-proposed-eo-2019"
AGENCIES = ("ICE-ERO", "ICE-HSI", "CBP-USBP", "FBI", "DEA", "FEMA", "ATF", "USMS")
Action = tuple[str, dict[str, Any], dict[str, Any]]
ACTIONS: tuple[Action, ...] = (
    ("query-dataset", {"type": "Dataset", "id": "cpd-arrests"}, {}),
    ("query-dataset", {"type": "Dataset", "id": "cpd-incidents"}, {}),
    ("query-dataset", {"type": "Dataset", "id": "cpd-warrants"}, {}),
    ("notify-release", {"type": "Person", "in_custody": True}, {}),
    ("grant-access", {"type": "Person", "in_custody": True}, {"channel": "in-person"}),
    ("honor-detainer", {"type": "Person", "in_custody": True}, {}))
PURPOSES = ("criminal-investigation", "civil-immigration-enforcement")
DOCUMENTS = ({"kind": "none"}, {"kind": "judicial-warrant", "verified": True},
             {"kind": "administrative-warrant", "verified": True})


def requests(n: int, seed: int = 7) -> list[Request]:
    """``n`` requests that decide, drawn from the classes above on days of 2025."""
    rng = random.Random(seed)
    decider = Decider(default_library(), cache_size=0)
    out: list[Request] = []
    while len(out) < n:
        action, resource, extra = rng.choice(ACTIONS)
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(365))
        request = parse_request({
            "profile": "chicago", "date": day.isoformat(),
            "principal": {"agency": rng.choice(AGENCIES)}, "action": action,
            "resource": resource,
            "context": {"purpose": rng.choice(PURPOSES), "document": rng.choice(DOCUMENTS),
                        **extra}})
        try:
            decider.decide(request)
        except Exception:  # a class the directory does not know: not drawn
            continue
        out.append(request)
    return out


def fill(folder: Path, n: int) -> DecisionLog:
    engine = make_engine(f"sqlite:///{folder / 'db.sqlite'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="bench.example/log", data_dir=folder / "data")
    batch = requests(n)
    decisions = Decider(default_library()).decide_many(batch)
    when = dt.datetime(2025, 12, 31, tzinfo=dt.UTC)
    with engine.begin() as conn:
        for request, decision in zip(batch, decisions, strict=True):
            record_decision(conn, request, decision, actor="staff:s-bench", at=when)
    log.checkpoint()
    return log


def time_replay(log: DecisionLog) -> float:
    decider = Decider(default_library(), cache_size=0)
    start = time.perf_counter()
    replay(log, decider, profile="chicago", start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31),
           add=[OCAD])
    return time.perf_counter() - start


def time_baseline(rebuilt: list[Request]) -> float:
    before = Decider(default_library(), cache_size=0)
    after = Decider(default_library(), cache_size=0)
    start = time.perf_counter()
    for first in range(0, len(rebuilt), BATCH):
        chunk = rebuilt[first:first + BATCH]
        before.decide_many(chunk)
        after.decide_many([changed_request(r, (OCAD,), None) for r in chunk])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^4 logged decisions")
    parser.add_argument("--size", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.size or (10_000 if args.quick else 100_000)
    print(f"{platform.python_implementation()} {platform.python_version()}, {n} logged decisions")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        log = fill(Path(tmp), n)
        print(f"log filled in {time.perf_counter() - start:.1f} s")
        entries, _ = verified_entries(log)
        logged, _ = logged_requests(entries, profile="chicago", start=dt.date(2025, 1, 1),
                                    end=dt.date(2025, 12, 31))
        rebuilt = [item.request for item in logged]
        assert len(rebuilt) == n
        times: dict[str, list[float]] = {"replay": [], "decide_many": []}
        for round_ in range(args.rounds):
            order = ["replay", "decide_many"] if round_ % 2 == 0 else ["decide_many", "replay"]
            for name in order:
                gc.collect()
                gc.disable()
                try:
                    took = time_replay(log) if name == "replay" else time_baseline(rebuilt)
                finally:
                    gc.enable()
                times[name].append(took)
        log.engine.dispose()
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, median in medians.items():
        print(f"{name:12} median {median:6.2f} s  {n / median:9.0f} requests/s")
    print(f"ratio={medians['decide_many'] / medians['replay']:.2f}  "
          "(replay's rate over decide_many's on the same requests)")
    print(f"replay_per_s={n / medians['replay']:.0f}")


if __name__ == "__main__":
    main()
