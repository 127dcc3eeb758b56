"""``sanctuarygate query`` on a private data directory (run in this process: ``cli_run.py``):
the records unit's door to the gateway operation, with the API's formats, log entries and a code
per outcome."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from cli_run import run_cli
from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key, revoke_key
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.log import entries, tree_size
from sanctuarygate.store.staff import add_staff, issue_token

SENSITIVE = {"birthplace", "citizenship", "immigration_status_note", "subject_birthplace"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records (60 arrests), a log, and key files for the FBI, ICE and a revoked ATF key."""
    path = tmp_path_factory.mktemp("query-cli")
    records = make_engine(f"sqlite:///{path / 'records.db'}")
    generate(records, 60, seed=2)
    records.dispose()
    log = make_engine(f"sqlite:///{path / 'sanctuarygate.db'}")
    upgrade(log)
    with log.begin() as conn:
        for agency in ("FBI", "ICE-ERO", "ATF"):
            issued = issue_key(conn, agency, "cli test")
            (path / f"{agency}.key").write_text(issued.key + "\n", encoding="ascii")
        revoke_key(conn, issued.info.key_id)
    log.dispose()
    return path


def sg(data_dir: Path, *args: str, stdin: str | None = None,
       records: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(data_dir)}
    for name in ("SANCTUARYGATE_DATABASE_URL", "SANCTUARYGATE_RECORDS_URL",
                 "SANCTUARYGATE_GATEWAY_PACKS"):
        env.pop(name, None)
    if records is not None:
        env["SANCTUARYGATE_RECORDS_URL"] = records
    return run_cli(["query", *args], stdin=stdin, env=env)


