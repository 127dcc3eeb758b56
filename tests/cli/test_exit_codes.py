"""Exit codes tell what happened (``cli/main.py``): 0 done; 1 a check failed; 2 bad input or
usage; 3 not allowed or refused; 4 engine; 5 configuration; 6 policy data; 70 a bug.

Each kind is run through the command line: ``run()`` in this process (``cli_run.py``) for the
real failures, ``python -m sanctuarygate`` for 0 and 1 (the real entry point's exit codes), and
``run()`` with one library call replaced for those no shipped input can cause (a refusal by a
command that decides, a bug)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sanctuarygate
from cli_run import run_cli
from sanctuarygate.cli import main
from sanctuarygate.domain.decision import Decision
from sanctuarygate.errors import NotAllowed, SanctuaryGateError
from sanctuarygate.settings import PACKAGE_PACKS, get_settings

REQUEST = """profile: chicago
date: 2025-11-03
principal: {agency: ICE-ERO}
action: notify-release
resource: {type: Person, in_custody: true}
context: {purpose: civil-immigration-enforcement, document: {kind: none}}
"""


def sg(*args: str, stdin: str | None = None, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    """``sanctuarygate ARGS`` in this process, ``env`` added to ours."""
    return run_cli(args, stdin=stdin, env={**os.environ, **(env or {})})


def sg_process(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m sanctuarygate ARGS``: the exit code the interpreter itself ends with."""
    return subprocess.run([sys.executable, "-m", "sanctuarygate", *args], input=stdin,
                          capture_output=True, text=True, timeout=300)


def one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1


def test_the_codes_are_distinct() -> None:
    codes = [main.OK, main.CHECK_FAILED, main.BAD_INPUT, main.REFUSED, main.ENGINE,
             main.CONFIGURATION, main.POLICY_DATA, main.INTERNAL]
    assert len(set(codes)) == len(codes)
    assert (main.OK, main.CHECK_FAILED, main.BAD_INPUT, main.REFUSED, main.INTERNAL) == (
        0, 1, 2, 3, 70)


def test_every_error_class_has_a_code_of_its_own_kind() -> None:
    """No error the project raises on purpose falls through to 70 (a bug)."""
    for info in pkgutil.walk_packages(sanctuarygate.__path__, "sanctuarygate."):
        if not info.name.startswith(("sanctuarygate.store.migrations", "sanctuarygate.__main__")):
            importlib.import_module(info.name)
    todo, unmapped = list(SanctuaryGateError.__subclasses__()), []
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("sanctuarygate.") and not any(
                issubclass(cls, mapped) for mapped, _ in main.EXIT_CODES):
            unmapped.append(cls.__name__)
    assert unmapped == []


def test_ok_is_0(tmp_path: Path) -> None:
    out = sg_process("decide", "-", stdin=REQUEST)
    assert out.returncode == 0 and out.stderr == "", out.stderr


def test_a_failing_scenario_is_1(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("cases:\n- id: wrong\n" + "".join(f"  {line}\n" for line in REQUEST.splitlines())
                 + "  expect: {outcome: allow}\n")
    out = sg_process("scenarios", "run", str(f))
    assert out.returncode == 1 and "FAIL" in out.stdout


def test_a_broken_invariant_is_1(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    shutil.copytree(PACKAGE_PACKS, packs)
    with (packs / "nyc-9-131" / "rules.cedar").open("a", encoding="utf-8") as f:
        f.write('\n@id("nyc-9-131/oops")\n@citation("none")\n@summary("A bad edit.")\n'
                'permit (principal, action == Action::"grant-database-access", resource);\n')
    out = sg("policy", "verify", "--profile", "new-york-city", "--date", "2025-11-22",
             "--jobs", "1", env={"SANCTUARYGATE_PACKS_DIR": str(packs)})
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL  new-york-city 2025-11-22" in out.stdout
    assert out.stderr == ""  # stderr is not a terminal: no progress bar


def test_a_tampered_log_is_1(tmp_path: Path) -> None:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path / "data")}
    today = REQUEST.replace("2025-11-03", get_settings().today().isoformat())  # only today's is recorded
    assert sg("staff", "add", "clerk", "--role", "desk", env=env).returncode == 0
    token = sg("staff", "token", "issue", "clerk", env=env).stdout.strip().splitlines()[-1]
    recorded = sg("decide", "-", "--record", stdin=today,
                  env=env | {"SANCTUARYGATE_STAFF_TOKEN": token})  # recording needs an account
    assert recorded.returncode == 0, recorded.stderr
    policy = sg("log", "policy", env=env)
    assert policy.returncode == 0, policy.stderr
    (tmp_path / "city.policy").write_text(policy.stdout)
    assert sg("log", "export", str(tmp_path / "b"), env=env).returncode == 0
    entries = tmp_path / "b" / "entries.jsonl"
    entries.write_text(entries.read_text().replace('"deny"', '"allo"', 1))
    out = sg("log", "verify", str(tmp_path / "b"), "--policy", str(tmp_path / "city.policy"),
             env=env)
    assert out.returncode == 1 and one_line(out.stderr), out.stderr


