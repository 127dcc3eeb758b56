"""Key rotation on the record: an auditor who pinned the first key follows the chain in the log,
and a retired key signs nothing after its retirement."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctuarygate.audit.bundle import BundleError, export_bundle, published_policy, verify_bundle
from sanctuarygate.audit.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.rotation import rotate_log_key
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.db import make_engine, upgrade

REQUEST = parse_request({
    "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
    "action": "notify-release", "resource": {"type": "Person", "in_custody": True}})


def _fill(log: DecisionLog, n: int) -> None:
    decision = default_decider().decide(REQUEST)
    for _ in range(n):
        log.record(REQUEST, decision, actor="staff:s-00000001")
    log.checkpoint()


@pytest.fixture
def log(tmp_path: Path) -> DecisionLog:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.sqlite'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="city.example/log", data_dir=tmp_path / "data")
    _fill(log, 3)
    return log


def test_an_auditor_who_pinned_the_first_key_follows_the_rotation(log: DecisionLog,
                                                                  tmp_path: Path) -> None:
    first_pin = published_policy(log)  # saved by the auditor before the rotation
    assert len(first_pin.log_keys) == 1
    done = rotate_log_key(log)
    assert (done.index, done.covered_at) == (3, 4)
    assert log.signer.verifier().key == done.new.key != done.old.key
    _fill(log, 2)
    export_bundle(log, tmp_path / "bundle")
    report = verify_bundle(tmp_path / "bundle", trust=first_pin)
    assert report.size == 6
    assert "1 key rotation followed from the pinned key through the log" in report.checked


def test_a_retired_key_signs_nothing_after_its_retirement(log: DecisionLog, tmp_path: Path) -> None:
    first_pin = published_policy(log)
    retired = log.signer  # the old private key, as a thief or a careless operator might keep it
    rotate_log_key(log)
    _fill(log, 2)
    folder = tmp_path / "bundle"
    cp = verify_checkpoint(log.checkpoint(), log.verifiers())
    export_bundle(log, folder)
    forged = Checkpoint(log.origin, cp.size, cp.root_hash)
    (folder / "checkpoint").write_text(sign_checkpoint(forged, retired))
    with pytest.raises(BundleError, match="checkpoint: "):
        verify_bundle(folder, trust=first_pin)
    # Pinning every key the city ever published does not revive the retired one either.
    every = published_policy(log)
    with pytest.raises(BundleError, match="checkpoint: "):
        verify_bundle(folder, trust=every)


def test_an_announcement_no_old_checkpoint_covers_proves_nothing(log: DecisionLog,
                                                                  tmp_path: Path) -> None:
    first_pin = published_policy(log)
    rotate_log_key(log)
    _fill(log, 2)
    folder = tmp_path / "bundle"
    export_bundle(log, folder)
    for stored in (folder / "checkpoints").iterdir():  # drop the old key's covering checkpoint
        if int(stored.name) >= 4 and stored.name != "6":
            stored.unlink()
    with pytest.raises(BundleError, match=r"checkpoint: .*known key"):
        verify_bundle(folder, trust=first_pin)


def test_another_process_rotating_is_noticed_before_the_next_signature(log: DecisionLog,
                                                                       tmp_path: Path) -> None:
    other = DecisionLog(log.engine, origin=log.origin, data_dir=log.data_dir)  # e.g. the CLI
    first = log.signer.verifier().key
    done = rotate_log_key(other)
    _fill(log, 1)  # this process signs the next checkpoint: with the new key
    assert log.signer.verifier().key == done.new.key != first
    export_bundle(log, tmp_path / "bundle")
    assert verify_bundle(tmp_path / "bundle", trust=TrustPolicy(
        log.origin, (done.old,))).size == 5
