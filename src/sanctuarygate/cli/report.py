"""``sanctuarygate report ...``: reports anyone can recompute from the public log export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.cli.log import _trust
from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_library
from sanctuarygate.report import Families, render_text, report_from_export, write_csv
from sanctuarygate.settings import get_settings

app = typer.Typer(help="Reports computed from the public decision log alone.",
                  no_args_is_help=True)


@app.command("transparency")
def transparency(
    from_export: Annotated[Path, typer.Option(
        "--from-export", metavar="DIR", help="A log export written by 'log export'.")],
    policy: Annotated[Path | None, typer.Option(
        metavar="FILE", help="The log's trust policy you saved earlier (GET /api/v1/log/policy); "
        "default: SANCTUARYGATE_LOG_POLICY.")] = None,
    key: Annotated[list[Path] | None, typer.Option(
        metavar="FILE", help="A file of the city's verifier keys you saved earlier "
        "(repeatable).")] = None,
    csv_dir: Annotated[Path | None, typer.Option(
        metavar="OUT", help="Also write one CSV file per table into this folder.")] = None,
    min_cell: Annotated[int | None, typer.Option(
        min=3, metavar="N", help="Show counts from 1 to N-1 as '<N' (default: "
        "SANCTUARYGATE_REPORT_MIN_CELL, 5).")] = None,
    no_verify: Annotated[bool, typer.Option(
        "--no-verify", help="Count an export without verifying it (the numbers then prove "
        "nothing about the city's log).")] = False,
) -> None:
    """The transparency tables, from a log export verified first against keys you pinned.

    Decisions, reviews, refusals by clause, gateway queries, rows released and key events, by
    month and agency family (docs/transparency.md). Small counts are shown as '<N' and enough
    others withheld that the totals cannot give them back. Exit 1 when the export does not
    verify (nothing is counted), 2 on bad input."""
    if no_verify and (policy or key):
        raise InputError("give --no-verify or a trust anchor (--policy, --key), not both")
    trust = None if no_verify else _trust(key or [], policy)
    if no_verify:
        typer.echo("WARNING: NOT VERIFIED: these numbers are counted from an export that was not "
                   "checked against the city's keys; they prove nothing about its log", err=True)
    report = report_from_export(from_export, trust=trust,
                                families=Families(default_library().directory),
                                min_cell=min_cell or get_settings().report_min_cell)
    typer.echo(render_text(report), nl=False)
    if csv_dir is not None:
        paths = write_csv(report, csv_dir)
        typer.echo(f"wrote {len(paths)} CSV files to {csv_dir}", err=True)
