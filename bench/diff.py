"""Benchmark: ``policy diff`` of a whole profile (Chicago across O2021-117, 2021-01-26 against
2021-01-28) against ``policy verify`` of the same profile on the same day, measured in the same
run (verify is the baseline: the same space, decided in the same batches).

Run from the repository root::

    .venv/bin/python bench/diff.py           # 3 rounds
    .venv/bin/python bench/diff.py --quick   # 1 round

Never used as a test: the test suite holds no timed assertions. The last two lines are
``verify_s_profile=X`` and ``diff_s_profile=X`` (median seconds, one process).
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
    times: dict[str, list[float]] = {"verify": [], "diff": []}
    for _ in range(rounds):
        start = time.perf_counter()
        verify_profiles(lib, invariants, [PROFILE], today=BEFORE, day=BEFORE, jobs=1)
        times["verify"].append(time.perf_counter() - start)
        start = time.perf_counter()
        report = diff(Decider(lib, cache_size=0), Side(PROFILE, BEFORE), Side(PROFILE, AFTER))
        times["diff"].append(time.perf_counter() - start)
    print(f"diff: {report.decided} requests decided on each side, {len(report.changes)} classes "
          "changed")
    print(f"verify_s_profile={statistics.median(times['verify']):.1f}")
    print(f"diff_s_profile={statistics.median(times['diff']):.1f}")


if __name__ == "__main__":
    main()
