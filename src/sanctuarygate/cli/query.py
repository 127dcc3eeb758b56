"""``sanctuarygate query``: a gateway query from the records unit's shell, as the API runs it.

The operator authenticates with the agency's key, read from a file (``--key-file``; the demo
leaves one as ``demo-fbi.key`` in the data directory), never from the command line, where it
would end up in the shell's history and the process list. The query is the gateway's own
operation (``gateway.release``): the same plan, the same log entries (key use, ``query``,
``query-complete`` or ``query-error``), the same rows, watermark and trailer as
``POST /api/v1/query``. Rows go to stdout.

Exit codes: 0 released; 2 bad input (a filter, a field: logged as a rejected query; an
unreadable key file: nothing logged); 3 refused (by the rules, logged with the decision; or the
key is not usable, logged as ``auth-failed``); 1 the stream stopped before the end (the error
record is the last line).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.errors import AuthenticationError, InputError
from sanctuarygate.gateway.default import default_records
from sanctuarygate.gateway.keys import presented_key_id, record_auth_failure
from sanctuarygate.gateway.plan import QueryRefusedError, parse_spec
from sanctuarygate.gateway.release import Gateway, preview, release
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import get_settings
from sanctuarygate.store.credential import KeyInfo, authenticate

#: What the key-use entry says the key was used for.
VIA = "cli: sanctuarygate query"
REFUSED = 3
FORMATS = {"ndjson": "jsonl", "jsonl": "jsonl", "csv": "csv"}


def read_key(path: str) -> str:
    """The key in a file (or stdin for ``-``), surrounding whitespace removed."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(f"cannot read the key file {path}: {reason}",
                         field="--key-file") from None
    return text.strip()


def parse_filter_text(text: str) -> dict[str, Any]:
    """``FIELD OP [VALUE]`` as a filter; ``in`` takes comma-separated values. The value is typed
    by the dataset's catalog afterwards, as the API's are.

    >>> parse_filter_text("charge prefix BURGLARY - FORCED ENTRY")
    {'field': 'charge', 'op': 'prefix', 'value': 'BURGLARY - FORCED ENTRY'}
    >>> parse_filter_text("district in 7,9")
    {'field': 'district', 'op': 'in', 'value': ['7', '9']}
    >>> parse_filter_text("charge")
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: --filter: FIELD OP [VALUE], e.g. 'charge prefix BURGLARY', got 'charge'
    """
    parts = text.split(maxsplit=2)
    if len(parts) < 2:
        raise InputError(f"FIELD OP [VALUE], e.g. 'charge prefix BURGLARY', got {text!r}",
                         field="--filter")
    out: dict[str, Any] = {"field": parts[0], "op": parts[1]}
    if len(parts) == 3:
        out["value"] = ([v.strip() for v in parts[2].split(",")] if parts[1] == "in"
                        else parts[2])
    return out


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def query(
    key_file: Annotated[str, typer.Option(
        "--key-file", metavar="FILE", help="File holding the agency's API key ('-': stdin).")],
    dataset: Annotated[str, typer.Option(metavar="DATASET", help="Dataset id, e.g. cpd-arrests.")],
    purpose: Annotated[str, typer.Option(
        metavar="PURPOSE", help="Why the agency asks, e.g. criminal-investigation.")] = "unknown",
    fields: Annotated[str, typer.Option(
        metavar="FIELDS", help="Comma-separated field names, or * for all.")] = "*",
    filters: Annotated[list[str] | None, typer.Option(
        "--filter", metavar="'FIELD OP VALUE'",
        help="A filter (repeatable); 'in' takes comma-separated values.")] = None,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="ndjson|csv", help="Output format, as the API's.")] = "ndjson",
    limit: Annotated[int, typer.Option(metavar="N", help="At most N rows.")] = 1000,
    sort: Annotated[str | None, typer.Option(metavar="FIELD", help="Sort by this field.")] = None,
    descending: Annotated[bool, typer.Option("--descending", help="Sort in descending order.")] = False,
    document: Annotated[str, typer.Option(
        metavar="KIND", help="The document presented, e.g. judicial-warrant.")] = "none",
    verified: Annotated[str, typer.Option(
        metavar="true|false|unknown", help="Whether a person verified the document.")] = "false",
    onward: Annotated[str, typer.Option(
        metavar="AGENCIES", help="Comma-separated agencies the data would be passed on to.")] = "",
    plan: Annotated[bool, typer.Option(
        "--plan", help="Show what would be released and why; read no row, log no query.")] = False,
    case_id: Annotated[int | None, typer.Option(
        "--case-id", metavar="N", min=1,
        help="Receive what a reviewer released on case N (the same query, re-run).")] = None,
) -> None:
    """Query a dataset through the rules for a partner agency; rows go to stdout.

    Runs what POST /api/v1/query runs, with the same log entries. Exit 0 released, 2 bad input
    (logged as a rejected query once the key is read), 3 refused (by the rules, logged; or the
    key is not usable), 1 the stream stopped before the end.
    """
    if fmt not in FORMATS:
        raise InputError(f"ndjson or csv, got {fmt!r}", field="--format")
    settings = get_settings()
    decider = default_decider()
    log = default_log()
    presented = read_key(key_file)
    body: dict[str, Any] = {
        "dataset": dataset, "purpose": purpose, "fields": _names(fields) or ["*"],
        "filters": [parse_filter_text(f) for f in filters or ()], "limit": limit,
        "sort": sort, "descending": descending, "format": FORMATS[fmt],
        "document": {"kind": document, "verified": {"true": True, "false": False}.get(verified,
                                                                                      verified)},
        "onward_recipients": _names(onward)}
    if case_id is not None:
        body["case_id"] = case_id
    try:
        with log.engine.connect() as conn:
            key = authenticate(conn, presented)
        gw = Gateway(decider, log, default_records(), settings.profile, settings.data_dir,
                     settings.gateway_pack_ids, settings.timezone,
                     settings.review_release_hours)
        if plan:
            spec = parse_spec(body, decider.library.catalog)
            typer.echo(json.dumps(preview(gw, key, spec, via=VIA), indent=2, ensure_ascii=False))
            return
        _run(gw, key, body)
    except (QueryRefusedError, AuthenticationError) as exc:
        where = getattr(exc, "log_index", None)
        if isinstance(exc, AuthenticationError):  # on the record, as the API's failures are
            with log.engine.begin() as conn:
                where = record_auth_failure(conn, exc.reason, what=VIA,
                                            key_id=presented_key_id(presented))
        logged = f" (log entry {where})" if where is not None else ""
        typer.echo(f"refused: {exc}{logged}".replace("\n", " "), err=True)
        raise typer.Exit(REFUSED) from None


def _run(gw: Gateway, key: KeyInfo, body: dict[str, Any]) -> None:
    done = release(gw, key, body, via=VIA)
    out = sys.stdout.buffer
    try:
        for chunk in done.chunks:
            out.write(chunk)
        out.flush()
    finally:  # the output closed early (a pipe to `head`): query-aborted, with the rows sent
        done.close()
    if done.ended != "complete":
        typer.echo(f"error: the stream stopped before the end (query log entry "
                   f"{done.log_index}); the rows above are complete", err=True)
        raise typer.Exit(1)
    typer.echo(f"released under log entry {done.log_index}; terms: "
               f"{json.dumps(done.terms, ensure_ascii=False)}", err=True)
