"""``sanctuarygate scenarios run FILE...``: check scenario files against the rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.policy.default import default_decider
from sanctuarygate.policy.scenario import run_file
from sanctuarygate.settings import get_settings

app = typer.Typer(help="Run scenario files (cases the rules must answer).", no_args_is_help=True)


def pack_scenario_files() -> list[Path]:
    """The scenario files shipped with the packs (one per pack folder)."""
    return sorted(get_settings().packs_dir.glob("*/scenarios.yaml"))


@app.command("run")
def run(
    files: Annotated[list[Path] | None, typer.Argument(
        metavar="FILE", help="Scenario files (YAML).")] = None,
    packs: Annotated[bool, typer.Option("--packs", help="Also run every pack's own scenarios.yaml.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print passing cases too.")] = False,
) -> None:
    """Print one line per failing case with the reason, then `N passed, M failed`.

    Exits 0 only when every case passes.
    """
    paths = list(files or []) + (pack_scenario_files() if packs else [])
    if not paths:
        raise typer.BadParameter("name at least one scenario file, or use --packs")
    decider = default_decider()
    passed = failed = 0
    for path in paths:
        for result in run_file(path, decider):
            if result.passed:
                passed += 1
                if verbose and result.decision is not None:
                    typer.echo(f"ok    {path.name}:{result.id} -> {result.decision.outcome}")
            else:
                failed += 1
                typer.echo(f"FAIL  {path}:{result.id}: {result.reason}")
    typer.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)
