"""Generate the CLI reference (``docs/cli.md``) from the commands' own ``--help``.

Run ``python -m sanctuarygate.cli.reference > docs/cli.md`` (``make docs``); a test fails when the
file is out of date.
"""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.testing import CliRunner

from sanctuarygate.cli.main import app


def _walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, cmd)]
    if hasattr(cmd, "commands"):  # a group (typer vendors its own click classes)
        for name in sorted(cmd.commands):
            if not getattr(cmd.commands[name], "hidden", False):  # a renamed command's old name
                out += _walk(cmd.commands[name], [*path, name])
    return out


def reference() -> str:
    """The whole reference as Markdown."""
    root = typer.main.get_command(app)
    parts = ["# CLI reference", "",
             "Generated from `--help` by `make docs` (`python -m sanctuarygate.cli.reference`).",
             ""]
    runner = CliRunner()
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    for path, _cmd in _walk(root, ["sanctuarygate"]):
        result = runner.invoke(app, [*path[1:], "--help"], env=env, prog_name="sanctuarygate")
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
        parts += [f"## `{' '.join(path)}`", "", "```text", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
