"""``sanctuarygate decide --record --asked-by ... --person-ref ...``: what a case keeps at
intake, from a script. Kept in the case (``case show``), never in the log entry; a status word
is refused in one line naming the option (exit 2) and records nothing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from cli_run import run_cli
from sanctuarygate.settings import Settings, get_settings
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.staff import add_staff, issue_token

SPLIT = """profile: chicago
date: {today}
principal: {{agency: FBI}}
action: transfer-custody
resource: {{type: Person, in_custody: true}}
context: {{purpose: criminal-investigation, document: {{kind: federal-criminal-warrant, verified: unknown}}}}
"""

OPTIONS = ["--asked-by", "SA R. Roe, badge 4411", "--contact", "+1 312 555 0142",
           "--person-ref", "CB-2025-004512", "--document-verified-by", "Sgt. Mendez",
           "--document-checked-at", "2025-11-03T09:05"]


def sg(*args: str, env: dict[str, str], stdin: str | None = None
       ) -> subprocess.CompletedProcess[str]:
    return run_cli(args, stdin=stdin, env={**os.environ, **env})


def _tokens(data: Path, *roles: str) -> list[str]:
    """A staff token for a new account of each role, made in ``data``'s database in this
    process (as ``staff add`` and ``staff token issue`` would, without starting them)."""
    engine = make_engine(Settings(data_dir=data).database_url_resolved)
    upgrade(engine)
    with engine.begin() as conn:
        tokens = []
        for role in roles:
            add_staff(conn, f"t-{role}", [role], password="correct horse battery staple")
            tokens.append(issue_token(conn, f"t-{role}", "test").token)
    engine.dispose()
    return tokens


def test_decide_record_keeps_the_intake_in_the_case_only(tmp_path: Path) -> None:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path / "data")}
    desk_token, auditor_token = _tokens(tmp_path / "data", "desk", "auditor")
    desk = env | {"SANCTUARYGATE_STAFF_TOKEN": desk_token}
    auditor = env | {"SANCTUARYGATE_STAFF_TOKEN": auditor_token}
    request = SPLIT.format(today=get_settings().today().isoformat())

    refused = sg("decide", "-", "--record", "--contact", "the visa unit", stdin=request,
                 env=desk)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: --contact: do not write a person's immigration status ('visa'); nothing was "
        "kept"]
    alone = sg("decide", "-", "--person-ref", "CB-1", stdin=request, env=desk)
    assert alone.returncode == 2 and "--record" in alone.stderr

    recorded = sg("decide", "-", "--record", "--json", *OPTIONS, stdin=request, env=desk)
    assert recorded.returncode == 0, recorded.stderr
    made = json.loads(recorded.stdout)
    assert made["log_index"] == 0  # the refused call recorded nothing
    for value in ("Roe", "4411", "555 0142", "CB-2025-004512", "Mendez"):
        assert value not in recorded.stdout, value
    exported = sg("log", "export", str(tmp_path / "bundle"), env=env)
    assert exported.returncode == 0, exported.stderr
    entries = (tmp_path / "bundle" / "entries.jsonl").read_text().splitlines()
    assert len(entries) == 1 and json.loads(entries[0])["outcome"] == "review"
    for value in ("Roe", "4411", "555 0142", "CB-2025-004512", "Mendez", "15:05"):
        assert value not in entries[0], value

    case = json.loads(sg("case", "show", str(made["case_id"]), "--json", env=auditor).stdout)
    assert (case["asked_by"], case["contact"], case["person_ref"]) == (
        "SA R. Roe, badge 4411", "+1 312 555 0142", "CB-2025-004512")
    assert case["document"]["verified_by"] == "Sgt. Mendez"
    assert case["document"]["checked_at"] == "2025-11-03T15:05:00Z"  # 09:05 in Chicago (CST)
    shown = sg("case", "show", str(made["case_id"]), env=auditor)
    assert "  person (city reference): CB-2025-004512" in shown.stdout
    assert "  document verified by: Sgt. Mendez" in shown.stdout
