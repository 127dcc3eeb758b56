"""``sanctuarygate trace FILE``: name the recipient of a leaked extract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.gateway.trace import trace_file
from sanctuarygate.gateway.watermark import load_or_create_key
from sanctuarygate.policy.default import default_library
from sanctuarygate.settings import get_settings


def trace(file: Annotated[Path, typer.Argument(metavar="FILE", help="A JSON-lines or CSV extract.")]) -> None:
    """Read the per-row watermarks of an extract and name the agency that received it."""
    lib = default_library()
    key = load_or_create_key(get_settings().data_dir)
    report = trace_file(file, key, [a.id for a in lib.directory], lib.catalog)
    for (agency, dataset), n in report.recipients.most_common():
        typer.echo(f"{n} row(s) of {dataset} were released to {agency}")
    if report.untraceable:
        typer.echo(f"{report.untraceable} row(s) carry no watermark of ours (edited or not ours)")
    typer.echo(f"{report.rows} rows read")
    if not report.found:
        raise typer.Exit(1)
