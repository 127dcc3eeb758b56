"""``sanctuarygate report transparency`` end to end (in this process: ``cli_run.py``),
on a real export."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

from cli_run import run_cli

from .conftest import Built


def sg(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SANCTUARYGATE_LOG_POLICY"}
    return run_cli(["report", "transparency", *args], env=env)


def test_a_verified_export_gives_the_tables_and_csv(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    done = sg("--from-export", str(built.export), "--policy", str(built.policy_file),
              "--csv-dir", str(out))
    assert done.returncode == 0, done.stderr
    assert "27 log entries of test.example/log, verified" in done.stdout
    assert "Requests decided, by month" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "decisions.csv", "exceptions.csv", "key_events.csv", "queries.csv", "refusals.csv",
        "review_outcomes.csv", "reviews.csv", "rows_released.csv"]
    rows = list(csv.reader((out / "decisions.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["month", "family", "action", "allow", "allow-with-conditions", "deny",
                       "review", "total"]
    assert ["2025-03", "ICE", "notify-release", "0", "0", "7", "0", "7"] in rows
    assert ["2025-03", "CBP", "notify-release", "0", "0", "<5", "0", "<5"] in rows
    assert rows[-1] == ["total", "", "", "<5", "0", "18", "<5", "22"]


def test_the_exceptions_and_reviews_offline(answered: Built, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    done = sg("--from-export", str(answered.export), "--policy", str(answered.policy_file),
              "--csv-dir", str(out))
    assert done.returncode == 0, done.stderr
    assert "Reviews decided, by month, agency family and how they ended" in done.stdout
    assert "Exceptions granted (break-glass), each listed; expired or not as of " \
        "2025-04-25T10:00:00Z" in done.stdout
    rows = list(csv.reader((out / "exceptions.csv").read_text(encoding="utf-8").splitlines()))
    assert [(r[2], r[-1]) for r in rows[1:]] == [("1", "expired"), ("2", "expired-unapproved"),
                                                ("3", "expired"), ("4", "in-force")]
    outcomes = (out / "review_outcomes.csv").read_text(encoding="utf-8").splitlines()
    assert outcomes[0] == "month,family,allow,allow-with-conditions,deny,total"


def test_a_pinned_key_file_works_too(built: Built, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("".join(v.key + "\n" for v in built.log.verifiers()), encoding="utf-8")
    done = sg("--from-export", str(built.export), "--key", str(keys), "--min-cell", "8")
    assert done.returncode == 0, done.stderr
    assert "<8" in done.stdout and "<5" not in done.stdout


def test_a_tampered_export_exits_1_and_counts_nothing(built: Built, tmp_path: Path) -> None:
    path = built.export / "entries.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"deny"', b'"allow"', 1))
    done = sg("--from-export", str(built.export), "--policy", str(built.policy_file),
              "--csv-dir", str(tmp_path / "csv"))
    assert done.returncode == 1
    assert done.stdout == "" and not (tmp_path / "csv").exists()
    assert len(done.stderr.strip().splitlines()) == 1 and "checkpoint's root" in done.stderr


def test_without_a_trust_anchor_it_refuses(built: Built) -> None:
    done = sg("--from-export", str(built.export))
    assert done.returncode == 2 and "nothing to trust" in done.stderr


def test_no_verify_counts_but_says_so_loudly(built: Built) -> None:
    done = sg("--from-export", str(built.export), "--no-verify")
    assert done.returncode == 0, done.stderr
    assert "NOT VERIFIED" in done.stderr and "(NOT verified)" in done.stdout


def test_bad_input_exits_2(built: Built, tmp_path: Path) -> None:
    both = sg("--from-export", str(built.export), "--no-verify", "--policy",
              str(built.policy_file))
    assert both.returncode == 2 and "not both" in both.stderr
    assert sg("--from-export", str(built.export), "--no-verify",
              "--min-cell", "2").returncode == 2
    missing = sg("--from-export", str(tmp_path / "nowhere"), "--policy", str(built.policy_file))
    assert missing.returncode == 2 and "not a log export" in missing.stderr
