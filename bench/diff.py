"""Benchmark: ``policy diff`` of a whole profile (Chicago across O2021-117, 2021-01-26 against
2021-01-28, every action) against ``policy verify`` of the same profile on the same two days,
measured in the same run.

The baseline is verify on *both* days the diff compares (``policy verify --date`` on each): on
2021-01-26 alone only the few invariants already in force apply (most start on 2021-08-02), so
that day's verify decides under a thousand requests in about half a second, too little to
stand for the machine's speed. Both days together decide some 13,000 requests with the same
engine and batches; every round builds its verify and diff from scratch (a decider with no
decision cache; the library's compiled pack sets are shared, as in one CLI run).

Run from the repository root::

    .venv/bin/python bench/diff.py           # 3 rounds
    .venv/bin/python bench/diff.py --quick   # 1 round

Never used as a test: the test suite holds no timed assertions. The last three lines are
``verify_s_profile=X``, ``diff_over_verify=R`` and ``diff_s_profile=X`` (medians, one
process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time

from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.diff import Side, diff
from sanctuarygate.policy.verify import load_invariants, verify_profiles
from sanctuarygate.settings import get_settings

PROFILE, BEFORE, AFTER = "chicago", dt.date(2021, 1, 26), dt.date(2021, 1, 28)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round")
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    lib = default_library()
    invariants = load_invariants(get_settings().packs_dir / "invariants.yaml")
    print(f"{platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {rounds} rounds")
    times: dict[str, list[float]] = {"verify": [], "diff": [], "diff_cpu": []}
    for _ in range(rounds):
        start = time.perf_counter()
        checked = 0
        for day in (BEFORE, AFTER):
            for found in verify_profiles(lib, invariants, [PROFILE], today=day, day=day, jobs=1):
                assert found.report is not None and found.ok
                checked += sum(r.checked for r in found.report.results)
        times["verify"].append(time.perf_counter() - start)
        start, cpu = time.perf_counter(), time.process_time()
        report = diff(Decider(lib, cache_size=0), Side(PROFILE, BEFORE), Side(PROFILE, AFTER))
        times["diff"].append(time.perf_counter() - start)
        times["diff_cpu"].append(time.process_time() - cpu)
    print(f"verify: {checked} requests decided on {BEFORE} and {AFTER}")
    print(f"diff: {report.decided} requests of the space on each side, {report.evaluated} "
          f"engine requests, {len(report.changes)} classes changed, "
          f"{statistics.median(times['diff_cpu']):.1f} s of CPU (the rest is waiting for one)")
    verify_s, diff_s = statistics.median(times["verify"]), statistics.median(times["diff"])
    print(f"verify_s_profile={verify_s:.1f}")
    print(f"diff_over_verify={diff_s / verify_s:.2f}")
    print(f"diff_s_profile={diff_s:.1f}")


if __name__ == "__main__":
    main()
