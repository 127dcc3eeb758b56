"""The public export and its offline verification: tampering of every kind is detected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import update

from sanctuarygate.audit.bundle import BundleError, export_bundle, published_policy, verify_bundle
from sanctuarygate.audit.checkpoint import Checkpoint, sign_checkpoint
from sanctuarygate.audit.entry import canonical_json
from sanctuarygate.audit.keys import rotate
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.tree import append
from sanctuarygate.audit.trust import TrustPolicy, policy_from_keys
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.tables import log_entry

REQUEST = parse_request({
    "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
    "action": "notify-release", "resource": {"type": "Person", "in_custody": True},
    "context": {"purpose": "civil-immigration-enforcement", "document": {"kind": "none"}}})


@pytest.fixture
def log(tmp_path: Path) -> DecisionLog:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    return DecisionLog(engine, origin="test.example/log", data_dir=tmp_path / "data")


def pinned(log: DecisionLog) -> TrustPolicy:
    """What an auditor saved from the city before the bundle arrived."""
    return published_policy(log)


def _fill(log: DecisionLog, n: int) -> None:
    decision = default_decider().decide(REQUEST)
    for i in range(n):
        log.record(REQUEST, decision, actor=f"desk:{i}")


def test_first_append_creates_the_key_outside_the_database(log: DecisionLog) -> None:
    assert not log.key_created
    _fill(log, 1)
    assert log.key_created
    key_files = list((log.data_dir / "keys").glob("*.key"))
    assert key_files and oct(key_files[0].stat().st_mode)[-3:] == "600"


def test_export_verifies(log: DecisionLog, tmp_path: Path) -> None:
    _fill(log, 5)
    first = log.checkpoint()
    _fill(log, 6)
    cp = export_bundle(log, tmp_path / "bundle")
    report = verify_bundle(tmp_path / "bundle", trust=pinned(log), previous=first)
    assert report.size == cp.size == 11
    assert any("previous" in c for c in report.checked)
    lines = (tmp_path / "bundle" / "entries.jsonl").read_text().splitlines()
    assert len(lines) == 11 and '"outcome":"deny"' in lines[0]


def _bundle(log: DecisionLog, tmp_path: Path, n: int = 9) -> Path:
    _fill(log, n)
    folder = tmp_path / "bundle"
    export_bundle(log, folder)
    return folder


@pytest.mark.parametrize("position", [0, 4, 8])
def test_any_changed_byte_is_detected(log: DecisionLog, tmp_path: Path, position: int) -> None:
    folder = _bundle(log, tmp_path)
    path = folder / "entries.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[position] = lines[position].replace(b"deny", b"allo", 1)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(BundleError, match="root"):
        verify_bundle(folder, trust=pinned(log))


def test_dropped_entry_is_detected(log: DecisionLog, tmp_path: Path) -> None:
    folder = _bundle(log, tmp_path)
    path = folder / "entries.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3] + lines[4:]))
    with pytest.raises(BundleError, match="9 entries but the bundle has 8"):
        verify_bundle(folder, trust=pinned(log))


def test_reordered_entries_are_detected(log: DecisionLog, tmp_path: Path) -> None:
    folder = _bundle(log, tmp_path)
    path = folder / "entries.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_text("".join(lines))
    with pytest.raises(BundleError, match="reordered"):
        verify_bundle(folder, trust=pinned(log))


def test_forked_history_is_detected(log: DecisionLog, tmp_path: Path) -> None:
    _fill(log, 4)
    published = log.checkpoint()
    # The city rewrites entry 2 in the database and keeps appending: a fork of what it published.
    forged = canonical_json({"forged": True})
    with log.engine.begin() as conn:
        conn.execute(update(log_entry).where(log_entry.c.idx == 2).values(body=forged.decode()))
    other = DecisionLog(make_engine(f"sqlite:///{tmp_path / 'fork.sqlite'}"),
                        origin=log.origin, data_dir=log.data_dir)
    upgrade(other.engine)
    for e in log.entries(0, 4):
        with other.engine.begin() as conn:
            append(conn, e.body.encode())
    _fill(other, 3)
    export_bundle(other, tmp_path / "fork")
    verify_bundle(tmp_path / "fork", trust=pinned(log))  # self-consistent on its own
    with pytest.raises(BundleError, match="forked"):
        verify_bundle(tmp_path / "fork", trust=pinned(log), previous=published)


def test_bad_signature_and_unknown_key(log: DecisionLog, tmp_path: Path) -> None:
    folder = _bundle(log, tmp_path)
    note = (folder / "checkpoint").read_text()
    (folder / "checkpoint").write_text(note.replace("\n9\n", "\n8\n"))
    with pytest.raises(BundleError, match="checkpoint"):
        verify_bundle(folder, trust=pinned(log))
    shutil.copy(folder / "checkpoints" / "9", folder / "checkpoint")
    rotate(log.data_dir, log.origin)
    newest = log.verifiers()[-1]
    with pytest.raises(BundleError, match="checkpoint"):  # only the new key: old one unknown
        verify_bundle(folder, trust=policy_from_keys([newest]))
    assert verify_bundle(folder, trust=pinned(log)).size == 9


def test_history_resigned_with_a_fresh_key_of_the_same_name_fails(log: DecisionLog,
                                                                  tmp_path: Path) -> None:
    """The attack the outside audit found: rewrite, re-sign with a new key named like the city's,
    put that key in the bundle's own 'verifiers' and 'policy'. Only the pinned key counts."""
    _fill(log, 4)
    trusted = pinned(log)
    forger = DecisionLog(make_engine(f"sqlite:///{tmp_path / 'forged.sqlite'}"),
                         origin=log.origin, data_dir=tmp_path / "forger")
    upgrade(forger.engine)
    with forger.engine.begin() as conn:
        for _ in range(4):
            append(conn, canonical_json({"kind": "decision", "outcome": "allow"}))
    export_bundle(forger, tmp_path / "forged")
    assert verify_bundle(tmp_path / "forged", trust=pinned(forger)).size == 4  # self-consistent
    with pytest.raises(BundleError, match=r"checkpoint: .*known key"):
        verify_bundle(tmp_path / "forged", trust=trusted)


