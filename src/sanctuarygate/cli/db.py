"""``sanctuarygate db ...``: the service's own database (decisions, the log, agency keys)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from sanctuarygate.errors import ConfigurationError, InputError
from sanctuarygate.settings import get_settings
from sanctuarygate.store.db import current, head, make_engine, migrate

app = typer.Typer(help="The service's own database: its schema revision, and upgrading it.",
                  no_args_is_help=True)

URL_HELP = "SQLAlchemy URL of the database (default: SANCTUARYGATE_DATABASE_URL)."


def _open(url: str | None) -> tuple[Engine, str]:
    target = url or get_settings().database_url_resolved
    try:
        shown = make_url(target).render_as_string(hide_password=True)
    except ArgumentError:
        raise InputError(f"not a database URL: {target!r}", field="--url") from None
    return make_engine(target), shown


def _unreachable(shown: str, exc: OperationalError) -> ConfigurationError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return ConfigurationError(f"cannot use the database at {shown} ({reason})")


@app.command("upgrade")
def upgrade(url: Annotated[str | None, typer.Option(metavar="URL", help=URL_HELP)] = None) -> None:
    """Bring the schema to the newest revision. Safe while workers start: one process migrates
    (under a PostgreSQL advisory lock, or a file lock beside a SQLite file), the others wait."""
    engine, shown = _open(url)
    try:
        done = migrate(engine)
    except OperationalError as exc:
        raise _unreachable(shown, exc) from None
    finally:
        engine.dispose()
    if done.changed:
        typer.echo(f"upgraded {shown} from {done.before or 'an empty schema'} to {done.after}")
    else:
        typer.echo(f"{shown} is already at {done.after}, the newest revision")


@app.command("status")
def status(url: Annotated[str | None, typer.Option(metavar="URL", help=URL_HELP)] = None) -> None:
    """Print the schema revision and the newest one; exit 1 when an upgrade is due."""
    engine, shown = _open(url)
    try:
        found = current(engine)
    except OperationalError as exc:
        raise _unreachable(shown, exc) from None
    finally:
        engine.dispose()
    newest = head()
    typer.echo(f"{shown}: at {found or 'no schema'}, newest {newest}")
    if found != newest:
        typer.echo("run `sanctuarygate db upgrade`", err=True)
        raise typer.Exit(1)
