"""``sanctuarygate decide FILE``: decide one request written in the scenario-case format.

``--record`` writes the answer to the public log as a staff account: the staff token is read
from ``--token-file F`` or ``SANCTUARYGATE_STAFF_TOKEN`` (never a command-line argument, which
shells keep), and the entry's actor is that account (``staff:s-...``), never free text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
import yaml
from rich.console import Console

from sanctuarygate.audit.default import default_log
from sanctuarygate.cli.token import staff_member
from sanctuarygate.domain.advice import obligation_text, what_if_banner
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.intake import Intake, parse_intake
from sanctuarygate.domain.property import property_id_of
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import FieldErrors, InputError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.queue import record_and_queue
from sanctuarygate.settings import get_settings
from sanctuarygate.store.property import registered
from sanctuarygate.web.signin_roles import RECORD_DECISION

OUTCOME_STYLE = {
    "allow": ("YES", "bold green"),
    "allow-with-conditions": ("YES, WITH CONDITIONS", "bold yellow"),
    "deny": ("NO - DENY", "bold red"),
    "review": ("WAIT - A PERSON MUST DECIDE", "bold magenta"),
}


def read_request_file(path: str) -> Any:
    """Read YAML or JSON (JSON is YAML) from a file, or from stdin when ``path`` is ``-``."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path} is not YAML or JSON{where}: {problem}") from None
    except ValueError as exc:  # a YAML date that is no day, e.g. 2025-02-30
        raise InputError(f"{path} holds a value YAML cannot read: {exc}") from None


