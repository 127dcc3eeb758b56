"""``sanctuarygate witness ...`` run in-process through the real entry point (exit codes, one line).

Starting the CLI costs seconds on a busy machine; the real processes are in test_processes.py.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from sanctuarygate.audit.checkpoint import Checkpoint, sign_checkpoint
from sanctuarygate.audit.keys import Signer, generate_key
from sanctuarygate.audit.merkle import MemoryTree
from sanctuarygate.cli.main import run
from sanctuarygate.witness.cosigner import Witness
from sanctuarygate.witness.protocol import InconsistentCheckpointError, format_request


def sanctuarygate(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                  *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["sanctuarygate", "witness", *args])
    with pytest.raises(SystemExit) as exited:
        run()
    out = capsys.readouterr()
    code = exited.value.code
    return code if isinstance(code, int) else 1, out.out, out.err


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "witness"


def test_init_add_log_show(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                           home: Path) -> None:
    code, out, err = sanctuarygate(monkeypatch, capsys, "init", "witness.example.org/w1", "--dir", str(home))
    assert code == 0 and out.startswith("witness.example.org/w1+") and out.count("\n") == 1
    assert "keep" in err and str(home / "witness.key") in err
    assert (home / "witness.vkey").read_text() == out
    assert os.stat(home / "witness.key").st_mode & 0o777 == 0o600
    assert os.stat(home).st_mode & 0o777 == 0o700

    skey, vkey = generate_key("log.example/decisions")
    code, out, _ = sanctuarygate(monkeypatch, capsys, "add-log", "log.example/decisions", vkey,
                                 "--dir", str(home))
    assert (code, out) == (0, "witnessing log.example/decisions signed by log.example/decisions\n")
    code, out, _ = sanctuarygate(monkeypatch, capsys, "add-log", "log.example/decisions", vkey,
                                 "--dir", str(home))
    assert code == 0 and out.startswith("already witnessing")

    # one cosigned checkpoint, then a fork kept as evidence
    signer = Signer.from_key(skey)
    tree = MemoryTree([b"a", b"b"])
    witness = Witness.open(home)
    note = sign_checkpoint(Checkpoint("log.example/decisions", 2, tree.root()), signer)
    witness.add_checkpoint(format_request(0, [], note).encode())
    fork = sign_checkpoint(Checkpoint("log.example/decisions", 2, MemoryTree([b"a", b"c"]).root()), signer)
    with pytest.raises(InconsistentCheckpointError):
        witness.add_checkpoint(format_request(2, [], fork).encode())

    code, out, _ = sanctuarygate(monkeypatch, capsys, "show", "--dir", str(home))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("witness  witness.example.org/w1+")
    assert lines[1:4] == ["log      log.example/decisions", "  size   2",
                          f"  root   {note.splitlines()[2]}"]
    assert f"  key    {vkey}" in lines
    assert any(line.startswith("  REFUSED 1 signed checkpoint(s)") and "fork" in line for line in lines)


def test_show_before_any_log(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                             home: Path) -> None:
    sanctuarygate(monkeypatch, capsys, "init", "w.example", "--dir", str(home))
    code, out, _ = sanctuarygate(monkeypatch, capsys, "show", "--dir", str(home))
    assert code == 0 and "no logs yet" in out


@pytest.mark.parametrize("args, code, message", [
    (["init", "bad name"], 2, "error: invalid witness name 'bad name'"),
    (["add-log", "log.example", "x"], 5, "run 'sanctuarygate witness init NAME' first"),
    (["show"], 5, "no witness key in"),
    (["serve", "--port", "7380"], 5, "no witness key in"),
])
def test_errors_before_init(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                            home: Path, args: list[str], code: int, message: str) -> None:
    got, out, err = sanctuarygate(monkeypatch, capsys, *args, "--dir", str(home))
    assert got == code and out == "" and err.count("\n") == 1 and message in err


def test_errors_after_init(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                           home: Path) -> None:
    sanctuarygate(monkeypatch, capsys, "init", "w.example", "--dir", str(home))
    code, _, err = sanctuarygate(monkeypatch, capsys, "init", "w.example", "--dir", str(home))
    assert code == 2 and err.count("\n") == 1 and "already holds a witness key" in err
    code, _, err = sanctuarygate(monkeypatch, capsys, "add-log", "log.example", "not-a-key",
                                 "--dir", str(home))
    assert code == 2 and err.startswith("error: not a log verifier key")
    code, _, err = sanctuarygate(monkeypatch, capsys, "add-log", "new\nline", generate_key("x")[1],
                                 "--dir", str(home))
    assert code == 2 and err.startswith("error: not a log origin")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        code, _, err = sanctuarygate(monkeypatch, capsys, "serve", "--port", port, "--dir", str(home))
    assert code == 5 and "cannot listen" in err
    code, _, err = sanctuarygate(monkeypatch, capsys, "serve", "--port", "70000", "--dir", str(home))
    assert code == 2 and "--port" in err
    os.chmod(home / "witness.key", 0o644)
    code, _, err = sanctuarygate(monkeypatch, capsys, "show", "--dir", str(home))
    assert code == 5 and "mode 0600" in err
