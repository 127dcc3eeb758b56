"""The log asks its witnesses to cosign; a bundle's checkpoint carries them; verify counts them.

Witnesses run in-process here (their FastAPI app behind a test client); the same protocol with
real witness processes is tested in tests/witness/test_processes.py.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from sanctuarygate.audit.bundle import BundleError, export_bundle, verify_bundle
from sanctuarygate.audit.cosignature import WitnessVerifier, generate_witness_key, verify_cosignatures
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.witnessing import (
    WitnessEndpoint,
    city_policy,
    parse_witnesses,
    publish,
    witnessed_checkpoint,
)
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import ConfigurationError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.cosignature import cosignatures
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.witness.app import create_app
from sanctuarygate.witness.client import request_cosignature
from sanctuarygate.witness.home import init_witness, open_state
from sanctuarygate.witness.protocol import WitnessUnavailableError

with warnings.catch_warnings():  # starlette 1.x warns about plain httpx under its TestClient
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

#: The client passes a timeout, which Starlette's TestClient warns about (not about our code).
pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

ORIGIN = "city.example/log"
REQUEST = parse_request({
    "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
    "action": "notify-release", "resource": {"type": "Person", "in_custody": True},
    "context": {"purpose": "civil-immigration-enforcement", "document": {"kind": "none"}}})


class Witnesses:
    """Three witnesses, each with its own directory, key, state and app; one can be 'down'."""

    def __init__(self, root: Path, log: DecisionLog) -> None:
        self.endpoints: list[WitnessEndpoint] = []
        self.clients: dict[str, TestClient] = {}
        self.down: set[str] = set()
        for n in (1, 2, 3):
            folder = root / f"w{n}"
            verifier = init_witness(folder, f"council.example/w{n}")
            for key in log.verifiers():
                open_state(folder).add_log(ORIGIN, key.key)
            url = f"http://w{n}.test"
            self.endpoints.append(WitnessEndpoint(verifier, url))
            self.clients[url] = TestClient(create_app(folder))

    def ask(self, url: str, note: str, prove: Callable[[int], Sequence[bytes]],
            **options: Any) -> tuple[str, int]:
        if url in self.down:
            raise WitnessUnavailableError(f"witness {url}: connection refused")
        return request_cosignature(url, note, prove, client=self.clients[url], **options)


def _log(tmp_path: Path, name: str, data_dir: Path) -> DecisionLog:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    upgrade(engine)
    return DecisionLog(engine, origin=ORIGIN, data_dir=data_dir)


def _fill(log: DecisionLog, n: int) -> None:
    decision = default_decider().decide(REQUEST)
    for i in range(n):
        log.record(REQUEST, decision, actor=f"staff:s-0000000{i % 10}")


@pytest.fixture
def log(tmp_path: Path) -> DecisionLog:
    log = _log(tmp_path, "log.sqlite", tmp_path / "data")
    _fill(log, 3)
    return log


@pytest.fixture
def witnesses(tmp_path: Path, log: DecisionLog) -> Witnesses:
    return Witnesses(tmp_path / "witnesses", log)


def test_witnesses_cosign_a_growing_log_and_verify_counts_them(
        log: DecisionLog, witnesses: Witnesses, tmp_path: Path) -> None:
    first = publish(log, witnesses.endpoints, witnesses.ask)
    assert (first.size, sorted(first.cosigned), first.failed) == (
        3, ["council.example/w1", "council.example/w2", "council.example/w3"], [])
    _fill(log, 4)
    second = publish(log, witnesses.endpoints, witnesses.ask)  # proved consistent from 3
    assert second.size == 7 and len(second.cosigned) == 3
    note = witnessed_checkpoint(log)
    assert note is not None and note.startswith(f"{ORIGIN}\n7\n")
    assert len(verify_cosignatures(note, [w.verifier for w in witnesses.endpoints])) == 3
    policy = city_policy(log, witnesses.endpoints, 2)
    export_bundle(log, tmp_path / "bundle", note=note, policy=policy)
    report = verify_bundle(tmp_path / "bundle", trust=policy)
    assert report.size == 7 and any("cosigned by 3 of 3" in line for line in report.checked)


def test_too_few_cosignatures_fail_verify(log: DecisionLog, witnesses: Witnesses,
                                          tmp_path: Path) -> None:
    witnesses.down.add("http://w3.test")
    report = publish(log, witnesses.endpoints, witnesses.ask)
    assert len(report.cosigned) == 2
    assert report.failed == [("council.example/w3", "witness http://w3.test: connection refused")]
    note = witnessed_checkpoint(log)
    assert note is not None
    export_bundle(log, tmp_path / "bundle", note=note)
    assert verify_bundle(tmp_path / "bundle", trust=city_policy(log, witnesses.endpoints, 2)).size
    with pytest.raises(BundleError, match=r"cosigned by 2 of the 3 trusted witnesses.*3 required"):
        verify_bundle(tmp_path / "bundle", trust=city_policy(log, witnesses.endpoints, 3))


def test_a_forged_cosignature_fails_verify(log: DecisionLog, witnesses: Witnesses,
                                           tmp_path: Path) -> None:
    publish(log, witnesses.endpoints, witnesses.ask)
    note = witnessed_checkpoint(log)
    assert note is not None
    lines = note.split("\n")
    name, value = lines[-2].rsplit(" ", 1)  # a cosignature line: flip one bit of its signature
    raw = bytearray(base64.b64decode(value))
    raw[40] ^= 1
    lines[-2] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
    export_bundle(log, tmp_path / "bundle", note=note)
    (tmp_path / "bundle" / "checkpoint").write_text("\n".join(lines))
    with pytest.raises(BundleError, match="checkpoint: "):
        verify_bundle(tmp_path / "bundle", trust=city_policy(log, witnesses.endpoints, 1))


def test_a_forked_history_is_refused_by_every_witness(log: DecisionLog, witnesses: Witnesses,
                                                      tmp_path: Path) -> None:
    publish(log, witnesses.endpoints, witnesses.ask)
    # The city shows another history, signed with the same key: other entries, same origin.
    fork = _log(tmp_path, "fork.sqlite", log.data_dir)
    other = parse_request({
        "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "FBI"},
        "action": "notify-release", "resource": {"type": "Person", "in_custody": True}})
    decision = default_decider().decide(other)
    for _ in range(5):
        fork.record(other, decision, actor="staff:s-00000009")
    report = publish(fork, witnesses.endpoints, witnesses.ask)
    assert report.cosigned == [] and len(report.failed) == 3
    assert all("422" in why or "409" in why or "consisten" in why for _, why in report.failed)
    with fork.engine.connect() as conn:
        assert cosignatures(conn, 5) == []


def test_configuration_errors_are_named() -> None:
    with pytest.raises(ConfigurationError, match="entry 1: expected"):
        parse_witnesses("http://only-a-url")
    with pytest.raises(ConfigurationError, match="entry 2"):
        parse_witnesses(f"{generate_witness_key('w')[1]} http://x, nonsense http://y")


def test_a_quorum_above_the_witnesses_is_a_configuration_error(
        log: DecisionLog, witnesses: Witnesses) -> None:
    with pytest.raises(ConfigurationError, match="QUORUM is 4 but only 3"):
        city_policy(log, witnesses.endpoints, 4)
    assert city_policy(log, [], 0).witnesses == ()


def test_pinned_policy_text_names_the_witnesses(log: DecisionLog, witnesses: Witnesses) -> None:
    text = city_policy(log, witnesses.endpoints, 2).text()
    assert text.count("\nwitness council.example/w") == 3 and "quorum 2\n" in text
    assert all(isinstance(w.verifier, WitnessVerifier) for w in witnesses.endpoints)
