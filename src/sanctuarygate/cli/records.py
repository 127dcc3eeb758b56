"""``sanctuarygate records ...``: the city's police records database (synthetic for the demo)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sanctuarygate.demo.records import generate as generate_records
from sanctuarygate.errors import ConfigurationError, InputError
from sanctuarygate.gateway.records import view_counts
from sanctuarygate.policy.default import default_library
from sanctuarygate.settings import get_settings
from sanctuarygate.store.db import make_engine

app = typer.Typer(help="The city's police records database, which the gateway reads and never "
                       "copies: fill a synthetic one, count its rows.", no_args_is_help=True)

URL_HELP = "SQLAlchemy URL of the records database (default: SANCTUARYGATE_RECORDS_URL)."


def _open(url: str | None, *, must_exist: bool) -> tuple[Engine, str]:
    target = url or get_settings().records_url_resolved
    try:
        parsed = make_url(target)
    except ArgumentError:
        raise InputError(f"not a database URL: {target!r}", field="--url") from None
    shown = parsed.render_as_string(hide_password=True)
    if (must_exist and parsed.get_backend_name() == "sqlite" and parsed.database
            and not Path(parsed.database).exists()):
        raise ConfigurationError(f"no records database at {shown} "
                                 "(run `sanctuarygate records generate`)")
    return make_engine(target), shown


@app.command("generate")
def generate(
    rows: Annotated[int, typer.Option(min=1, metavar="N", help="Arrests to generate; the other tables scale "
                                                  "with it (10³ to 10⁶).")] = 10_000,
    seed: Annotated[int, typer.Option(metavar="N", help="Same seed and rows: the same records.")] = 0,
    url: Annotated[str | None, typer.Option(metavar="URL", help=URL_HELP)] = None,
) -> None:
    """Replace the records database's contents with synthetic police records."""
    engine, shown = _open(url, must_exist=False)
    started = time.perf_counter()
    columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    try:
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task("records", total=None)

            def report(table: str, done: int, total: int) -> None:
                bar.update(task, description=table, completed=done, total=total)

            counts = generate_records(engine, rows, seed=seed, progress=report)
            bar.update(task, description="all tables")
    finally:
        engine.dispose()
    typer.echo(f"generated {sum(counts.values()):,} rows ({rows:,} arrests, seed {seed}) "
               f"in {len(counts)} tables at {shown} in {time.perf_counter() - started:.1f} s")


@app.command("info")
def info(url: Annotated[str | None, typer.Option(metavar="URL", help=URL_HELP)] = None) -> None:
    """Rows in each catalog dataset's view of the records database."""
    engine, shown = _open(url, must_exist=True)
    catalog = default_library().catalog
    try:
        counts = view_counts(engine, catalog)
    finally:
        engine.dispose()
    typer.echo(f"records database {shown}")
    for ds in catalog:
        typer.echo(f"{ds.id:<26} {ds.table:<26} {counts[ds.id]:>12,}")
