"""The command line: thin shells, one-line errors, documented exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_run import run_cli
from sanctuarygate.settings import PACKAGE_PACKS, get_settings

REQUEST = """profile: chicago
date: 2025-11-03
principal: {agency: ICE-ERO}
action: notify-release
resource: {type: Person, in_custody: true}
context: {purpose: civil-immigration-enforcement, document: {kind: none}}
"""
#: The same question about today: the law in force, so it may be recorded.
def today() -> str:
    """Today's request, built when asked: a suite that runs past midnight asks about the new day."""
    return REQUEST.replace("2025-11-03", get_settings().today().isoformat())
SHARED = Path(__file__).resolve().parents[1] / "legal" / "scenarios.yaml"


def sg(*args: str, stdin: str | None = None, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    """``sanctuarygate ARGS`` in this process (``tests/cli_run.py``), ``env`` added to ours."""
    return run_cli(args, stdin=stdin, env={**os.environ, **(env or {})})


def sg_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m sanctuarygate ARGS``, a real process: the entry point itself, worker
    processes, and ``serve`` and ``demo`` (which would serve in this process if they started)."""
    return subprocess.run([sys.executable, "-m", "sanctuarygate", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def test_decide_prints_outcome_and_citations(tmp_path: Path) -> None:
    f = tmp_path / "req.yaml"
    f.write_text(REQUEST)
    out = sg("decide", str(f))
    assert out.returncode == 0, out.stderr
    assert "NO - DENY" in out.stdout and "2-173-020(a)(3)" in out.stdout


def test_decide_json_from_stdin() -> None:
    out = sg("decide", "-", "--json", stdin=REQUEST)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["outcome"] == "deny"
    assert body["request"]["principal"] == {"agency": "ICE-ERO"}
    assert all({"id", "citation", "summary"} <= set(r) for r in body["rules"])


@pytest.mark.parametrize(("stdin", "code", "needle"), [
    (REQUEST.replace("date: 2025-11-03\n", ""), 2, "date: is required"),
    (REQUEST.replace("ICE-ERO", "NOBODY"), 2, "unknown agency id 'NOBODY'"),
    ("{not yaml", 2, "not YAML"),
    (REQUEST.replace("2025-11-03", "2025-02-30"), 2, "day is out of range"),
])
def test_bad_input_is_one_line_and_exit_2(stdin: str, code: int, needle: str) -> None:
    out = sg("decide", "-", stdin=stdin)
    assert out.returncode == code
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and needle in out.stderr


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    out = sg("decide", str(tmp_path / "nope.yaml"))
    assert out.returncode == 2 and "cannot read" in out.stderr


def test_bad_setting_is_exit_5() -> None:
    out = sg("decide", "-", stdin=REQUEST, env={"SANCTUARYGATE_O2021_117_EFFECTIVE": "soon"})
    assert out.returncode == 5
    assert "SANCTUARYGATE_O2021_117_EFFECTIVE" in out.stderr


def test_broken_pack_is_exit_6(tmp_path: Path) -> None:
    import shutil

    from sanctuarygate.settings import PACKAGE_PACKS

    packs = tmp_path / "packs"
    shutil.copytree(PACKAGE_PACKS, packs)
    (packs / "il-kifta-287g" / "rules.cedar").write_text("forbid (principal, action, resource);")
    out = sg("decide", "-", stdin=REQUEST, env={"SANCTUARYGATE_PACKS_DIR": str(packs)})
    assert out.returncode == 6 and "@id" in out.stderr


def test_scenarios_run_shared_file() -> None:
    assert SHARED.is_file(), f"shared scenarios not found at {SHARED}"
    out = sg("scenarios", "run", str(SHARED))
    assert out.returncode == 0, out.stdout
    assert out.stdout.strip().splitlines()[-1] == "35 passed, 0 failed"


def test_scenarios_run_reports_failures(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("cases:\n- id: wrong\n" + "".join("  " + line + "\n" for line in REQUEST.splitlines())
                 + "  expect: {outcome: allow, cites: ['nowhere']}\n")
    out = sg("scenarios", "run", str(f))
    assert out.returncode == 1
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("FAIL") and "wrong" in lines[0] and "outcome deny" in lines[0]
    assert lines[-1] == "0 passed, 1 failed"


def test_policy_verify_one_profile() -> None:
    out = sg("policy", "verify", "--profile", "new-york-city", "--date", "2025-11-22")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ok    new-york-city 2025-11-22 no-dhs-standing-database-access" in out.stdout


def test_policy_verify_checks_every_day_by_default() -> None:
    """Without --date, a day stands for each interval between the dates of packs and
    invariants: here one before New York City's law (2014-11-14) and one after, each checked."""
    out = sg("policy", "verify", "--profile", "new-york-city")
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    days = [dt.date.fromisoformat(line.split()[2]) for line in lines if line.startswith("day ")]
    assert min(days) < dt.date(2014, 11, 14) <= max(days)
    assert any(line.endswith(" stands for ..2014-11-14") or "..2014-11-14," in line
               for line in lines if line.startswith("day "))
    for day in days:
        assert f"ok    new-york-city {day} no-dhs-standing-database-access" in out.stdout


def test_policy_verify_in_worker_processes_reports_a_broken_pack(tmp_path: Path) -> None:
    """Two profiles, two worker processes: the workers read the same settings (here a broken
    packs folder), the failure is printed with its counterexample, and the exit code is 1."""
    packs = tmp_path / "packs"
    shutil.copytree(PACKAGE_PACKS, packs)
    with (packs / "nyc-9-131" / "rules.cedar").open("a", encoding="utf-8") as f:
        f.write('\n@id("nyc-9-131/oops")\n@citation("none")\n@summary("A bad edit.")\n'
                'permit (principal, action == Action::"grant-database-access", resource);\n')
    out = sg_process("policy", "verify", "--profile", "california", "--profile", "new-york-city",
                     "--date", "2025-11-22", "--jobs", "2",
                     env={"SANCTUARYGATE_PACKS_DIR": str(packs)})
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("ok    california 2025-11-22 no-dhs-standing-database-access")
    assert any(line.startswith("FAIL  new-york-city 2025-11-22 no-dhs-standing-database-access")
               for line in lines)
    assert "nyc-9-131/oops" in out.stdout and "action: grant-database-access" in out.stdout


def test_policy_verify_checks_adopted_packs_too(tmp_path: Path) -> None:
    """A pack a city adopts for its gateway is not in the profile; --extra-pack decides every
    request with it, so a bad adopted pack is caught (and an unknown one is a one-line error)."""
    packs = tmp_path / "packs"
    shutil.copytree(PACKAGE_PACKS, packs)
    adopted = packs / "city-adopted"
    shutil.copytree(packs / "ocad-proposed-eo-2019", adopted)
    manifest = (adopted / "manifest.yaml").read_text(encoding="utf-8")
    (adopted / "manifest.yaml").write_text(
        manifest.replace("id: ocad-proposed-eo-2019", "id: city-adopted"), encoding="utf-8")
    (adopted / "rules.cedar").write_text(
        '@id("city-adopted/oops")\n@citation("none")\n@summary("A bad adopted rule.")\n'
        'permit (principal, action == Action::"grant-database-access", resource);\n',
        encoding="utf-8")
    (adopted / "scenarios.yaml").unlink(missing_ok=True)
    env = {"SANCTUARYGATE_PACKS_DIR": str(packs)}
    args = ("policy", "verify", "--profile", "new-york-city", "--date", "2025-11-22")
    plain = sg(*args, env=env)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    adopted_run = sg(*args, "--extra-pack", "city-adopted", env=env)
    assert adopted_run.returncode == 1, adopted_run.stdout + adopted_run.stderr
    assert ("FAIL  new-york-city+city-adopted 2025-11-22 no-dhs-standing-database-access"
            in adopted_run.stdout) and "city-adopted/oops" in adopted_run.stdout
    unknown = sg(*args, "--extra-pack", "nope", env=env)
    assert unknown.returncode == 2 and unknown.stderr.strip() == (
        "error: extra_packs: unknown pack 'nope'")


@pytest.mark.parametrize(("key", "value"), [("SANCTUARYGATE_GATEWAY_PACKS", "ocad"),
                                            ("SANCTUARYGATE_PROFILE", "gotham")])
def test_serve_refuses_to_start_with_a_bad_gateway_setting(key: str, value: str) -> None:
    out = sg_process("serve", "--port", "1", env={key: value})
    assert out.returncode != 0 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and key in out.stderr


def test_policy_verify_bad_date_is_exit_2() -> None:
    out = sg("policy", "verify", "--date", "tomorrow")
    assert out.returncode == 2 and "--date" in out.stderr


def test_help_lists_commands() -> None:
    """The real entry point, ``python -m sanctuarygate`` (every other test here runs it in this
    process)."""
    out = sg_process("--help")
    assert out.returncode == 0
    for word in ("decide", "scenarios", "policy", "serve", "demo"):
        assert word in out.stdout


def test_usage_error_is_exit_2() -> None:
    out = sg("decide")
    assert out.returncode == 2 and "Missing argument" in out.stderr
    out = sg("scenarios", "run")
    assert out.returncode == 2 and "--packs" in out.stderr


def _staff_token(env: dict[str, str], name: str, role: str) -> str:
    """A new account's staff token (the last line ``staff token issue`` prints)."""
    assert sg("staff", "add", name, "--role", role, env=env).returncode == 0
    issued = sg("staff", "token", "issue", name, env=env)
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip().splitlines()[-1]


def test_record_needs_a_staff_token_and_names_its_account(tmp_path: Path) -> None:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path / "data")}
    none = sg("decide", "-", "--record", stdin=today(), env=env)
    assert none.returncode == 3 and "needs a staff token" in none.stderr
    gone = sg("decide", "-", "--record", "--actor", "anyone", stdin=today(), env=env)
    assert gone.returncode == 2 and "--actor is gone" in gone.stderr
    auditor = _staff_token(env, "audit1", "auditor")
    refused = sg("decide", "-", "--record", stdin=today(),
                 env=env | {"SANCTUARYGATE_STAFF_TOKEN": auditor})
    assert refused.returncode == 3 and "may not record" in refused.stderr
    (tmp_path / "token").write_text(_staff_token(env, "desk1", "desk") + "\n")
    done = sg("decide", "-", "--record", "--json", "--token-file", str(tmp_path / "token"),
              stdin=today(), env=env)
    assert done.returncode == 0, done.stderr
    index = json.loads(done.stdout)["log_index"]
    assert sg("log", "export", str(tmp_path / "b"), env=env).returncode == 0
    line = (tmp_path / "b" / "entries.jsonl").read_text().splitlines()[index]
    assert re.search(r"staff:s-[0-9a-f]{8}", line) and "desk1" not in line


