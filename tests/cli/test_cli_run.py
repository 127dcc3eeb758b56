"""The tests' in-process runner (``tests/cli_run.py``) answers as a subprocess would, and leaves
this process as it found it, also when the command fails."""

from __future__ import annotations

import logging
import os
import sys

import pytest

from cli_run import run_cli
from sanctuarygate.audit import default as audit_default
from sanctuarygate.cli import main
from sanctuarygate.gateway import default as gateway_default


def test_the_exit_code_and_both_streams_come_back_as_text() -> None:
    shown = run_cli(["--help"])
    assert shown.returncode == 0 and "decide" in shown.stdout and shown.stderr == ""
    bad = run_cli(["decide", "-"], stdin="profile: chicago\n")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: date: is required\n")


def test_bytes_written_to_stdout_buffer_and_a_logged_warning_are_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def run() -> None:
        print("text, then ", end="")
        sys.stdout.flush()
        sys.stdout.buffer.write("bytes: é\n".encode())
        logging.getLogger("sanctuarygate.audit").warning("said on stderr")
        sys.exit(3)

    monkeypatch.setattr(main, "run", run)
    done = run_cli([])
    assert (done.returncode, done.stdout, done.stderr) == (3, "text, then bytes: é\n",
                                                           "said on stderr\n")


@pytest.mark.parametrize(("code", "status", "err"), [(None, 0, ""), ("boom", 1, "boom\n")])
def test_sys_exit_of_none_or_a_message_is_the_interpreter_s_status(
        monkeypatch: pytest.MonkeyPatch, code: str | None, status: int, err: str) -> None:
    monkeypatch.setattr(main, "run", lambda: sys.exit(code))
    done = run_cli([])
    assert (done.returncode, done.stderr) == (status, err)


def test_environment_argv_streams_log_handlers_and_caches_are_restored_after_a_failure(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def run() -> None:
        seen.update(argv=sys.argv[:], env=dict(os.environ), stdin=sys.stdin.read())
        raise RuntimeError("escaped")

    monkeypatch.setattr(main, "run", run)
    monkeypatch.setenv("CLI_RUN_TEST_KEPT", "1")
    before = (dict(os.environ), sys.argv[:], sys.stdin, sys.stdout, sys.stderr,
              logging.getLogger().handlers[:], audit_default._opened, gateway_default._records)
    with pytest.raises(RuntimeError, match="escaped"):
        run_cli(["log", "size"], env={"ONLY": "this"}, stdin="in")
    assert seen == {"argv": ["sanctuarygate", "log", "size"], "env": {"ONLY": "this"},
                    "stdin": "in"}
    after = (dict(os.environ), sys.argv[:], sys.stdin, sys.stdout, sys.stderr,
             logging.getLogger().handlers[:], audit_default._opened, gateway_default._records)
    assert after == before


def test_each_run_opens_its_own_log_and_closes_it(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: os.PathLike[str]) -> None:
    """A command's log is not the one a previous run (or this process) opened: no state of one
    run reaches the next, as none would across two processes."""
    logs = []

    def run() -> None:
        logs.append(audit_default.default_log())
        sys.exit(0)

    monkeypatch.setattr(main, "run", run)
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(tmp_path)}
    assert run_cli([], env=env).returncode == run_cli([], env=env).returncode == 0
    assert logs[0] is not logs[1]
    assert all(log.engine.pool.checkedin() == 0 for log in logs)  # disposed
