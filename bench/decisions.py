"""Benchmark: ``Decider.decide`` against a raw ``cedarpy.is_authorized`` on the same requests.

Run from the repository root::

    .venv/bin/python bench/decisions.py          # full run: 200 rounds, about a minute
    .venv/bin/python bench/decisions.py --quick  # 60 rounds, 15-20 s

What is measured, on a few hundred distinct requests (the 35 shared scenario cases plus
variations of date, asking agency and unverified documents):

* **raw** — for each request, the Cedar request dicts that ``decide`` evaluates
  (``Decider.engine_requests``), built before timing, each passed to ``cedarpy.is_authorized``
  with the same pre-parsed PolicySet, Entities and Schema handles ``decide`` uses. A request with
  k unknown facts is 2^k Cedar requests, so the raw baseline makes the same number of
  evaluations as ``decide`` (one ``is_authorized`` call each);
* **uncached** — ``decide`` on a ``Decider`` built with ``cache_size=0``: every call checks the
  request, builds the Cedar requests, evaluates them and builds the ``Decision`` (the decider's
  library-derived tables — packs in force, checked principals, readings of engine answers — are
  warm, as in a running service);
* **repeated** — ``decide`` on a ``Decider`` with its cache on, already warm: the same
  ``Request`` objects asked again.

The machines are shared and noisy, so the three variants are interleaved round by round (their
order rotates, and the request order is reshuffled each round, the same for every variant), the
garbage collector is paused during each timed pass, and each request's time is its median over
the rounds, which drops the calls a busy machine preempted; the uncached ratio is the sum of the
per-request medians of ``decide`` over that of raw. The baseline is measured in the same run; the
figures that matter are ratios. Never used as a test: the test suite holds no timed assertions.

The last line is ``uncached_ratio=X repeated_us=Y``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cedarpy
import yaml

from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import SanctuaryGateError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.engine import CedarEngine

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "legal" / "scenarios.yaml"  # the repo's copy of the shared cases

TARGET_UNCACHED_RATIO = 1.3
TARGET_REPEATED_US = 2.0

#: Variation material: days on either side of the packs' effective dates, and asking agencies.
DATES = ("2012-10-01", "2016-06-01", "2018-03-01", "2019-05-01", "2020-01-15", "2021-03-01",
         "2022-09-01", "2024-02-01", "2025-10-10", "2025-11-03")
AGENCIES = ("ICE-ERO", "ICE-HSI", "ICE", "CBP", "CBP-USBP", "CBP-OFO", "USCIS-FDNS", "FBI", "DEA",
            "ATF", "USMS", "USSS", "FEMA", "ISP")
VARIANTS_PER_CASE = 12
VARIANTS = ("raw", "uncached", "repeated")


@dataclass(frozen=True, slots=True)
class Workload:
    requests: list[Request]
    #: For each request: the PolicySet handle and the Cedar request dicts decide() evaluates.
    plans: list[tuple[object, list[dict[str, Any]]]]

    @property
    def evaluations(self) -> int:
        return sum(len(crs) for _, crs in self.plans)


def variations(case: Mapping[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """The case itself plus variants with another date, agency or an unverified document."""
    base = {k: v for k, v in case.items() if k not in ("id", "expect", "note")}
    out = [base]
    for _ in range(VARIANTS_PER_CASE):
        v = {**base, "context": dict(base.get("context") or {})}
        roll = rng.random()
        if roll < 0.4 or "agency" not in base["principal"]:
            v["date"] = rng.choice(DATES)
        elif roll < 0.8:
            v["principal"] = {"agency": rng.choice(AGENCIES)}
        else:
            v["date"] = rng.choice(DATES)
            v["principal"] = {"agency": rng.choice(AGENCIES)}
        doc = v["context"].get("document")
        if isinstance(doc, Mapping) and doc.get("kind", "none") != "none" and rng.random() < 0.15:
            v["context"]["document"] = {**doc, "verified": "unknown"}
        out.append(v)
    return out


def build_workload(decider: Decider, seed: int = 20251103) -> Workload:
    """Distinct requests that decide without error, with their raw Cedar plans."""
    cases = yaml.safe_load(SCENARIOS.read_text(encoding="utf-8"))["cases"]
    rng = random.Random(seed)
    seen: set[Request] = set()
    requests: list[Request] = []
    plans: list[tuple[object, list[dict[str, Any]]]] = []
    library = decider.library
    for case in cases:
        for data in variations(case, rng):
            try:
                request = parse_request(data)
                if request in seen:
                    continue
                decider.decide(request)
                packs, cedar_requests = decider.engine_requests(request)
            except SanctuaryGateError:
                continue  # a variant the rules refuse as input: time only clean requests
            seen.add(request)
            requests.append(request)
            plans.append((library.compiled(packs), cedar_requests))
    return Workload(requests, plans)


# --- timed passes: each returns per-request nanoseconds, in the order given ---------------
def pass_raw(plans: list[tuple[object, list[dict[str, Any]]]], entities: Any, schema: Any,
             order: list[int]) -> list[int]:
    clock, authorize = time.perf_counter_ns, cedarpy.is_authorized
    out = []
    for i in order:
        handle, cedar_requests = plans[i]
        t0 = clock()
        for c in cedar_requests:
            authorize(c, handle, entities, schema)  # type: ignore[arg-type]
        out.append(clock() - t0)
    return out


def pass_decide(decide: Callable[[Request], object], requests: list[Request],
                order: list[int]) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    for i in order:
        r = requests[i]
        t0 = clock()
        decide(r)
        out.append(clock() - t0)
    return out


def pass_decide_loop(decide: Callable[[Request], object], requests: list[Request],
                     repeat: int) -> float:
    """Per-call nanoseconds of a tight loop (no per-call clock), for the repeated path."""
    clock = time.perf_counter_ns
    t0 = clock()
    for _ in range(repeat):
        for r in requests:
            decide(r)
    return (clock() - t0) / (repeat * len(requests))


def timed(fn: Callable[[], Any]) -> Any:
    gc.collect()
    gc.disable()
    try:
        return fn()
    finally:
        gc.enable()


def percentile(values: list[int] | list[float], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))])


def clock_overhead_ns() -> float:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(2000):
        t0 = clock()
        samples.append(clock() - t0)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under a minute)")
    parser.add_argument("--rounds", type=int, default=None, help="override the round count")
    args = parser.parse_args(argv)
    rounds = args.rounds or (60 if args.quick else 200)
    started = time.perf_counter()

    library = default_library()
    engine = library.engine
    if not isinstance(engine, CedarEngine):
        print("the default library does not use CedarEngine; nothing to compare", file=sys.stderr)
        return 2
    uncached = Decider(library, cache_size=0)
    cached = Decider(library)  # the default cache size
    work = build_workload(uncached)
    n = len(work.requests)
    multi = [i for i, (_, crs) in enumerate(work.plans) if len(crs) > 1]
    multi_set = set(multi)
    single = [i for i in range(n) if i not in multi_set]

    # Same answers on every path before anything is timed. (Cedar reports the matching rules in
    # no fixed order, so the rules and obligations are compared as sets.)
    for r in work.requests:
        if _gist(uncached.decide(r)) != _gist(cached.decide(r)):
            print(f"decisions differ for {r}", file=sys.stderr)
            return 2

    # Warm-up: one untimed pass of each variant.
    everyone = list(range(n))
    pass_raw(work.plans, engine.entities, engine.schema, everyone)
    pass_decide(uncached.decide, work.requests, everyone)
    pass_decide(cached.decide, work.requests, everyone)

    # samples[variant][request] = nanoseconds, one per round
    samples: dict[str, list[list[int]]] = {v: [[] for _ in range(n)] for v in VARIANTS}
    round_ratios: list[float] = []
    rep_loop: list[float] = []
    rng = random.Random(7)
    for k in range(rounds):
        order = everyone[:]
        rng.shuffle(order)
        steps: list[tuple[str, Callable[[], list[int]]]] = [
            ("raw", functools.partial(pass_raw, work.plans, engine.entities, engine.schema, order)),
            ("uncached", functools.partial(pass_decide, uncached.decide, work.requests, order)),
            ("repeated", functools.partial(pass_decide, cached.decide, work.requests, order)),
        ]
        shift = k % len(steps)
        got: dict[str, list[int]] = {}
        for name, fn in steps[shift:] + steps[:shift]:
            got[name] = timed(fn)
        rep_loop.append(timed(lambda: pass_decide_loop(cached.decide, work.requests, 20)))
        for name, ns in got.items():
            per_request = samples[name]
            for i, t in zip(order, ns, strict=True):
                per_request[i].append(t)
        round_ratios.append(sum(got["uncached"]) / sum(got["raw"]))

    # Per-request medians drop the calls a busy machine preempted; the ratio is their sums'.
    med = {v: [statistics.median(s) for s in samples[v]] for v in VARIANTS}
    total = {v: sum(med[v]) for v in VARIANTS}
    uncached_ratio = total["uncached"] / total["raw"]
    single_ratio = sum(med["uncached"][i] for i in single) / sum(med["raw"][i] for i in single)
    repeated_ns = statistics.median(rep_loop)
    repeated_us = repeated_ns / 1000
    overhead = clock_overhead_ns()

    print(f"sanctuarygate decide() vs raw cedarpy.is_authorized"
          f" — python {platform.python_version()}, cedarpy {_version('cedarpy')},"
          f" {os.cpu_count()} CPUs (shared), {dt.date.today().isoformat()}")
    print(f"workload: {n} distinct requests from {SCENARIOS.name} (35 cases + variants),"
          f" {work.evaluations} Cedar evaluations per pass;")
    print(f"  {len(multi)} requests have unknown facts (2^k evaluations each): the raw baseline"
          f" makes the same evaluations, one is_authorized call each, so they stay in the ratio")
    print(f"rounds: {rounds}, variants interleaved (order rotates, requests reshuffled each"
          f" round), GC paused in timed passes; clock overhead {overhead:.0f} ns/call")
    print()
    print(f"{'variant':<20}{'decisions/s':>13}{'p50 µs':>9}{'p99 µs':>9}{'p99 all µs':>12}")
    for name, label in (("raw", "raw cedarpy"), ("uncached", "decide, uncached"),
                        ("repeated", "decide, repeated")):
        rate = 1e9 / repeated_ns if name == "repeated" else n / total[name] * 1e9
        every = [t for s in samples[name] for t in s]
        print(f"{label:<20}{rate:>13,.0f}{percentile(med[name], 0.5) / 1000:>9.2f}"
              f"{percentile(med[name], 0.99) / 1000:>9.2f}{percentile(every, 0.99) / 1000:>12.2f}")
    print("(per call = per request, all its evaluations included. decisions/s, p50 and p99 use"
          " each request's median over the rounds; 'p99 all' is over every timed call, machine"
          " noise included. Repeated decisions/s and repeated_us come from a tight loop without"
          " a per-call clock; its p50/p99 include one clock overhead.)")
    print()
    print(f"uncached / raw: {uncached_ratio:.3f}  (sum of per-request medians;"
          f" single-evaluation requests only {single_ratio:.3f};"
          f" median of per-round ratios {statistics.median(round_ratios):.3f},"
          f" rounds {min(round_ratios):.2f}..{max(round_ratios):.2f})")
    print(f"uncached overhead over raw: {(total['uncached'] - total['raw']) / n / 1000:.1f} µs"
          f" per decision")
    print(f"repeated / raw: {repeated_ns * n / total['raw']:.4f}"
          f"  ({repeated_us:.2f} µs per repeated call)")
    verdict = {True: "met", False: "MISSED"}
    print(f"targets: uncached ≤ {TARGET_UNCACHED_RATIO}x raw: "
          f"{verdict[uncached_ratio <= TARGET_UNCACHED_RATIO]};"
          f" repeated ≤ {TARGET_REPEATED_US} µs: {verdict[repeated_us <= TARGET_REPEATED_US]}"
          f"  (took {time.perf_counter() - started:.0f} s)")
    print(f"uncached_ratio={uncached_ratio:.2f} repeated_us={repeated_us:.2f}")
    return 0


def _gist(d: Decision) -> tuple[object, ...]:
    return (d.outcome, frozenset(d.rules), frozenset(d.obligations), d.packs, d.unresolved_facts)


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


if __name__ == "__main__":
    sys.exit(main())