def test_origin_must_be_the_pinned_one(log: DecisionLog, tmp_path: Path) -> None:
    """A pinned key signing a checkpoint of another log's name does not vouch for this one."""
    folder = _bundle(log, tmp_path)
    cp = verify_bundle(folder, trust=pinned(log))
    other = Checkpoint("other.example/log", cp.size, cp.root_hash)
    (folder / "checkpoint").write_text(sign_checkpoint(other, log.signer))
    with pytest.raises(BundleError, match=r"origin 'other\.example/log' is not the pinned"):
        verify_bundle(folder, trust=pinned(log))


def test_stray_and_misnamed_checkpoint_files_are_named(log: DecisionLog, tmp_path: Path) -> None:
    folder = _bundle(log, tmp_path)
    (folder / "verifiers").unlink()  # a convenience copy: not needed to verify
    assert verify_bundle(folder, trust=pinned(log)).size == 9
    (folder / "checkpoints" / "notes.txt").write_text("hello")
    with pytest.raises(BundleError, match=r"checkpoints/notes\.txt: not a checkpoint"):
        verify_bundle(folder, trust=pinned(log))
    (folder / "checkpoints" / "notes.txt").unlink()
    shutil.copy(folder / "checkpoints" / "9", folder / "checkpoints" / "5")
    with pytest.raises(BundleError, match=r"checkpoints/5: the file is named 5 but .* 9"):
        verify_bundle(folder, trust=pinned(log))
    (folder / "checkpoints" / "5").write_text("garbage\n")
    with pytest.raises(BundleError, match="stored checkpoint checkpoints/5: "):
        verify_bundle(folder, trust=pinned(log))
