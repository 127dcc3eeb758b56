"""``sanctuarygate agency key ...``: issue, list and revoke partner agencies' API keys."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from sanctuarygate.audit.default import open_log
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.gateway.keys import issue_key, revoke_key
from sanctuarygate.policy.default import load_library
from sanctuarygate.settings import load_settings
from sanctuarygate.store.credential import list_keys

app = typer.Typer(help="Partner agencies: their API keys for the data gateway.",
                  no_args_is_help=True)
key = typer.Typer(help="API keys: one agency each, stored hashed, revocable, every use logged.",
                  no_args_is_help=True)
app.add_typer(key, name="key")


def _log() -> DecisionLog:
    """The log the settings name, its schema at head (the settings read once, now)."""
    return open_log(load_settings())


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


@key.command("issue")
def issue(
    agency: Annotated[str, typer.Argument(metavar="AGENCY", help="Agency id from the directory, e.g. FBI.")],
    label: Annotated[str, typer.Option(
        metavar="LABEL", help="Who or what holds the key (for the list).")] = "",
) -> None:
    """Issue a new key; the key itself is printed once, alone on the last line."""
    settings = load_settings()
    directory = load_library(settings).directory
    with open_log(settings).engine.begin() as conn:
        issued = issue_key(conn, agency, label, directory=directory)
    name = directory.get(issued.info.agency_id).name
    typer.echo(f"issued key {issued.info.key_id} for {issued.info.agency_id} ({name}); "
               "it is shown only now and is not stored: hand it over securely")
    typer.echo(issued.key)


@key.command("list")
def list_cmd(
    agency: Annotated[str | None, typer.Option(metavar="AGENCY", help="Only this agency's keys.")] = None,
) -> None:
    """List keys (never the keys themselves): id, agency, label, created, last used, revoked."""
    with _log().engine.connect() as conn:
        keys = list_keys(conn, agency_id=agency)
    typer.echo(f"{'KEY ID':8}  {'AGENCY':18}  {'CREATED':16}  {'LAST USED':16}  "
               f"{'REVOKED':16}  LABEL")
    for k in keys:
        typer.echo(f"{k.key_id:8}  {k.agency_id:18}  {_when(k.created_at):16}  "
                   f"{_when(k.last_used_at):16}  {_when(k.revoked_at):16}  {k.label}".rstrip())
    if not keys:
        typer.echo("(no keys)")


@key.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(
        metavar="KEY_ID", help="The key id (8 hex digits) shown by 'list'.")],
) -> None:
    """Revoke a key at once: every later request with it gets 401."""
    with _log().engine.begin() as conn:
        info = revoke_key(conn, key_id)
    typer.echo(f"revoked key {info.key_id} of {info.agency_id} at {_when(info.revoked_at)} UTC")
