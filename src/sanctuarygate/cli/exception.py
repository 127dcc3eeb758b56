"""``sanctuarygate case exception grant|approve|list``: accountable exceptions (break-glass),
for scripts.

Each command speaks as the account of a staff token, read from ``--token-file F`` or
``SANCTUARYGATE_STAFF_TOKEN`` (never a command-line argument, which shells keep), as the other
``case`` commands do. ``grant`` and ``approve`` need the reviewer role and record an
``exception`` or ``exception-approval`` entry in the public log, its actor that account's
pseudonymous id (``review/exception.py`` does the work); ``list`` needs the reviewer or auditor
role and shows each exception's status now: in force, awaiting approval, or expired.

    sanctuarygate case exception grant 12 --outcome allow --clause "Emergency powers, MCC
        2-4-160" --reason "Flood evacuation" --hours 4
    sanctuarygate case exception approve 3        # another reviewer, when it turns a deny
    sanctuarygate case exception list --active
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.cli.token import staff_member
from sanctuarygate.domain.case import (
    EXCEPTION_MAX_HOURS,
    REVIEW_CONDITIONS,
    REVIEW_OUTCOMES,
    CaseException,
    parse_exception,
)
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.exception import approve_exception, grant_exception
from sanctuarygate.settings import get_settings
from sanctuarygate.store.case import LIST_MAX, list_exceptions
from sanctuarygate.web.signin_roles import GRANT_EXCEPTION, READ_EXCEPTIONS

__all__ = ["app"]

app = typer.Typer(help="Accountable exceptions (break-glass): a reviewer overrides the answer "
                       "on one case, for hours, on the record.", no_args_is_help=True)

TokenFile = Annotated[Path | None, typer.Option(
    "--token-file", metavar="F", help="File holding a staff token (or set "
                                     "SANCTUARYGATE_STAFF_TOKEN).")]
TokenEnv = Annotated[str | None, typer.Option(
    "--staff-token", hidden=True, envvar="SANCTUARYGATE_STAFF_TOKEN", show_envvar=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    if value.tzinfo is None:  # SQLite gives stored UTC times back naive
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _line(found: CaseException, now: dt.datetime) -> str:
    return (f"{found.id}\tcase {found.case_id}\t{found.status(now)}\t{found.rules_outcome} -> "
            f"{found.outcome}\tuntil {_when(found.expires_at)}\t{found.granted_by}\t"
            f"{found.approved_by or '-'}\t{found.clause}")


@app.command("grant")
def grant(
    case_id: Annotated[int, typer.Argument(metavar="CASE_ID", help="The case number.")],
    outcome: Annotated[str, typer.Option(
        metavar="OUTCOME", help=f"The answer that overrides: {', '.join(REVIEW_OUTCOMES)}.")],
    clause: Annotated[str, typer.Option(
        metavar="CITATION", help="The clause or emergency power relied on.")],
    reason: Annotated[str, typer.Option(
        metavar="TEXT", help="Why (kept in the case file, not in the public log).")],
    hours: Annotated[int, typer.Option(
        metavar="N", help=f"How long it holds: 1 to {EXCEPTION_MAX_HOURS} hours.")],
    condition: Annotated[list[str] | None, typer.Option(
        metavar="CONDITION", help=f"With allow-with-conditions (repeatable): "
                                  f"{', '.join(REVIEW_CONDITIONS)}.")] = None,
    as_json: AsJson = False, token_file: TokenFile = None, token_env: TokenEnv = None,
) -> None:
    """Grant an exception on one case (reviewer role): records an exception entry in the public
    log. Turning the rules' deny into an allow waits for a second approver, another reviewer
    (SANCTUARYGATE_EXCEPTION_SECOND_APPROVER, on by default)."""
    member = staff_member(token_file, token_env, GRANT_EXCEPTION, doing="grant exceptions")
    asked = parse_exception(outcome, condition or [], reason, clause, hours)
    granted = grant_exception(default_log(), default_decider(), case_id, asked,
                              actor=member.actor,
                              second_required=get_settings().exception_second_approver)
    now = dt.datetime.now(dt.UTC)
    if as_json:
        typer.echo(json.dumps(granted.to_dict(now), indent=2))
        return
    typer.echo(f"exception {granted.id} on case {granted.case_id}: {granted.rules_outcome} -> "
               f"{granted.outcome} on {granted.clause}, until {_when(granted.expires_at)}; "
               f"recorded as entry {granted.log_index} of the public decision log")
    if granted.status(now) == "awaiting-approval":
        typer.echo(f"not in force yet: another reviewer approves it with `sanctuarygate case "
                   f"exception approve {granted.id}`")


@app.command("approve")
def approve(
    exception_id: Annotated[int, typer.Argument(metavar="EXCEPTION_ID",
                                                help="The exception number.")],
    as_json: AsJson = False, token_file: TokenFile = None, token_env: TokenEnv = None,
) -> None:
    """Approve, as second approver, an exception that waits for one (reviewer role; another
    person than the one who granted it): records an exception-approval entry."""
    member = staff_member(token_file, token_env, GRANT_EXCEPTION, doing="approve exceptions")
    approved = approve_exception(default_log(), exception_id, actor=member.actor)
    if as_json:
        typer.echo(json.dumps(approved.to_dict(dt.datetime.now(dt.UTC)), indent=2))
        return
    typer.echo(f"exception {approved.id} on case {approved.case_id} approved: in force until "
               f"{_when(approved.expires_at)}; recorded as entry {approved.approval_index} of "
               "the public decision log")


@app.command("list")
def list_command(
    active: Annotated[bool, typer.Option(
        "--active", help="Only those in force now (approved when they must be, not expired).")
    ] = False,
    case_id: Annotated[int | None, typer.Option(
        "--case", metavar="ID", help="Only this case's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=LIST_MAX, help="At most this many.")] = 100,
    as_json: AsJson = False, token_file: TokenFile = None, token_env: TokenEnv = None,
) -> None:
    """List exceptions, newest first: id, case, status now (in-force, awaiting-approval,
    expired), rules' answer -> exception's, expiry, granted by, approved by, clause."""
    staff_member(token_file, token_env, READ_EXCEPTIONS, doing="read exceptions")
    now = dt.datetime.now(dt.UTC)
    with default_log().engine.connect() as conn:
        # in force means granted within the last day: among the newest LIST_MAX
        found = list_exceptions(conn, case_id=case_id, limit=LIST_MAX if active else limit)
    shown = [x for x in found if x.applies(now)][:limit] if active else found
    if as_json:
        typer.echo(json.dumps({"exceptions": [x.to_dict(now) for x in shown]}, indent=2))
        return
    for each in shown:
        typer.echo(_line(each, now))
