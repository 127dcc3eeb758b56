"""``sanctuarygate case list|show|decide``: the review queue from scripts, with staff tokens;
``decide --record`` of a review opens the case."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from cli_run import run_cli
from sanctuarygate.settings import get_settings

SPLIT = """profile: chicago
date: {today}
principal: {{agency: FBI}}
action: transfer-custody
resource: {{type: Person, in_custody: true}}
context: {{purpose: criminal-investigation, document: {{kind: federal-criminal-warrant, verified: unknown}}}}
"""


def sg(*args: str, env: dict[str, str], stdin: str | None = None
       ) -> subprocess.CompletedProcess[str]:
    return run_cli(args, stdin=stdin, env={**os.environ, **env})


def _token(name: str, role: str, env: dict[str, str]) -> str:
    assert sg("staff", "add", name, "--role", role, env=env).returncode == 0
    return sg("staff", "token", "issue", name, env=env).stdout.strip().splitlines()[-1]


def test_a_review_recorded_by_the_cli_is_decided_by_a_reviewer(tmp_path: Path) -> None:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path / "data")}
    desk = _token("clerk", "desk", env)
    auditor = _token("oversight", "auditor", env)
    reviewer = _token("supervisor", "reviewer", env)
    (tmp_path / "reviewer.token").write_text(reviewer + "\n")
    recorded = sg("decide", "-", "--record", "--json",
                  stdin=SPLIT.format(today=get_settings().today().isoformat()),
                  env=env | {"SANCTUARYGATE_STAFF_TOKEN": desk})
    assert recorded.returncode == 0, recorded.stderr
    made = json.loads(recorded.stdout)
    assert made["outcome"] == "review"
    case_id = str(made["case_id"])

    assert sg("case", "list", env=env).returncode == 3  # no token
    assert sg("case", "list", env=env | {"SANCTUARYGATE_STAFF_TOKEN": desk}).returncode == 3
    listed = sg("case", "list", "--state", "open", env=env | {"SANCTUARYGATE_STAFF_TOKEN": auditor})
    assert listed.returncode == 0 and listed.stdout.startswith(f"{case_id}\topen\t")
    shown = sg("case", "show", case_id, env=env | {"SANCTUARYGATE_STAFF_TOKEN": auditor})
    assert shown.returncode == 0, shown.stderr
    assert "if document.verified is True: allow" in shown.stdout
    clause = shown.stdout.split("clauses that may be relied on:\n")[1].splitlines()[0].strip()

    decide = ["case", "decide", case_id, "--outcome", "allow-with-conditions", "--condition",
              "purpose-limit", "--clause", clause, "--reason", "Warrant checked with the court."]
    refused = sg(*decide, env=env | {"SANCTUARYGATE_STAFF_TOKEN": auditor})
    assert refused.returncode == 3 and len(refused.stderr.strip().splitlines()) == 1
    bad = sg("case", "decide", case_id, "--outcome", "maybe", "--clause", clause, "--reason",
             "x", "--token-file", str(tmp_path / "reviewer.token"), env=env)
    assert bad.returncode == 2, bad.stderr
    done = sg(*decide, "--token-file", str(tmp_path / "reviewer.token"), env=env)
    assert done.returncode == 0, done.stderr
    assert f"case {case_id} decided: allow-with-conditions on {clause}" in done.stdout
    again = sg(*decide, "--token-file", str(tmp_path / "reviewer.token"), env=env)
    assert again.returncode == 3 and "decided already" in again.stderr
    case = json.loads(sg("case", "show", case_id, "--json",
                         env=env | {"SANCTUARYGATE_STAFF_TOKEN": auditor}).stdout)
    assert case["state"] == "decided" and case["review"]["conditions"] == ["purpose-limit"]
    assert case["review"]["reviewed_by"].startswith("staff:s-")