def test_record_export_verify_round_trip(tmp_path: Path) -> None:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path / "data")}
    env["SANCTUARYGATE_STAFF_TOKEN"] = _staff_token(env, "clerk", "desk")
    first = sg("decide", "-", "--record", "--json", stdin=today(), env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["log_index"] == 0
    assert "signing key" in first.stderr  # the first append creates the key and says so
    old = sg("log", "checkpoint", env=env)
    assert old.returncode == 0 and old.stdout.startswith("sanctuarygate.example/demo\n1\n")
    (tmp_path / "old.cp").write_text(old.stdout)
    assert sg("decide", "-", "--record", stdin=today(), env=env).returncode == 0
    policy = sg("log", "policy", env=env)  # what an auditor saves once and pins
    assert policy.returncode == 0 and "origin sanctuarygate.example/demo\n" in policy.stdout
    (tmp_path / "city.policy").write_text(policy.stdout)
    pin = ("--policy", str(tmp_path / "city.policy"))
    assert sg("log", "export", str(tmp_path / "b"), env=env).returncode == 0
    unpinned = sg("log", "verify", str(tmp_path / "b"), env=env)
    assert unpinned.returncode == 2 and "nothing to trust" in unpinned.stderr
    ok = sg("log", "verify", str(tmp_path / "b"), *pin, "--previous", str(tmp_path / "old.cp"),
            env=env)
    assert ok.returncode == 0, ok.stderr
    assert "consistent with the previous checkpoint (size 1)" in ok.stdout
    assert "demo log's origin" in ok.stdout
    by_env = sg("log", "verify", str(tmp_path / "b"),
                env=env | {"SANCTUARYGATE_LOG_POLICY": str(tmp_path / "city.policy")})
    assert by_env.returncode == 0, by_env.stderr
    entries = tmp_path / "b" / "entries.jsonl"
    entries.write_text(entries.read_text().replace('"deny"', '"allo"', 1))
    bad = sg("log", "verify", str(tmp_path / "b"), *pin, env=env)
    assert bad.returncode == 1 and "do not hash to the checkpoint" in bad.stderr
    assert sg("log", "verify", str(tmp_path / "nothing"), *pin, env=env).returncode == 2


WHAT_IF = REQUEST + "extra_packs: [ocad-proposed-eo-2019]\n"


def test_a_what_if_prints_the_banner_and_is_never_recorded() -> None:
    shown = sg("decide", "-", stdin=WHAT_IF)
    assert shown.returncode == 0 and "HYPOTHETICAL" in shown.stdout
    refused = sg("decide", "-", "--record", stdin=WHAT_IF)
    assert refused.returncode == 2 and "never recorded" in refused.stderr


def test_several_bad_fields_are_one_line_each_and_exit_2() -> None:
    out = sg("decide", "-", stdin="profile: chicago\ndate: soon\naction: deport\n")
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ["date", "principal", "action",
                                                             "resource"], lines
    assert all(line.startswith("error: ") for line in lines)


def test_another_date_is_a_what_if_never_recorded(tmp_path: Path) -> None:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path)}
    shown = sg("decide", "-", "--json", stdin=REQUEST, env=env)
    body = json.loads(shown.stdout)
    assert body["hypothetical"] is True and body["recorded"] is False and "log_index" not in body
    assert "the law on 2025-11-03, not today's" in body["banner"]
    assert "HYPOTHETICAL" in sg("decide", "-", stdin=REQUEST, env=env).stdout
    refused = sg("decide", "-", "--record", stdin=REQUEST, env=env)
    assert refused.returncode == 2 and "never recorded" in refused.stderr
    assert "2025-11-03" in refused.stderr
    now = json.loads(sg("decide", "-", "--json", stdin=today(), env=env).stdout)
    assert "hypothetical" not in now and "banner" not in now
    assert not (tmp_path / "sanctuarygate.db").exists()  # nothing was recorded anywhere


def test_demo_refuses_a_port_in_use_before_seeding(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = sg_process("demo", "--port", str(port),
                         env={"SANCTUARYGATE_DATA_DIR": str(tmp_path)})
    assert out.returncode != 0 and "already in use" in out.stderr
    assert not (tmp_path / "sanctuarygate.db").exists()  # nothing was seeded


def test_a_yaml_error_names_the_line() -> None:
    out = sg("decide", "-", stdin="profile: chicago\ndate: [\n")
    assert out.returncode == 2 and "line 3" in out.stderr
