"""The public export and its offline verification: tampering of every kind is detected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import update

from sanctuarygate.audit.bundle import BundleError, export_bundle, verify_bundle
from sanctuarygate.audit.entry import canonical_json
from sanctuarygate.audit.keys import rotate
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.log import append
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
    report = verify_bundle(tmp_path / "bundle", previous=first)
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
        verify_bundle(folder)


def test_dropped_entry_is_detected(log: DecisionLog, tmp_path: Path) -> None:
    folder = _bundle(log, tmp_path)
    path = folder / "entries.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3] + lines[4:]))
    with pytest.raises(BundleError, match="9 entries but the bundle has 8"):
        verify_bundle(folder)


def test_reordered_entries_are_detected(log: DecisionLog, tmp_path: Path) -> None:
    folder = _bundle(log, tmp_path)
    path = folder / "entries.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_text("".join(lines))
    with pytest.raises(BundleError, match="reordered"):
        verify_bundle(folder)


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
    verify_bundle(tmp_path / "fork")  # self-consistent on its own
    with pytest.raises(BundleError, match="forked"):
        verify_bundle(tmp_path / "fork", previous=published)


def test_bad_signature_and_unknown_key(log: DecisionLog, tmp_path: Path) -> None:
    folder = _bundle(log, tmp_path)
    note = (folder / "checkpoint").read_text()
    (folder / "checkpoint").write_text(note.replace("\n9\n", "\n8\n"))
    with pytest.raises(BundleError, match="checkpoint"):
        verify_bundle(folder)
    shutil.copy(folder / "checkpoints" / "9", folder / "checkpoint")
    rotate(log.data_dir, log.origin)
    newest = log.verifiers()[-1]
    with pytest.raises(BundleError, match="checkpoint"):
        verify_bundle(folder, verifiers=[newest])  # only the new key: old checkpoint unknown
    assert verify_bundle(folder, verifiers=log.verifiers()).size == 9
