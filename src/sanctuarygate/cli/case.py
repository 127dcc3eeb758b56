"""``sanctuarygate case list|show|decide|exception``: the review queue, for scripts.

Each command speaks as the account of a staff token, read from ``--token-file F`` or
``SANCTUARYGATE_STAFF_TOKEN`` (never a command-line argument, which shells keep): ``list`` and
``show`` need the reviewer, auditor or records role, ``decide`` the reviewer or records role
(the records unit reads and decides the gateway's cases only). ``decide`` records a
``review`` entry in the public log, its actor that account, as the review desk does.
``case exception grant|approve|list`` are the accountable exceptions (``cli/exception.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.cli import exception as exception_cmd
from sanctuarygate.cli.token import staff_member
from sanctuarygate.domain.case import (
    REVIEW_CONDITIONS,
    REVIEW_OUTCOMES,
    Case,
    parse_review,
    within,
)
from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.queue import decide_case, view_case
from sanctuarygate.store.case import get_case, list_cases
from sanctuarygate.store.case_document import get_document
from sanctuarygate.web.signin_roles import DECIDE_REVIEW, READ_CASES, case_sources

app = typer.Typer(help="The review queue: cases the rules left to a person, and their reviews.",
                  no_args_is_help=True)
app.add_typer(exception_cmd.app, name="exception")

TokenFile = Annotated[Path | None, typer.Option(
    "--token-file", metavar="F", help="File holding a staff token (or set "
                                     "SANCTUARYGATE_STAFF_TOKEN).")]
TokenEnv = Annotated[str | None, typer.Option(
    "--staff-token", hidden=True, envvar="SANCTUARYGATE_STAFF_TOKEN", show_envvar=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _line(case: Case) -> str:
    answer = case.review.outcome if case.review else "-"
    return (f"{case.id}\t{case.state.value}\t{case.opened_at:%Y-%m-%d %H:%M}\t{case.agency}\t"
            f"{case.request.get('action', '?')}\t{answer}")


@app.command("list")
def list_command(
    state: Annotated[str | None, typer.Option(
        metavar="STATE", help="Only cases in this state: open, in-review, decided, closed.")] = None,
    agency: Annotated[str | None, typer.Option(metavar="ID", help="Only this agency's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    as_json: AsJson = False, token_file: TokenFile = None, token_env: TokenEnv = None,
) -> None:
    """List cases, newest first: id, state, opened (UTC), agency, action, review answer."""
    member = staff_member(token_file, token_env, READ_CASES)
    if state is not None and state not in ("open", "in-review", "decided", "closed"):
        raise InputError(f"{state!r} is not a case state (open, in-review, decided, closed)",
                         field="--state")
    with default_log().engine.connect() as conn:
        found = list_cases(conn, state=state, agency=agency, limit=limit,
                           sources=case_sources(member, READ_CASES))
    if as_json:
        typer.echo(json.dumps({"cases": [c.to_dict() for c in found]}, indent=2))
        return
    for case in found:
        typer.echo(_line(case))


@app.command("show")
def show(
    case_id: Annotated[int, typer.Argument(metavar="ID", help="The case number.")],
    as_json: AsJson = False, token_file: TokenFile = None, token_env: TokenEnv = None,
) -> None:
    """Show a case: what was asked, the rules on each side, the clauses, its history."""
    member = staff_member(token_file, token_env, READ_CASES)
    sources = case_sources(member, READ_CASES)
    with default_log().engine.connect() as conn:
        case = within(get_case(conn, case_id), sources)
        document = get_document(conn, case_id)
        if as_json:
            typer.echo(json.dumps({**case.to_dict(), "document": (
                None if document is None else document.to_dict())}, indent=2))
            return
    view = view_case(default_log(), default_decider(), case_id, sources=sources)
    case = view.case
    typer.echo(f"case {case.id}: {case.state.value}; {case.agency} asks to "
               f"{view.request.action} ({view.request.resource.type}); the rules give "
               f"{view.decision.outcome}")
    told = [("asked by", case.asked_by), ("contact", case.contact),
            ("person (city reference)", case.person_ref)]
    if document is not None:
        shown = document.to_dict()
        told += [("document verified by", shown["verified_by"]),
                 ("document checked at", shown["checked_at"]),
                 ("document copy", shown["copy"] and shown["copy"]["media_type"])]
    for label, value in told:
        if value:
            typer.echo(f"  {label}: {value}")
    for side in view.sides:
        cites = ", ".join(r.citation for r in side.rules) or "no rule"
        typer.echo(f"  if {side.fact} is {side.value}: {side.outcome} ({cites})")
    if case.offered is not None:
        query = case.query or {}
        typer.echo(f"  query: {query.get('dataset')}, fields {', '.join(query.get('fields') or [])}"
                   f"; columns a review may release (--column): "
                   f"{', '.join(case.offered) or 'none'}")
    if case.review:
        typer.echo(f"review: {case.review.outcome} by {case.reviewed_by} on "
                   f"{case.review.clause} (log entry {case.review_index})")
    typer.echo("clauses that may be relied on:")
    for clause in view.clauses:
        typer.echo(f"  {clause}")
    for event in case.events:
        at = f"{event.at:%Y-%m-%d %H:%M}"
        typer.echo(f"  {at} {event.what} by {event.actor}"
                   + (f" (log entry {event.log_index})" if event.log_index is not None else ""))


@app.command("decide")
def decide(
    case_id: Annotated[int, typer.Argument(metavar="ID", help="The case number.")],
    outcome: Annotated[str, typer.Option(
        metavar="OUTCOME", help=f"One of: {', '.join(REVIEW_OUTCOMES)}.")],
    clause: Annotated[str, typer.Option(
        metavar="CITATION", help="The clause relied on: a citation `case show` lists.")],
    reason: Annotated[str, typer.Option(
        metavar="TEXT", help="Why (kept in the case file, not in the public log).")],
    condition: Annotated[list[str] | None, typer.Option(
        metavar="CONDITION", help=f"With allow-with-conditions (repeatable): "
                                  f"{', '.join(REVIEW_CONDITIONS)}.")] = None,
    column: Annotated[list[str] | None, typer.Option(
        metavar="COLUMN", help="On a gateway query's case, with an allow (repeatable): a column "
                               "released, one of those `case show` offers.")] = None,
    as_json: AsJson = False, token_file: TokenFile = None, token_env: TokenEnv = None,
) -> None:
    """Decide a case (reviewer role; records role: the gateway's cases): records a review
    entry in the public log. A deny the rules give stays a deny (exit 3)."""
    member = staff_member(token_file, token_env, DECIDE_REVIEW)
    answer = parse_review(outcome, condition or [], reason, clause)
    case = decide_case(default_log(), default_decider(), case_id, answer, actor=member.actor,
                       columns=column, sources=case_sources(member, DECIDE_REVIEW))
    if as_json:
        typer.echo(json.dumps(case.to_dict(), indent=2))
        return
    typer.echo(f"case {case.id} decided: {answer.outcome} on {answer.clause}; recorded as "
               f"entry {case.review_index} of the public decision log")
