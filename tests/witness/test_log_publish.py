"""End to end with a real witness process: record, publish, export, and verify k of n.

The city's log (the CLI, run in this process: ``cli_run.py``) submits its checkpoint to a
witness started with ``sanctuarygate witness serve`` on 127.0.0.1; the exported bundle's
checkpoint carries the cosignature and ``log verify --policy`` counts it against the quorum the
policy pins.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cli_run import run_cli
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.witness.home import open_state

from .test_processes import WitnessProcess

ORIGIN = "city.example/log"


def sg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env={**os.environ, **env})


def test_publish_export_verify_with_a_real_witness(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"SANCTUARYGATE_DATA_DIR": str(data), "SANCTUARYGATE_LOG_ORIGIN": ORIGIN}
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'sanctuarygate.db'}")
    upgrade(engine)
    log = DecisionLog(engine, origin=ORIGIN, data_dir=data)
    request = parse_request({
        "profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
        "action": "notify-release", "resource": {"type": "Person", "in_custody": True}})
    decision = default_decider().decide(request)
    for _ in range(3):
        log.record(request, decision, actor="staff:s-00000001")

    shown = sg(env, "log", "key", "show")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == log.verifiers()[-1].key

    witness = WitnessProcess(tmp_path / "witness", "council.example/w1", with_cli=False)
    open_state(witness.directory).add_log(ORIGIN, shown.stdout.strip())
    witness.start()
    try:
        env |= {"SANCTUARYGATE_WITNESSES": f"{witness.vkey} {witness.url}",
                "SANCTUARYGATE_WITNESS_QUORUM": "1"}
        assert sg(env, "log", "export", str(tmp_path / "early")).returncode == 2  # nothing cosigned
        published = sg(env, "log", "publish")
        assert published.returncode == 0, published.stderr
        assert "ok      council.example/w1 cosigned size 3" in published.stdout
    finally:
        assert witness.stop()

    policy = sg(env, "log", "policy")
    assert f"witness {witness.vkey}\n" in policy.stdout and "quorum 1\n" in policy.stdout
    (tmp_path / "city.policy").write_text(policy.stdout)
    assert sg(env, "log", "export", str(tmp_path / "b")).returncode == 0
    ok = sg(env, "log", "verify", str(tmp_path / "b"), "--policy", str(tmp_path / "city.policy"))
    assert ok.returncode == 0, ok.stderr
    assert "cosigned by 1 of 1 pinned witnesses (council.example/w1)" in ok.stdout

    # The same bundle without its cosignature (the checkpoint as the city alone signed it) fails.
    checkpoint = tmp_path / "b" / "checkpoint"
    lines = checkpoint.read_text().split("\n")
    checkpoint.write_text("\n".join(line for line in lines if "council.example/w1" not in line))
    bad = sg(env, "log", "verify", str(tmp_path / "b"), "--policy", str(tmp_path / "city.policy"))
    assert bad.returncode == 1 and "0 of the 1 trusted witnesses" in bad.stderr
