"""``sanctuarygate agency key issue|list|revoke`` on a private data directory (in this process:
``cli_run.py``)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from cli_run import run_cli
from sanctuarygate.store.credential import authenticate
from sanctuarygate.store.db import make_engine

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d"


def sg(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(data_dir)}
    env.pop("SANCTUARYGATE_DATABASE_URL", None)
    return run_cli(["agency", "key", *args], env=env)


def test_issue_list_revoke(tmp_path: Path) -> None:
    issued = sg(tmp_path, "issue", "FBI", "--label", "records unit")
    assert issued.returncode == 0, issued.stderr
    *before, key = issued.stdout.rstrip("\n").split("\n")
    assert re.fullmatch(r"sgk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key)
    key_id = key.split("_")[1]
    assert f"issued key {key_id} for FBI (Federal Bureau of Investigation)" in before[0]

    engine = make_engine(f"sqlite:///{tmp_path / 'sanctuarygate.db'}")
    try:
        with engine.connect() as conn:
            assert authenticate(conn, key).agency_id == "FBI"  # the printed key is the real one
    finally:
        engine.dispose()

    listed = sg(tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    (row,) = [line for line in listed.stdout.splitlines() if line.startswith(key_id)]
    assert row.split()[1] == "FBI" and row.endswith("records unit")
    assert len(re.findall(STAMP, row)) == 1  # created; not used, not revoked
    assert key.split("_", 2)[2] not in listed.stdout

    revoked = sg(tmp_path, "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert f"revoked key {key_id} of FBI" in revoked.stdout
    (row,) = [line for line in sg(tmp_path, "list").stdout.splitlines() if line.startswith(key_id)]
    assert len(re.findall(STAMP, row)) == 2  # created and revoked

    again = sg(tmp_path, "revoke", key_id)
    assert again.returncode == 2 and "already revoked" in again.stderr


def test_unknown_agency_and_key_are_exit_2(tmp_path: Path) -> None:
    out = sg(tmp_path, "issue", "NOBODY")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip() == "error: agency: unknown agency id 'NOBODY'"
    out = sg(tmp_path, "revoke", "0badc0de")
    assert out.returncode == 2 and "no agency key with id '0badc0de'" in out.stderr
