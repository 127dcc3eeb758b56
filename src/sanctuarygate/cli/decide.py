"""``sanctuarygate decide FILE``: decide one request written in the scenario-case format."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from sanctuarygate.audit.default import default_log
from sanctuarygate.domain.advice import obligation_text, what_if_banner
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import FieldErrors, InputError
from sanctuarygate.policy.default import default_decider

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
        "--record", help="Record the answer in the public decision log.")] = False,
    actor: Annotated[str, typer.Option(
        metavar="WHO", help="Who gives the answer (with --record).")] = "desk:cli",
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
    request = _parse(read_request_file(file))
    reasons = request.what_if(dt.date.today())  # the local date is the city's today
    if record and reasons:
        why = "extra_packs" if "extra_packs" in reasons else f"the law on {request.date}, not today's"
        raise InputError(f"a what-if answer ({why}) is never recorded in the public log; drop "
                         "--record, or ask about today without extra_packs", field="--record")
    decision = default_decider().decide(request)
    index = None
    if record:
        index = default_log().record(request, decision, actor=actor)  # says so if it made a key
    banner = what_if_banner(reasons, request.date.isoformat()) if reasons else None
    if as_json:
        body = {**decision.to_dict(), "request": request.to_dict()}
        if banner:
            body |= {"hypothetical": True, "banner": banner, "recorded": False}
        if index is not None:
            body["log_index"] = index
        typer.echo(json.dumps(body, indent=2))
        return
    if banner:
        Console().print(f"[bold reverse] {banner} [/]", highlight=False, markup=True)
    print_decision(decision, Console())
    if index is not None:
        typer.echo(f"\nRecorded as entry {index} of the public decision log.")


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
