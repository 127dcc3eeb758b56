"""``sanctuarygate replay`` end to end (in this process: ``cli_run.py``), on a log recorded in a
temp data dir."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from cli_run import run_cli
from sanctuarygate.audit.default import open_log
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import Settings

OCAD = "ocad-proposed-eo-2019"
RANGE = ("--profile", "chicago", "--from", "2025-01-01", "--to", "2025-12-31")


def sg(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(data_dir)}
    for name in ("SANCTUARYGATE_DATABASE_URL", "SANCTUARYGATE_LOG_ORIGIN"):
        env.pop(name, None)
    return run_cli(["replay", *args], env=env)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    log = open_log(Settings(data_dir=tmp_path))
    decider = default_decider()
    for agency in ("ICE-HSI", "FBI"):
        request = parse_request({
            "profile": "chicago", "date": "2025-03-10", "principal": {"agency": agency},
            "action": "query-dataset", "resource": {"type": "Dataset", "id": "cpd-arrests"},
            "context": {"purpose": "criminal-investigation", "document": {"kind": "none"}}})
        log.record(request, decider.decide(request), actor="staff:s-test")
    log.engine.dispose()
    return tmp_path


def test_json_report_moves_the_dhs_request_and_writes_nothing(data_dir: Path) -> None:
    done = sg(data_dir, *RANGE, "--add-pack", OCAD, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["replayed"] == 2 and report["changed"] == 1
    assert [(m["agency"], m["to"]) for m in report["by_agency_action"]] == [("ICE-HSI", "deny")]
    assert {"rule": f"{OCAD}/dhs-databases", "change": "added", "count": 1} in report["rules"]
    again = sg(data_dir, *RANGE, "--add-pack", OCAD, "--json")
    assert json.loads(again.stdout)["log"]["size"] == 2  # the first replay wrote no entry


def test_text_report_names_the_rule(data_dir: Path) -> None:
    done = sg(data_dir, *RANGE, "--add-pack", OCAD)
    assert done.returncode == 0, done.stderr
    assert "Replayed 2 logged decisions" in done.stdout
    assert f"+ {OCAD}/dhs-databases: 1" in done.stdout


@pytest.mark.parametrize("args", [
    ("--add-pack", "no-such-pack"),
    ("--as-of", "2025-02-30"),
    (),
])
def test_bad_input_is_one_line_and_exit_2(data_dir: Path, args: tuple[str, ...]) -> None:
    done = sg(data_dir, *RANGE, *args)
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1


def test_the_pdf_holds_the_json_reports_numbers(data_dir: Path) -> None:
    from pypdf import PdfReader

    out = data_dir / "replay.pdf"
    done = sg(data_dir, *RANGE, "--add-pack", OCAD, "--json", "--pdf", str(out))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(out).pages)
    figures = {name: int(n) for name, n in re.findall(
        r"(Decisions replayed|Answered differently|Answered the same) (\d+)", text)}
    assert figures == {"Decisions replayed": report["replayed"],
                       "Answered differently": report["changed"],
                       "Answered the same": sum(report["unchanged"].values())}
    assert (f"Of {report['replayed']} logged decisions replayed, {report['changed']} would "
            "have been answered differently") in text
    moved = report["moved"][0]
    assert moved["count"] == 1 and moved["to"] == "deny"
    assert f"checkpoint of {report['log']['size']} entries" in text
    assert report["log"]["root_hash"][:20] in text.replace(" ", "")
    # what was added, with its citation and confidence tag, and the rule responsible
    assert "ocad-proposed-eo-2019/dhs-databases" in text.replace(" ", "")
    assert re.search(r"Confidence: [CPU] ", text)


def test_a_pdf_path_that_cannot_be_written_is_bad_input(data_dir: Path) -> None:
    done = sg(data_dir, *RANGE, "--add-pack", OCAD, "--pdf", str(data_dir / "no" / "x.pdf"))
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("error: ") and "--pdf" in done.stderr
