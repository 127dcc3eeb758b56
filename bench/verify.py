"""Benchmark: ``Decider.decide_many`` (one engine batch) against one ``decide`` per request, on
requests of the ``policy verify`` space.

Run from the repository root::

    .venv/bin/python bench/verify.py           # 7 rounds of 4,000 requests, about two minutes
    .venv/bin/python bench/verify.py --quick   # 3 rounds of 1,500 requests, about 20 s

The requests are evenly spaced runs of 500 consecutive requests among the distinct requests
that ``policy verify`` asks for Chicago on 2026-12-02 (every invariant about that day), in the
order verify asks them (it decides consecutive requests together), so the sample has the
space's mix: shared Cedar requests (a purpose stated ``unknown`` is decided as several purposes
that neighbouring requests state) as often as the space has them. Variants, each on
a fresh ``Decider(cache_size=0)`` so that no decision is cached:

* **loop** (the baseline) — ``decide(r)`` for each request: one engine call per request;
* **batch** — ``decide_many(requests)``: one engine call, each distinct Cedar request once.

The same two variants are then timed on a **mixed** sample: the requests of
``bench/decisions.py`` (the shared scenario cases and their variations of date, asking agency
and unverified document), which span several places and days. ``decide_many`` makes one engine
batch per set of packs in force, whatever the places and days that have it.

Both return the same decisions (checked before timing). The machines are shared and noisy: the
variants alternate round by round (their order rotates), the garbage collector is paused during
each timed pass, and the figure reported is the median over rounds; the ratio is of medians
measured in the same run. Never used as a test: the test suite holds no timed assertions.

The last two lines are ``mixed_batch_speedup=X`` and ``batch_speedup=X``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable

import decisions  # bench/decisions.py, beside this script: its mixed workload
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.space import RequestSpace
from sanctuarygate.policy.verify import load_invariants
from sanctuarygate.settings import get_settings

PROFILE, DAY = "chicago", dt.date(2026, 12, 2)


def sample(size: int, window: int = 500) -> list[Request]:
    """Evenly spaced runs of ``window`` consecutive requests among the distinct requests verify
    asks for PROFILE on DAY, in order (verify decides consecutive requests together)."""
    lib = default_library()
    space = RequestSpace(lib, lib.packs_for(PROFILE, DAY))
    every: dict[Request, None] = {}
    for inv in load_invariants(get_settings().packs_dir / "invariants.yaml"):
        if inv.applies(PROFILE, DAY):
            every.update(dict.fromkeys(space.requests(inv.where, PROFILE, DAY, (), inv.never)))
    requests = list(every)
    step = max(window, len(requests) * window // size)
    return [r for start in range(0, len(requests), step) for r in requests[start:start + window]
            ][:size]


def timed(run: Callable[[], list[Decision]]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        gc.enable()


def compare(requests: list[Request], rounds: int) -> dict[str, float]:
    """The median time of each variant over ``rounds`` (their order alternating)."""
    lib = default_library()
    variants: dict[str, Callable[[], list[Decision]]] = {
        "loop": lambda: [d.decide(r) for d in [Decider(lib, cache_size=0)] for r in requests],
        "batch": lambda: Decider(lib, cache_size=0).decide_many(requests),
    }
    assert variants["loop"]() == variants["batch"](), "decide_many differs from decide"
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for i in range(rounds):
        for name in names[i % 2:] + names[:i % 2]:
            times[name].append(timed(variants[name]))
    return {name: statistics.median(ts) for name, ts in times.items()}


def report(title: str, requests: list[Request], medians: dict[str, float]) -> None:
    print(title)
    for name, median in medians.items():
        print(f"{name:6} median {median:7.2f} s  {median / len(requests) * 1e6:7.0f} us/request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 1,500 requests")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--size", type=int)
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 7)
    requests = sample(args.size or (1_500 if args.quick else 4_000))
    lib = default_library()
    cedar = sum(len(Decider(lib).engine_requests(r)[1]) for r in requests)
    mixed = decisions.build_workload(Decider(lib, cache_size=0)).requests
    places = len({(r.profile, r.date) for r in mixed})
    policy_sets = len({tuple(p.id for p in Decider(lib).engine_requests(r)[0]) for r in mixed})
    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {rounds} rounds")
    verify_medians = compare(requests, rounds)
    mixed_medians = compare(mixed, rounds)
    report(f"{PROFILE} {DAY}: {len(requests)} requests, {cedar} Cedar requests", requests,
           verify_medians)
    report(f"mixed: {len(mixed)} requests, {places} (place, day) pairs, {policy_sets} sets of "
           "packs in force", mixed, mixed_medians)
    print(f"mixed_batch_speedup={mixed_medians['loop'] / mixed_medians['batch']:.2f}")
    print(f"batch_speedup={verify_medians['loop'] / verify_medians['batch']:.2f}")


if __name__ == "__main__":
    main()
