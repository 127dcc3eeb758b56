"""``sanctuarygate ARGS`` run in this process, as a subprocess would run it, for the CLI tests.

Starting ``python -m sanctuarygate`` imports cedarpy, SQLAlchemy, FastAPI and the policy packs
again each time (seconds on a loaded machine); :func:`run_cli` calls the same entry point
(``cli.main.run``) here and answers what ``subprocess.run(..., capture_output=True,
text=True)`` would: a ``CompletedProcess[str]`` with the exit code, stdout and stderr.

For the call it replaces, and restores after (also when the command fails):

- ``sys.argv``; ``os.environ`` (with ``env``, replaced whole, as ``subprocess.run(env=...)``);
- ``sys.stdin`` (the text given, else empty), ``sys.stdout`` and ``sys.stderr``: UTF-8 text
  over bytes, so a command writing to ``sys.stdout.buffer`` (``query``) is caught too;
- the root logger's handlers: none, so a warning the command logs goes to its stderr, as in a
  fresh interpreter (not to pytest's log capture);
- the logs and records engines the settings open once per process (``audit.default``,
  ``gateway.default``): the command opens its own, disposed after, so no connection, key or
  tree state of one run reaches the next (the policy library, read-only, stays shared).

What this does not stand in for stays a real subprocess: ``serve``, signals, several processes
at once, a terminal, and the ``python -m sanctuarygate`` entry itself (tests/cli/test_cli.py
and test_exit_codes.py keep a smoke test of it).
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sanctuarygate.audit import default as audit_default
from sanctuarygate.cli import main
from sanctuarygate.gateway import default as gateway_default

__all__ = ["run_cli"]


def run_cli(args: Sequence[str], *, env: Mapping[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``sanctuarygate *args`` in this process: its exit code, stdout and stderr as text.

    ``env`` (as ``subprocess.run``'s): the whole environment of the call; None keeps this
    one's. ``stdin``: the text the command reads (None: nothing, end of input at once)."""
    argv = ["sanctuarygate", *args]
    out, err = _bytes_text(), _bytes_text(errors="backslashreplace")
    code: int = 0
    with _environment(env), _streams(_bytes_text(stdin or ""), out, err), _fresh_engines(), \
            _no_log_handlers():
        saved_argv = sys.argv
        sys.argv = argv
        try:
            main.run()
        except SystemExit as ended:
            code = _exit_status(ended.code)
        finally:
            sys.argv = saved_argv
    return subprocess.CompletedProcess(["python", "-m", "sanctuarygate", *args], code,
                                       _text(out), _text(err))


def _bytes_text(initial: str = "", errors: str = "strict") -> io.TextIOWrapper:
    """A text stream over bytes, UTF-8 as the interpreter's own under ``C.UTF-8``."""
    return io.TextIOWrapper(io.BytesIO(initial.encode("utf-8")), encoding="utf-8",
                            errors=errors, newline="\n", write_through=False)


def _text(stream: io.TextIOWrapper) -> str:
    """What ``subprocess.run(text=True)`` reads: decoded, universal newlines."""
    stream.flush()
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue().decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def _exit_status(code: Any) -> int:
    """The status the interpreter exits with for ``sys.exit(code)``: None is 0, a number is
    itself, anything else is printed to stderr and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


@contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _streams(stdin: io.TextIOWrapper, stdout: io.TextIOWrapper, stderr: io.TextIOWrapper
             ) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        yield
    finally:
        for stream in (stdout, stderr):
            stream.flush()
        sys.stdin, sys.stdout, sys.stderr = saved


@contextmanager
def _no_log_handlers() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    try:
        yield
    finally:
        root.handlers[:] = saved


@contextmanager
def _fresh_engines() -> Iterator[None]:
    opened, records = audit_default._opened, gateway_default._records
    logs: list[Any] = []
    engines: list[Any] = []

    def open_log(*key: Any) -> Any:
        logs.append(opened.__wrapped__(*key))
        return logs[-1]

    def open_records(*key: Any) -> Any:
        engines.append(records.__wrapped__(*key))
        return engines[-1]

    audit_default._opened = lru_cache(maxsize=4)(open_log)  # type: ignore[assignment]
    gateway_default._records = lru_cache(maxsize=4)(open_records)  # type: ignore[assignment]
    try:
        yield
    finally:
        audit_default._opened, gateway_default._records = opened, records  # type: ignore[assignment]
        for log in logs:
            log.engine.dispose()
        for engine in engines:
            engine.dispose()
