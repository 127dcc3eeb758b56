"""``sanctuarygate trace FILE`` (in this process: ``cli_run.py``), end to end: two agencies query through
``sanctuarygate query`` (each fetch goes to the release ledger), their extracts lose the key and
``_wm`` columns and are mixed, and trace names both with their counts."""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
from pathlib import Path

from cli_run import run_cli
from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.store.db import make_engine, upgrade


def sg(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(data_dir)}
    for name in ("SANCTUARYGATE_DATABASE_URL", "SANCTUARYGATE_RECORDS_URL",
                 "SANCTUARYGATE_GATEWAY_PACKS"):
        env.pop(name, None)
    return run_cli(args, env=env)


def test_trace_names_both_recipients_of_a_stripped_mixed_extract(tmp_path: Path) -> None:
    records = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    generate(records, 50, seed=9)
    records.dispose()
    log = make_engine(f"sqlite:///{tmp_path / 'sanctuarygate.db'}")
    upgrade(log)
    with log.begin() as conn:
        for agency in ("FBI", "DEA"):
            (tmp_path / f"{agency}.key").write_text(issue_key(conn, agency, "trace").key)
    log.dispose()
    rows: list[dict[str, str]] = []
    for agency, extra in (("FBI", ["--limit", "9"]),
                          ("DEA", ["--limit", "4", "--sort", "arrest_id", "--descending"])):
        out = sg(tmp_path, "query", "--key-file", str(tmp_path / f"{agency}.key"),
                 "--dataset", "cpd-arrests", "--purpose", "criminal-investigation",
                 "--format", "csv", *extra)
        assert out.returncode == 0, out.stderr
        body = [line for line in out.stdout.splitlines() if not line.startswith("# ")]
        rows += [{k: v for k, v in r.items() if k not in ("arrest_id", "_wm")}
                 for r in csv.DictReader(body)]
    random.Random(1).shuffle(rows)
    leak = io.StringIO(newline="")
    writer = csv.DictWriter(leak, fieldnames=list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    (tmp_path / "leak.csv").write_text(leak.getvalue(), encoding="utf-8-sig")
    traced = sg(tmp_path, "trace", str(tmp_path / "leak.csv"))
    assert traced.returncode == 0, traced.stderr
    lines = traced.stdout.splitlines()
    assert lines[0].startswith("9 row(s) of cpd-arrests match rows released to FBI"), lines
    assert lines[1].startswith("4 row(s) of cpd-arrests match rows released to DEA"), lines
    assert lines[-1] == "13 rows read" and "no watermark" not in traced.stdout
    (tmp_path / "other.csv").write_text("name;charge\nNOBODY;NOTHING\n", encoding="utf-8")
    nothing = sg(tmp_path, "trace", str(tmp_path / "other.csv"))
    assert nothing.returncode == 1 and "1 row(s) carry no watermark" in nothing.stdout
