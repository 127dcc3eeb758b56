"""Real witnesses: three ``sanctuarygate witness serve`` processes on 127.0.0.1 cosign a log.

One module-scoped fixture starts them (each with its own directory, key and SQLite state, on a
free port) and waits for each by polling ``GET /``; they are stopped with SIGTERM at the end and
must exit cleanly. Each test uses a log of its own origin, so the tests do not depend on order.
"""

from __future__ import annotations

import itertools
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from sanctuarygate.audit.checkpoint import Checkpoint, sign_checkpoint
from sanctuarygate.audit.cosignature import (
    TooFewCosignaturesError,
    WitnessVerifier,
    require_cosignatures,
    verify_cosignatures,
)
from sanctuarygate.audit.keys import Signer, generate_key
from sanctuarygate.audit.merkle import MemoryTree
from sanctuarygate.witness.client import request_cosignature, submit
from sanctuarygate.witness.home import init_witness, open_state
from sanctuarygate.witness.protocol import (
    SizeConflictError,
    WitnessRefusedError,
    WitnessUnavailableError,
)

_SCRIPT = Path(sys.executable).with_name("sanctuarygate")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "sanctuarygate"]
READY_WITHIN = 60.0  # seconds; polled, not slept
_origins = itertools.count(1)


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, "witness", *args], capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"witness {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WitnessProcess:
    """One witness: its directory, its public key, and its serve process."""

    def __init__(self, directory: Path, name: str, *, with_cli: bool) -> None:
        self.directory = directory
        if with_cli:
            self.vkey = cli("init", name, "--dir", str(directory)).stdout.strip()
        else:
            self.vkey = init_witness(directory, name).key
        self.verifier = WitnessVerifier.from_key(self.vkey)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self._output: IO[str]

    def launch(self) -> None:
        """Start ``sanctuarygate witness serve``; its output goes to serve.log in its directory."""
        self._output = (self.directory / "serve.log").open("a")
        self.process = subprocess.Popen(
            [*CLI, "witness", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.directory)],
            stdout=self._output, stderr=subprocess.STDOUT, text=True)

    def wait_ready(self) -> None:
        """Poll ``GET /`` until the witness answers with its key (or its process ends)."""
        assert self.process is not None
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"witness serve exited with {self.process.returncode}: "
                                     f"{self.output()}")
            try:
                if httpx.get(self.url + "/", timeout=1).text.strip() == self.vkey:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # between polls
        self.stop()
        raise AssertionError(f"witness on {self.url} was not ready within {READY_WITHIN} s")

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def output(self) -> str:
        return (self.directory / "serve.log").read_text(encoding="utf-8")

    def stop(self) -> bool:
        """SIGTERM, then whether the server shut down cleanly (uvicorn finishes, then re-raises
        the signal, so the exit status is -SIGTERM or 0)."""
        assert self.process is not None
        before = self.output().count("Finished server process")
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._output.close()
        self.process = None
        return code in (0, -signal.SIGTERM) and self.output().count("Finished server process") > before


@pytest.fixture(scope="module")
def witnesses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[WitnessProcess]]:
    root = tmp_path_factory.mktemp("witnesses")
    made = [WitnessProcess(root / f"w{i}", f"witness{i}.example.org/test", with_cli=i == 1)
            for i in (1, 2, 3)]
    try:
        for w in made:  # all three start at once
            w.launch()
        for w in made:
            w.wait_ready()
        yield made
    finally:
        clean = [w.stop() for w in made if w.process is not None]
    assert all(clean), f"a witness did not shut down cleanly: {clean}"


class Log:
    """A log of its own origin, added to every witness (the first through the CLI)."""

    def __init__(self, witnesses: list[WitnessProcess], *, with_cli: bool = False) -> None:
        self.origin = f"log{next(_origins)}.example/decisions"
        skey, self.vkey = generate_key(self.origin)
        self.signer = Signer.from_key(skey)
        self.tree = MemoryTree()
        for i, w in enumerate(witnesses):
            if with_cli and i == 0:
                cli("add-log", self.origin, self.vkey, "--dir", str(w.directory))
            else:
                open_state(w.directory).add_log(self.origin, self.vkey)

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.tree.append(f"decision {self.tree.size}".encode())

    def note(self, tree: MemoryTree | None = None) -> str:
        tree = tree or self.tree
        return sign_checkpoint(Checkpoint(self.origin, tree.size, tree.root()), self.signer)

    def proof(self, old: int) -> list[bytes]:
        return self.tree.consistency_proof(old) if old else []


