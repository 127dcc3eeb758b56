"""``sanctuarygate db status|upgrade`` and ``sanctuarygate log key`` (formerly ``key``), run as
an operator would, on a private data directory (in this process, ``cli_run.py``; ``serve`` in a
subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_run import run_cli
from sanctuarygate.audit.keys import load_verifiers
from sanctuarygate.store.db import head

ORIGIN = "sanctuarygate.example/demo"


def _env(data_dir: Path, origin: str | None) -> dict[str, str]:
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(data_dir)}
    for name in ("SANCTUARYGATE_DATABASE_URL", "SANCTUARYGATE_LOG_ORIGIN"):
        env.pop(name, None)
    if origin is not None:  # serve refuses the demo's origin
        env["SANCTUARYGATE_LOG_ORIGIN"] = origin
    return env


def sg(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``sanctuarygate ARGS`` in this process (``cli_run.py``)."""
    return run_cli(args, env=_env(data_dir, None))


def sg_serve(data_dir: Path, *args: str, origin: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    """``sanctuarygate serve ARGS`` in a process of its own: were it to start, it would serve."""
    return subprocess.run([sys.executable, "-m", "sanctuarygate", "serve", *args],
                          capture_output=True, text=True, timeout=300, env=_env(data_dir, origin))


def test_db_status_then_upgrade_then_status(tmp_path: Path) -> None:
    before = sg(tmp_path, "db", "status")
    assert before.returncode == 1 and "at no schema" in before.stdout
    assert "sanctuarygate db upgrade" in before.stderr
    done = sg(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"from an empty schema to {head()}")
    again = sg(tmp_path, "db", "upgrade")
    assert again.stdout.strip().endswith(f"is already at {head()}, the newest revision")
    after = sg(tmp_path, "db", "status")
    assert after.returncode == 0 and after.stdout.strip().endswith(f"at {head()}, newest {head()}")


def test_db_upgrade_of_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    out = sg(tmp_path, "db", "upgrade", "--url", "postgresql+psycopg://nobody:pw@127.0.0.1:1/x")
    assert out.returncode not in (0, 1) and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot use the database at postgresql+psycopg://nobody:***@" \
        in lines[0] and "pw" not in lines[0]


def test_log_key_generate_and_rotate(tmp_path: Path) -> None:
    made = sg(tmp_path, "log", "key", "generate")
    assert made.returncode == 0, made.stderr
    assert made.stderr.startswith("created signing key") and "note:" not in made.stderr
    rotated = sg(tmp_path, "log", "key", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert [v.key for v in load_verifiers(tmp_path, ORIGIN)] == [made.stdout.strip(),
                                                                  rotated.stdout.strip()]


def test_the_old_key_command_still_works_with_a_note(tmp_path: Path) -> None:
    old = sg(tmp_path, "key", "generate")
    assert old.returncode == 0, old.stderr
    assert old.stderr.splitlines()[0] == ("note: 'sanctuarygate key' is now "
                                          "'sanctuarygate log key'; the old name will go")
    assert old.stdout.strip() == load_verifiers(tmp_path, ORIGIN)[0].key
    listed = sg(tmp_path, "--help")
    assert " log " in listed.stdout and " key " not in listed.stdout  # hidden from the help


def test_serve_with_a_crash_left_empty_signing_key_stops_with_one_line(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "city.example%2Flog.key").touch(mode=0o600)
    out = sg_serve(tmp_path, "--port", "0", origin="city.example/log")
    assert out.returncode == 5, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "log.key: the signing key file is empty" in lines[0]
    assert "Restore it from a backup" in lines[0]
    assert (keys / "city.example%2Flog.key").read_bytes() == b""  # not replaced


def test_serve_refuses_the_shared_demo_origin(tmp_path: Path) -> None:
    out = sg_serve(tmp_path, "--port", "0")
    assert out.returncode == 5 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "error: SANCTUARYGATE_LOG_ORIGIN is the shared demo origin 'sanctuarygate.example/demo': "
        "a deployment names its own log (e.g. chicago.example/sanctuarygate); 'sanctuarygate "
        "demo' runs the demo"]
    assert not (tmp_path / "keys").exists()  # refused before any key or database is made