def sg_case(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``sanctuarygate case ...`` on the same data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTUARYGATE_")}
    return run_cli(["case", *args], env={**env, "SANCTUARYGATE_DATA_DIR": str(data_dir)})


def logged(data_dir: Path, start: int = 0) -> list[dict[str, object]]:
    engine = make_engine(f"sqlite:///{data_dir / 'sanctuarygate.db'}")
    try:
        with engine.connect() as conn:
            return [json.loads(e.body) for e in entries(conn, start, tree_size(conn))]
    finally:
        engine.dispose()


def test_rows_to_stdout_as_csv_and_the_same_entries_as_the_api(data_dir: Path) -> None:
    before = len(logged(data_dir))
    out = sg(data_dir, "--key-file", str(data_dir / "FBI.key"), "--dataset", "cpd-arrests",
             "--purpose", "criminal-investigation", "--format", "csv", "--limit", "7",
             "--filter", "district ge 1")
    assert out.returncode == 0, out.stderr
    body, trailer = out.stdout.rstrip("\n").rsplit("\n", 1)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 7 and not (SENSITIVE & set(rows[0])) and len(rows[0]["_wm"]) == 32
    end = json.loads(trailer.removeprefix("# "))["_trailer"]
    assert end["rows"] == 7 and f"released under log entry {end['log_index']}" in out.stderr
    use, query, complete = logged(data_dir, before)
    assert use["kind"] == "key-use" and use["what"] == "cli: sanctuarygate query"
    assert query["kind"] == "query" and query["status"] == "released"
    assert query["filters"] == [{"field": "district", "op": "ge"}]
    assert complete == {"v": 1, "kind": "query-complete", "query": before + 1, "rows": 7}


def test_ndjson_is_the_default_format(data_dir: Path) -> None:
    out = sg(data_dir, "--key-file", str(data_dir / "FBI.key"), "--dataset", "cpd-arrests",
             "--purpose", "criminal-investigation", "--limit", "3")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 4 and lines[-1]["_trailer"]["rows"] == 3


def test_a_refusal_is_one_line_exit_3_and_logged(data_dir: Path) -> None:
    before = len(logged(data_dir))
    out = sg(data_dir, "--key-file", str(data_dir / "ICE-ERO.key"), "--dataset", "cpd-arrests")
    assert out.returncode == 3 and out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert line.startswith("refused: deny: ") and line.endswith(f"(log entry {before + 1})")
    assert [(e["kind"], e.get("status")) for e in logged(data_dir, before)] == [
        ("key-use", None), ("query", "refused")]


def test_a_revoked_key_is_refused_and_logged_as_a_failed_authentication(data_dir: Path) -> None:
    before = len(logged(data_dir))
    out = sg(data_dir, "--key-file", str(data_dir / "ATF.key"), "--dataset", "cpd-arrests")
    assert out.returncode == 3 and out.stderr.startswith("refused: revoked API key")
    (entry,) = logged(data_dir, before)
    key = (data_dir / "ATF.key").read_text(encoding="ascii").strip()
    assert (entry["kind"], entry["reason"], entry["what"]) == (
        "auth-failed", "revoked", "cli: sanctuarygate query")
    assert entry["key_id"] == key.split("_")[1] and key not in json.dumps(entry)
    assert out.stderr.rstrip().endswith(f"(log entry {before})")


@pytest.mark.parametrize(("args", "message", "rejected"), [
    (["--filter", "district eq seven"], "error: filters[0].value: a whole number", True),
    (["--filter", "district"], "error: --filter: FIELD OP [VALUE]", False),
    (["--format", "xlsx"], "error: --format: ndjson or csv", False),
    (["--fields", "charge,nope"], "error: fields: no such field(s) in cpd-arrests: nope", True),
])
def test_bad_input_is_exit_2_and_logged_as_rejected_once_the_key_is_read(
        data_dir: Path, args: list[str], message: str, rejected: bool) -> None:
    """The command's own options are checked before the key is read (nothing logged); a query
    the gateway rejects is on the record, as the API's are, without the offending value."""
    before = len(logged(data_dir))
    out = sg(data_dir, "--key-file", str(data_dir / "FBI.key"), "--dataset", "cpd-arrests", *args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith(message) and len(out.stderr.splitlines()) == 1
    after = logged(data_dir, before)
    if not rejected:
        assert after == []
        return
    assert [(e["kind"], e.get("status")) for e in after] == [("key-use", None),
                                                              ("query", "rejected")]
    assert after[1]["dataset"] == "cpd-arrests" and after[1]["agency"] == "FBI"
    assert "seven" not in json.dumps(after) and "nope" not in json.dumps(after)


def test_an_unreadable_key_file_is_exit_2(data_dir: Path) -> None:
    out = sg(data_dir, "--key-file", str(data_dir / "missing.key"), "--dataset", "cpd-arrests")
    assert out.returncode == 2
    assert out.stderr.startswith("error: --key-file: cannot read the key file")


def test_plan_reads_no_row_and_logs_only_the_key_use(data_dir: Path) -> None:
    before = len(logged(data_dir))
    out = sg(data_dir, "--key-file", str(data_dir / "FBI.key"), "--dataset", "cpd-arrests",
             "--purpose", "criminal-investigation", "--plan")
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["allowed"] and "citizenship" in shown["withheld"]
    assert [e["kind"] for e in logged(data_dir, before)] == ["key-use"]


def test_the_key_can_come_on_stdin(data_dir: Path) -> None:
    key = (data_dir / "FBI.key").read_text(encoding="ascii")
    out = sg(data_dir, "--key-file", "-", "--dataset", "cpd-arrests", "--purpose",
             "criminal-investigation", "--limit", "1", stdin=key)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 2 and key.strip() not in out.stdout + out.stderr


def test_a_stream_that_fails_is_exit_1_after_its_error_record(data_dir: Path,
                                                              tmp_path: Path) -> None:
    """The records database has no views: the error record ends stdout, the log says so."""
    empty = tmp_path / "empty.db"
    make_engine(f"sqlite:///{empty}").dispose()
    empty.touch()
    before = len(logged(data_dir))
    out = sg(data_dir, "--key-file", str(data_dir / "FBI.key"), "--dataset", "cpd-arrests",
             "--purpose", "criminal-investigation", records=f"sqlite:///{empty}")
    assert out.returncode == 1, out.stderr
    assert "_error" in json.loads(out.stdout.splitlines()[-1])
    assert "the stream stopped before the end" in out.stderr
    assert [e["kind"] for e in logged(data_dir, before)] == ["key-use", "query", "query-error"]


def test_a_review_is_a_case_and_the_re_run_with_case_id_gets_the_columns_released(
        data_dir: Path) -> None:
    """Sharing onward with TSA goes to a person: exit 3 naming the case; once a reviewer
    released two columns, ``--case-id`` receives exactly those."""
    ask = ("--key-file", str(data_dir / "FBI.key"), "--dataset", "cpd-arrests", "--purpose",
           "criminal-investigation", "--onward", "TSA", "--limit", "4")
    out = sg(data_dir, *ask)
    assert out.returncode == 3, out.stderr
    (line,) = out.stderr.splitlines()
    case_id = int(line.split("This query is case ", 1)[1].split(":", 1)[0])
    engine = make_engine(f"sqlite:///{data_dir / 'sanctuarygate.db'}")
    try:
        with engine.begin() as conn:  # the records unit decides the gateway's reviews
            add_staff(conn, "records-1", ["records"])
            (data_dir / "records.token").write_text(
                issue_token(conn, "records-1", "test").token + "\n", encoding="ascii")
    finally:
        engine.dispose()
    staff = ("--token-file", str(data_dir / "records.token"))
    shown = sg_case(data_dir, "show", str(case_id), *staff)
    assert shown.returncode == 0, shown.stderr
    assert "columns a review may release (--column): " in shown.stdout and "charge" in shown.stdout
    clause = shown.stdout.split("clauses that may be relied on:\n")[1].splitlines()[0].strip()
    decided = sg_case(data_dir, "decide", str(case_id), "--outcome", "allow", "--clause", clause,
                      "--reason", "Checked.", "--column", "charge", "--column", "arrest_date",
                      *staff)
    assert decided.returncode == 0, decided.stderr
    got = sg(data_dir, *ask, "--case-id", str(case_id))
    assert got.returncode == 0, got.stderr
    rows = [json.loads(x) for x in got.stdout.splitlines()][:-1]
    assert len(rows) == 4 and all(set(r) == {"charge", "arrest_date", "_wm"} for r in rows)
    other = sg(data_dir, *ask[:-1], "5", "--case-id", str(case_id))
    assert other.returncode == 3 and "not the one reviewed" in other.stderr
