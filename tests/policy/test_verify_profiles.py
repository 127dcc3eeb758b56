"""verify_profiles(): the whole of 'policy verify' as a library call, and its progress."""

from __future__ import annotations

import datetime as dt
import os
import pty
import select
import subprocess
import sys

from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.verify import Invariant, load_invariants, verify, verify_profiles
from sanctuarygate.settings import PACKAGE_PACKS

INVARIANTS = load_invariants(PACKAGE_PACKS / "invariants.yaml")
TODAY = dt.date(2026, 12, 2)


def test_one_day_is_verify_for_each_profile_and_progress_reaches_every_total() -> None:
    lib = default_library()
    day = dt.date(2025, 11, 22)
    told: list[tuple[str, str, int, int]] = []
    found = verify_profiles(lib, INVARIANTS, ["new-york-city", "california"], today=TODAY,
                            day=day, progress=lambda *a: told.append(a))
    assert [(d.profile, d.checked.day) for d in found] == [("new-york-city", day),
                                                           ("california", day)]
    for d in found:
        alone = verify(Decider(lib, cache_size=0), INVARIANTS, d.profile, day)
        assert d.report is not None and d.ok
        assert [(r.invariant.id, r.checked, r.skipped) for r in d.report.results] == [
            (r.invariant.id, r.checked, r.skipped) for r in alone.results]
    for profile in ("new-york-city", "california"):
        mine = [t for t in told if t[0] == profile]
        assert mine[0][1:3] == ("", 0)  # every bar shown from the start
        assert mine[-1][2] == mine[-1][3] > 0  # and filled at the end
        assert [t[2] for t in mine] == sorted(t[2] for t in mine)
    assert {t[1] for t in told} - {""} <= {i.id for i in INVARIANTS}


def test_every_day_names_days_with_no_invariant_and_checks_the_others() -> None:
    inv = Invariant("no-287g", "No 287(g) agreement.", frozenset({"allow"}),
                    {"actions": ["enter-agreement"], "resource": {"kind": "287g"}},
                    start=dt.date(2019, 6, 21))
    found = verify_profiles(default_library(), [inv], ["illinois"], today=TODAY,
                            extra_packs=["ocad-proposed-eo-2019"])
    assert found[0].report is None and all(d.report is not None for d in found[1:])
    assert found[0].checked.intervals[-1].until == dt.date(2019, 6, 21)
    assert found[-1].checked.day == TODAY and all(d.ok for d in found)
    assert {d.label for d in found} == {"illinois+ocad-proposed-eo-2019"}


def test_worker_processes_give_the_same_reports() -> None:
    lib, day = default_library(), dt.date(2025, 11, 22)
    here = verify_profiles(lib, INVARIANTS, ["new-york-city", "california"], today=TODAY, day=day)
    there = verify_profiles(lib, INVARIANTS, ["new-york-city", "california"], today=TODAY, day=day,
                            jobs=2, load=default_library)
    assert [[(r.invariant.id, r.checked) for r in d.report.results] for d in here if d.report] == [
        [(r.invariant.id, r.checked) for r in d.report.results] for d in there if d.report]


def _verify_stderr(on_a_terminal: bool) -> bytes:
    args = [sys.executable, "-m", "sanctuarygate", "policy", "verify", "--profile",
            "new-york-city", "--date", "2025-11-22", "--jobs", "1"]
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    if not on_a_terminal:
        done = subprocess.run(args, capture_output=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 300)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=300) == 0
    os.close(leader)
    return out


def test_a_progress_bar_on_a_terminal_and_nothing_in_a_log() -> None:
    shown = _verify_stderr(on_a_terminal=True)
    assert b"new-york-city" in shown and b"\xe2\x94\x81" in shown  # the profile, a bar
    assert _verify_stderr(on_a_terminal=False) == b""