def decide(
    file: Annotated[str, typer.Argument(
        metavar="FILE", help="Request file (YAML or JSON, scenario-case format); - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
    record: Annotated[bool, typer.Option(
        "--record", help="Record the answer in the public decision log, as the account of a "
                         "staff token (desk or reviewer role).")] = False,
    token_file: Annotated[Path | None, typer.Option(
        "--token-file", metavar="F", help="File holding the staff token for --record (or set "
                                         "SANCTUARYGATE_STAFF_TOKEN).")] = None,
    token_env: Annotated[str | None, typer.Option(
        "--staff-token", hidden=True, envvar="SANCTUARYGATE_STAFF_TOKEN",
        show_envvar=False)] = None,
    actor: Annotated[str | None, typer.Option(hidden=True)] = None,
    asked_by: Annotated[str | None, typer.Option(
        "--asked-by", metavar="TEXT", help="With --record, for the case of a review: the "
        "agent's name or badge, as told (kept in the case, never in the log).")] = None,
    contact: Annotated[str | None, typer.Option(
        "--contact", metavar="TEXT", help="With --record: their phone or e-mail, as given "
                                          "(case only).")] = None,
    person_ref: Annotated[str | None, typer.Option(
        "--person-ref", metavar="REF", help="With --record: the city's own reference for the "
                                           "person, e.g. a booking number (case only).")] = None,
    verified_by: Annotated[str | None, typer.Option(
        "--document-verified-by", metavar="TEXT", help="With --record: who at the city "
                                                      "verified the document (case only).")
    ] = None,
    checked_at: Annotated[str | None, typer.Option(
        "--document-checked-at", metavar="WHEN", help="With --record: when it was verified "
        "(ISO 8601; without an offset, the city's time).")] = None,
) -> None:
    """Decide one request and print the answer with the clauses that decide it.

    Example request (YAML):

        profile: chicago
        date: 2025-11-03
        principal: {agency: ICE-ERO}
        action: notify-release
        resource: {type: Person, in_custody: true}
        context: {purpose: civil-immigration-enforcement, document: {kind: none}}
    """
    if actor is not None:
        raise InputError("--actor is gone: a recorded answer names the account of the staff "
                         "token (--token-file F or SANCTUARYGATE_STAFF_TOKEN)", field="--actor")
    told = _intake({"asked_by": asked_by, "contact": contact, "person_ref": person_ref,
                    "document_verified_by": verified_by, "document_checked_at": checked_at})
    if not told.empty and not record:
        raise InputError("what is kept for a case goes with --record only (an answer not "
                         "recorded opens no case)", field="--record")
    request = _parse(read_request_file(file))
    if property_id_of(request) is not None:  # a property named by id: the registry's facts
        with default_log().engine.connect() as conn:
            request = registered(conn, request)
    reasons = request.what_if(get_settings().today())  # the city's date, in its time zone
    if record and reasons:
        why = "extra_packs" if "extra_packs" in reasons else f"the law on {request.date}, not today's"
        raise InputError(f"a what-if answer ({why}) is never recorded in the public log; drop "
                         "--record, or ask about today without extra_packs", field="--record")
    member = _recorder(token_file, token_env) if record else None
    decision = default_decider().decide(request)
    index = case_id = None
    if member is not None:  # a review also opens a case in the review queue
        recorded = record_and_queue(default_log(), request, decision, actor=member.actor,
                                    source="cli", intake=told)
        index, case_id = recorded.log_index, recorded.case_id
    banner = what_if_banner(reasons, request.date.isoformat()) if reasons else None
    if as_json:
        body = {**decision.to_dict(), "request": request.to_dict()}
        if banner:
            body |= {"hypothetical": True, "banner": banner, "recorded": False}
        if index is not None:
            body["log_index"] = index
        if case_id is not None:
            body["case_id"] = case_id
        typer.echo(json.dumps(body, indent=2))
        return
    if banner:
        Console().print(f"[bold reverse] {banner} [/]", highlight=False, markup=True)
    print_decision(decision, Console())
    if index is not None:
        typer.echo(f"\nRecorded as entry {index} of the public decision log.")
    if case_id is not None:
        typer.echo(f"Case {case_id} waits in the review queue (sanctuarygate case show "
                   f"{case_id}).")


#: The intake fields (``domain/intake.py``) and the options that give them.
INTAKE_OPTIONS = {"case.asked_by": "--asked-by", "case.contact": "--contact",
                  "case.person_ref": "--person-ref",
                  "case.document_verified_by": "--document-verified-by",
                  "case.document_checked_at": "--document-checked-at"}


def _intake(given: dict[str, str | None]) -> Intake:
    """The options kept for a case; a bad one is refused naming the option (the first, when
    several are bad)."""
    try:
        return parse_intake({k: v for k, v in given.items() if v is not None},
                            zone=ZoneInfo(get_settings().timezone))
    except InputError as exc:
        field, message = exc.field_errors[0]
        raise InputError(message, field=INTAKE_OPTIONS.get(field or "", field)) from None


def _recorder(token_file: Path | None, token_env: str | None) -> StaffMember:
    """The account a staff token speaks for, if it may record; refused (exit 3) otherwise."""
    return staff_member(token_file, token_env, RECORD_DECISION, asked="--record",
                        doing="record answers")


def _parse(data: Any) -> Request:
    """The request in ``data``; when several fields are wrong, one line on stderr for each
    but the last, which the CLI's error handler prints (so the exit code stays its own)."""
    try:
        return parse_request(data)
    except FieldErrors as exc:
        *before, (field, message) = exc.field_errors
        for name, text in before:
            typer.echo(f"error: {name}: {text}" if name else f"error: {text}", err=True)
        raise InputError(message, field=field) from None


def print_decision(decision: Decision, console: Console) -> None:
    """Render a decision for a person at a terminal."""
    words, style = OUTCOME_STYLE[decision.outcome]
    console.print(f"[{style}]{words}[/]  ({decision.outcome}; {decision.profile}, {decision.date})")
    console.print(decision.explanation, highlight=False)
    if decision.advice:
        console.print("\n[bold]What to say and do[/]")
        for line in decision.advice:
            console.print(f"  - {line}", highlight=False)
    if decision.obligations:
        console.print("\n[bold]Conditions[/]")
        for obligation in decision.obligations:
            console.print(f"  - {obligation_text(obligation)}", highlight=False, markup=False)
    if decision.rules:
        console.print("\n[bold]Deciding rules[/]")
        for rule in decision.rules:
            console.print(f"  - {rule.citation} [{rule.confidence}] ({rule.id}): {rule.summary}",
                          highlight=False, markup=False)
    if decision.unresolved_facts:
        console.print("\n[bold]Check first:[/] " + ", ".join(decision.unresolved_facts))
    console.print("\n[dim]Packs: " + ", ".join(f"{p.id}@{p.version}" for p in decision.packs) + "[/]",
                  highlight=False)