@pytest.mark.parametrize("args", [("decide", "-"), ("policy", "verify", "--date", "tomorrow"),
                                  ("decide",), ("policy", "verify", "--jobs", "-1")])
def test_bad_input_or_usage_is_2(args: tuple[str, ...]) -> None:
    out = sg(*args, stdin="profile: chicago\n")
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""


def test_a_broken_pack_is_6(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    shutil.copytree(PACKAGE_PACKS, packs)
    (packs / "il-kifta-287g" / "rules.cedar").write_text("forbid (principal, action, resource);")
    out = sg("decide", "-", stdin=REQUEST, env={"SANCTUARYGATE_PACKS_DIR": str(packs)})
    assert out.returncode == 6 and one_line(out.stderr) and "@id" in out.stderr


def _run(monkeypatch: pytest.MonkeyPatch, raises: BaseException, *args: str) -> int:
    """Run ``sanctuarygate policy profiles`` in this process, its library call raising."""
    def broken() -> None:
        raise raises

    monkeypatch.setattr("sanctuarygate.cli.policy.default_library", broken)
    monkeypatch.setattr(sys, "argv", ["sanctuarygate", *args, "policy", "profiles"])
    with pytest.raises(SystemExit) as ended:
        main.run()
    return int(ended.value.code or 0)


def test_not_allowed_is_3(monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(monkeypatch, NotAllowed(Decision("deny", explanation="The rules forbid it.")))
    err = capsys.readouterr().err
    assert code == 3 and err == "error: not allowed (deny): The rules forbid it.\n"


def test_a_bug_is_70_in_one_line_and_the_traceback_only_on_demand(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SANCTUARYGATE_DEBUG", raising=False)
    assert _run(monkeypatch, ZeroDivisionError("division by zero")) == 70
    err = capsys.readouterr().err
    assert one_line(err) and "ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err
    monkeypatch.setenv("SANCTUARYGATE_DEBUG", "1")
    assert _run(monkeypatch, ZeroDivisionError("division by zero")) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "def broken" not in err.splitlines()[-1]
    assert err.splitlines()[-1].startswith("error: internal error")
    monkeypatch.delenv("SANCTUARYGATE_DEBUG")
    assert _run(monkeypatch, ZeroDivisionError("x"), "--debug") == 70
    assert "Traceback" in capsys.readouterr().err


def test_the_table_is_documented_where_people_look() -> None:
    """The codes of EXIT_CODES, and 0 and 70, are in --help (so docs/cli.md), the module
    docstring and the README."""
    from typer.testing import CliRunner

    codes = {main.OK, main.INTERNAL, *(code for _, code in main.EXIT_CODES)}
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    shown = CliRunner().invoke(main.app, ["--help"], env=env).output
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert main.__doc__ is not None
    for code in sorted(codes):
        assert f"\n {code:<4} " in shown, code
        assert f"\n{code:<4}  " in main.__doc__, code
        assert f"\n| {code} | " in readme, code
