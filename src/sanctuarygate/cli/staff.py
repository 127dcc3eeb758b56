"""``sanctuarygate staff ...``: the city's staff accounts, their roles and API tokens."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.domain.staff import ROLE_HELP
from sanctuarygate.store.staff import (
    add_staff,
    disable_staff,
    issue_token,
    list_staff,
    list_tokens,
    revoke_token,
    set_password,
)

ROLES = ", ".join(f"{role.value} ({text})" for role, text in ROLE_HELP.items())

app = typer.Typer(help="Staff accounts: sign-in for the desk and the review desk, roles, tokens.",
                  no_args_is_help=True)
token = typer.Typer(help="Staff API tokens for scripts: shown once, stored hashed, revocable.",
                    no_args_is_help=True)
app.add_typer(token, name="token")


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


def _read_password() -> str:
    """One line from stdin (a pipe or a prompt); never an argument, which shells keep."""
    if sys.stdin.isatty():
        return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Sign-in name, e.g. jdoe.")],
    role: Annotated[list[str], typer.Option(
        metavar="ROLE", help=f"A role (repeatable): {ROLES}.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from stdin instead of making one.")] = False,
    oidc_only: Annotated[bool, typer.Option(
        "--oidc-only", help="No password: the account signs in only through the city's "
                            "identity provider (SANCTUARYGATE_OIDC_ISSUER).")] = False,
) -> None:
    """Create an account; a password made for it is printed once, alone on the last line."""
    password = _read_password() if password_stdin else None
    with default_log().engine.begin() as conn:
        member, made = add_staff(conn, name, role, password=password, no_password=oidc_only)
    roles = ", ".join(sorted(r.value for r in member.roles))
    typer.echo(f"added {member.name} ({member.id}) with roles {roles}")
    if oidc_only:
        typer.echo("no password opens it: it signs in through the city's identity provider")
    if made is not None:
        typer.echo("the password is shown only now and is not stored: hand it over securely")
        typer.echo(made)


@app.command("password")
def password(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Sign-in name or public id.")],
) -> None:
    """Set a new password from stdin (or a hidden prompt) and clear a lock-out."""
    with default_log().engine.begin() as conn:
        member = set_password(conn, name, _read_password())
    typer.echo(f"password set for {member.name} ({member.id})")


@app.command("list")
def list_cmd() -> None:
    """List accounts: public id, name, roles, created, disabled, locked until."""
    with default_log().engine.connect() as conn:
        members = list_staff(conn)
    typer.echo(f"{'ID':10}  {'NAME':20}  {'ROLES':28}  {'CREATED':16}  {'DISABLED':16}  LOCKED")
    for m in members:
        roles = ",".join(sorted(r.value for r in m.roles))
        typer.echo(f"{m.id:10}  {m.name:20}  {roles:28}  {_when(m.created_at):16}  "
                   f"{_when(m.disabled_at):16}  {_when(m.locked_until)}".rstrip())
    if not members:
        typer.echo("(no accounts)")


@app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Sign-in name or public id.")],
) -> None:
    """Disable an account: it can no longer sign in, and its tokens stop working."""
    with default_log().engine.begin() as conn:
        member = disable_staff(conn, name)
    typer.echo(f"disabled {member.name} ({member.id}) since {_when(member.disabled_at)} UTC")


@token.command("issue")
def token_issue(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Sign-in name or public id.")],
    label: Annotated[str, typer.Option(metavar="LABEL", help="What the token is for.")] = "",
) -> None:
    """Issue a token; it is printed once, alone on the last line (send it as a Bearer token)."""
    with default_log().engine.begin() as conn:
        issued = issue_token(conn, name, label)
    typer.echo(f"issued token {issued.token_id} for {issued.staff_id}; it is shown only now and "
               "is not stored")
    typer.echo(issued.token)


@token.command("list")
def token_list(
    name: Annotated[str | None, typer.Option(metavar="NAME", help="Only this account's.")] = None,
) -> None:
    """List tokens (never the tokens themselves)."""
    with default_log().engine.connect() as conn:
        tokens = list_tokens(conn, name)
    typer.echo(f"{'TOKEN ID':8}  {'STAFF':10}  {'CREATED':16}  {'LAST USED':16}  "
               f"{'REVOKED':16}  LABEL")
    for t in tokens:
        typer.echo(f"{t.token_id:8}  {t.staff_id:10}  {_when(t.created_at):16}  "
                   f"{_when(t.last_used_at):16}  {_when(t.revoked_at):16}  {t.label}".rstrip())
    if not tokens:
        typer.echo("(no tokens)")


@token.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="The id shown by 'list'.")],
) -> None:
    """Revoke a token from now on."""
    with default_log().engine.begin() as conn:
        info = revoke_token(conn, token_id)
    typer.echo(f"revoked token {info.token_id} of {info.staff_id}")
