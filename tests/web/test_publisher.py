"""The web app publishes its log to the witnesses in the background, serves the newest
witnessed checkpoint and publishes its witnesses and quorum in the trust policy.

Witnesses run in-process (their app behind a test client); the background loop runs with a
fake sleep, so nothing here waits on a clock.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from sanctuarygate.audit.checkpoint import verify_checkpoint
from sanctuarygate.audit.cosignature import verify_cosignatures
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.trust import parse_policy
from sanctuarygate.audit.witnessing import WitnessEndpoint
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import ConfigurationError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import Settings, load_settings
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web.app import create_app
from sanctuarygate.web.publisher import Rounds, publish_round, run_rounds
from sanctuarygate.witness.app import create_app as witness_app
from sanctuarygate.witness.client import request_cosignature
from sanctuarygate.witness.home import init_witness, open_state
from sanctuarygate.witness.protocol import WitnessUnavailableError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

ORIGIN = "city.example/log"
REQUEST = parse_request({
    "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
    "action": "notify-release", "resource": {"type": "Person", "in_custody": True}})


class Witnesses:
    """Two in-process witnesses; one may be down. Counts the submissions."""

    def __init__(self, root: Path, log: DecisionLog) -> None:
        self.endpoints: list[WitnessEndpoint] = []
        self.clients: dict[str, TestClient] = {}
        self.down: set[str] = set()
        self.asked = 0
        for n in (1, 2):
            folder = root / f"w{n}"
            verifier = init_witness(folder, f"council.example/w{n}")
            open_state(folder).add_log(ORIGIN, log.verifiers()[-1].key)
            url = f"http://w{n}.test"
            self.endpoints.append(WitnessEndpoint(verifier, url))
            self.clients[url] = TestClient(witness_app(folder))

    def ask(self, url: str, note: str, prove: Callable[[int], Sequence[bytes]],
            **options: Any) -> tuple[str, int]:
        self.asked += 1
        if url in self.down:
            raise WitnessUnavailableError(f"witness {url}: connection refused")
        return request_cosignature(url, note, prove, client=self.clients[url], **options)


@pytest.fixture
def log(tmp_path: Path, decider: Decider) -> DecisionLog:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    return DecisionLog(engine, origin=ORIGIN, data_dir=tmp_path / "data")


def _fill(log: DecisionLog, decider: Decider, n: int) -> None:
    decision = decider.decide(REQUEST)
    for _ in range(n):
        log.record(REQUEST, decision, actor="staff:s-00000001")


def test_a_round_publishes_a_grown_log_and_retries_a_failed_witness(
        log: DecisionLog, decider: Decider, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    witnesses = Witnesses(tmp_path / "w", log)
    assert publish_round(log, witnesses.endpoints, witnesses.ask, 0) == 0  # empty: nothing to do
    assert witnesses.asked == 0
    _fill(log, decider, 3)
    witnesses.down.add("http://w2.test")
    with caplog.at_level(logging.WARNING, logger="sanctuarygate.witness"):
        done = publish_round(log, witnesses.endpoints, witnesses.ask, 0)
    assert done == 0  # w2 failed: the next round asks again
    assert "witness council.example/w2 did not cosign size 3" in caplog.text
    witnesses.down.clear()
    done = publish_round(log, witnesses.endpoints, witnesses.ask, done)
    assert done == 3
    asked = witnesses.asked
    assert publish_round(log, witnesses.endpoints, witnesses.ask, done) == 3
    assert witnesses.asked == asked  # nothing new: no witness asked
    _fill(log, decider, 2)
    assert publish_round(log, witnesses.endpoints, witnesses.ask, done) == 5


def test_a_round_never_raises(log: DecisionLog, decider: Decider, tmp_path: Path,
                              caplog: pytest.LogCaptureFixture) -> None:
    witnesses = Witnesses(tmp_path / "w", log)
    _fill(log, decider, 1)

    def broken(*_: Any, **__: Any) -> tuple[str, int]:
        raise RuntimeError("the network stack fell over")

    with caplog.at_level(logging.ERROR, logger="sanctuarygate.witness"):
        assert publish_round(log, witnesses.endpoints, broken, 0) == 0
    assert "publishing the log's checkpoint to its witnesses failed" in caplog.text


def test_the_background_loop_runs_rounds_off_the_event_loop(
        log: DecisionLog, decider: Decider, tmp_path: Path) -> None:
    witnesses = Witnesses(tmp_path / "w", log)
    _fill(log, decider, 4)
    rounds, waits = Rounds(), []

    class Stop(Exception):
        pass

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 2:
            raise Stop

    async def main() -> None:
        with pytest.raises(Stop):
            await run_rounds(log, witnesses.endpoints, 30.0, rounds, ask=witnesses.ask,
                             sleep=sleep)

    anyio.run(main)
    assert waits == [30.0, 30.0, 30.0] and rounds.count == 2 and rounds.done == 4


def _app(log: DecisionLog, decider: Decider, witnesses: Witnesses, quorum: int) -> Any:
    pairs = ", ".join(f"{w.verifier.key} {w.url}" for w in witnesses.endpoints)
    settings = load_settings().model_copy(update={
        "witnesses": pairs, "witness_quorum": quorum, "witness_publish_seconds": 3600.0,
        "log_origin": ORIGIN})
    return create_app(settings, decider=decider, log=log)


def test_the_app_serves_its_witnessed_checkpoint_and_policy(
        log: DecisionLog, decider: Decider, tmp_path: Path) -> None:
    witnesses = Witnesses(tmp_path / "w", log)
    app = _app(log, decider, witnesses, 2)
    with TestClient(app) as client:  # the lifespan runs: start-up, the background task
        assert isinstance(app.state.publish_rounds, Rounds)
        policy = parse_policy(client.get("/api/v1/log/policy").text)
        assert policy.quorum == 2
        assert set(policy.witnesses) == {w.verifier.key for w in witnesses.endpoints}
        _fill(log, decider, 3)
        none = client.get("/api/v1/log/checkpoint?witnessed=true")
        assert none.status_code == 404
        assert none.headers["content-type"].startswith("application/problem+json")
        assert publish_round(log, app.state.witnesses, witnesses.ask, 0) == 3  # what the task runs
        _fill(log, decider, 1)  # the current checkpoint moves on; the witnessed one stays at 3
        note = client.get("/api/v1/log/checkpoint?witnessed=true").text
        assert verify_checkpoint(note, log.verifiers()).size == 3
        assert len(verify_cosignatures(note, [w.verifier for w in witnesses.endpoints])) == 2
        plain = client.get("/api/v1/log/checkpoint").text
        assert verify_checkpoint(plain, log.verifiers()).size == 4


def test_no_witnesses_no_task(log: DecisionLog, decider: Decider) -> None:
    app = create_app(load_settings(), decider=decider, log=log)
    with TestClient(app) as client:
        assert not hasattr(app.state, "publish_rounds")
        policy = parse_policy(client.get("/api/v1/log/policy").text)
        assert (policy.witnesses, policy.quorum) == ((), 0)


def test_a_quorum_above_the_witnesses_stops_the_start(log: DecisionLog, decider: Decider) -> None:
    with pytest.raises(ConfigurationError, match="SANCTUARYGATE_WITNESS_QUORUM is 1 but only 0"):
        create_app(Settings(witness_quorum=1), decider=decider, log=log)
