"""Every command's --help reads well: no Python types, no RST/Markdown double backticks."""

from __future__ import annotations

import os

import pytest
import typer
from typer.testing import CliRunner

from sanctuarygate.cli.main import app
from sanctuarygate.cli.reference import _walk

PATHS = [path[1:] for path, _cmd in _walk(typer.main.get_command(app), ["sanctuarygate"])]
UNREADABLE = ("<bool>", "<str>", "<int>", "<list[", "<path>", "``")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "sanctuarygate")
def test_help_shows_no_python_types(path: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(app, [*path, "--help"], env=env, prog_name="sanctuarygate")
    assert result.exit_code == 0, result.output
    assert [bad for bad in UNREADABLE if bad in result.output] == [], result.output


def test_decide_help_keeps_the_example_one_key_per_line() -> None:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    out = CliRunner().invoke(app, ["decide", "--help"], env=env).output
    lines = [line.strip() for line in out.splitlines()]
    assert "profile: chicago" in lines and "date: 2025-11-03" in lines
    assert "action: notify-release" in lines