def cosign_all(log: Log, witnesses: list[WitnessProcess], sizes: dict[str, int]) -> str:
    """The log's note with every reachable witness's cosignature; updates each witness's size."""
    note = log.note()
    lines = ""
    for w in witnesses:
        line, _ = request_cosignature(w.url, note, log.proof, old_size=sizes.get(w.url, 0),
                                      witness=w.verifier)
        sizes[w.url] = log.tree.size
        lines += line
    return note + lines


def test_three_witnesses_cosign_a_growing_log(witnesses: list[WitnessProcess]) -> None:
    log = Log(witnesses, with_cli=True)
    pinned = [w.verifier for w in witnesses]
    sizes: dict[str, int] = {}
    for grow in (3, 1, 12, 0, 47):
        log.grow(grow)
        cosigned = cosign_all(log, witnesses, sizes)
        found = require_cosignatures(cosigned, pinned, 3)
        assert sorted(c.name for c in found) == sorted(w.verifier.name for w in witnesses)
    for w in witnesses:
        state = open_state(w.directory).log(log.origin)
        assert state is not None and (state.size, state.root_hash) == (63, log.tree.root())


def test_a_fork_and_a_rewind_are_refused_by_every_witness(witnesses: list[WitnessProcess]) -> None:
    log = Log(witnesses)
    log.grow(10)
    cosign_all(log, witnesses, {})
    # the same size, another root: the city signs a second history of 10 entries
    forked = MemoryTree(f"decision {i}".encode() for i in range(9))
    forked.append(b"a decision rewritten")
    fork_note = log.note(forked)
    # a rewind: a checkpoint of an earlier size, signed anew
    rewind_note = sign_checkpoint(Checkpoint(log.origin, 6, log.tree.root(6)), log.signer)
    for w in witnesses:
        with pytest.raises(WitnessRefusedError) as fork:
            submit(w.url, 10, [], fork_note)
        assert fork.value.status == 422 and "fork" in fork.value.detail
        with pytest.raises(WitnessRefusedError) as rewind:
            submit(w.url, 10, [], rewind_note)
        assert rewind.value.status == 400
        with pytest.raises(SizeConflictError) as pretend:
            submit(w.url, 6, [], rewind_note)
        assert pretend.value.size == 10
        state = open_state(w.directory).log(log.origin)
        assert state is not None and (state.size, state.root_hash) == (10, log.tree.root())
        assert [reason for _, reason, _ in open_state(w.directory).evidence(log.origin)] == [
            "fork: a different root hash for size 10, which this witness cosigned"]


def test_a_restarted_witness_keeps_its_state(witnesses: list[WitnessProcess]) -> None:
    log = Log(witnesses)
    log.grow(5)
    w = witnesses[1]
    line, _ = request_cosignature(w.url, log.note(), log.proof, witness=w.verifier)
    assert w.stop()
    w.start()
    with pytest.raises(SizeConflictError) as conflict:
        submit(w.url, 0, [], log.note())
    assert conflict.value.size == 5
    state = open_state(w.directory).log(log.origin)
    assert state is not None and state.size == 5 and state.checkpoint == log.note() + line
    log.grow(3)
    line = submit(w.url, 5, log.proof(5), log.note(), witness=w.verifier)
    assert verify_cosignatures(log.note() + line, [w.verifier])


def test_fewer_than_k_cosign(witnesses: list[WitnessProcess]) -> None:
    log = Log(witnesses)
    pinned = [w.verifier for w in witnesses]
    log.grow(4)
    note = log.note()
    down = witnesses[2]
    assert down.stop()
    try:
        lines = "".join(submit(w.url, 0, [], note, witness=w.verifier) for w in witnesses[:2])
        with pytest.raises(WitnessUnavailableError):
            submit(down.url, 0, [], note)
    finally:
        down.start()
    cosigned = note + lines
    assert len(require_cosignatures(cosigned, pinned, 2)) == 2
    with pytest.raises(TooFewCosignaturesError) as caught:
        require_cosignatures(cosigned, pinned, 3)
    assert caught.value.need == 3 and len(caught.value.have) == 2
    # a witness that never heard of the log cannot make up the number either
    stranger = Log([witnesses[0]])
    with pytest.raises(WitnessRefusedError) as unknown:
        submit(down.url, 0, [], stranger.note())
    assert unknown.value.status == 404
