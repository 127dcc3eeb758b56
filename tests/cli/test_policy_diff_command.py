"""``sanctuarygate policy diff``: exit codes and output."""

from __future__ import annotations

import json
import subprocess

from cli_run import run_cli


def sg(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(["policy", "diff", *args])


def test_same_day_is_no_change_and_exit_0() -> None:
    result = sg("--profile", "chicago", "--date", "2021-01-26", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["changes"] == []


def test_bad_date_and_unknown_profile_exit_2_in_one_line() -> None:
    for args in (["--profile", "chicago", "--date", "2021-13-40"],
                 ["--profile", "atlantis", "--date", "2021-01-26"]):
        result = sg(*args)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
