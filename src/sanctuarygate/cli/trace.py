"""``sanctuarygate trace FILE``: name who received a leaked extract.

By the rows' watermarks first; rows without one that verifies (the ``_wm`` column dropped,
edited, copied from another extract) are matched by their values against the city's private
release ledger (``gateway/ledger.py``), and the records database when the key column is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.gateway.default import default_records
from sanctuarygate.gateway.ledger import LedgerMatcher
from sanctuarygate.gateway.trace import trace_file
from sanctuarygate.gateway.watermark import load_or_create_key
from sanctuarygate.policy.default import default_library
from sanctuarygate.settings import get_settings


def trace(file: Annotated[Path, typer.Argument(metavar="FILE", help="A JSON-lines or CSV extract.")]) -> None:
    """Name the agencies that received a leaked extract, ranked by rows.

    By the rows' watermarks, else by the city's release ledger (matching the rows' values,
    through the records database when the key column is gone). Exit 1 when no row is traced.
    """
    lib = default_library()
    key = load_or_create_key(get_settings().data_dir)
    matcher = LedgerMatcher(default_log().engine, default_records(), key)
    report = trace_file(file, key, [a.id for a in lib.directory], lib.catalog, matcher)
    for (agency, dataset), n in report.recipients.most_common():
        typer.echo(f"{n} row(s) of {dataset} were released to {agency}")
    for (agency, dataset), n in report.matched.most_common():
        queries = ", ".join(map(str, sorted(report.queries[agency, dataset])))
        typer.echo(f"{n} row(s) of {dataset} match rows released to {agency} "
                   f"(release ledger; query log entries {queries})")
    if report.untraceable:
        typer.echo(f"{report.untraceable} row(s) carry no watermark of ours and match no "
                   "release (edited or not ours)")
    typer.echo(f"{report.rows} rows read")
    if not report.found:
        raise typer.Exit(1)
