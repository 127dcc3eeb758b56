"""``sanctuarygate report ...``: reports anyone can recompute from the public log export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from sanctuarygate.audit.bundle import BundleError
from sanctuarygate.audit.default import open_log
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.note import NoteError
from sanctuarygate.audit.witnessing import parse_witnesses, witnessed_checkpoint
from sanctuarygate.cli.log import _trust
from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_library
from sanctuarygate.report import Families, render_text, report_from_export, write_csv
from sanctuarygate.report.ag80525 import (
    CaseFacts,
    ag_report_from_export,
    build_ag_report,
    case_facts,
    verified_entries,
)
from sanctuarygate.report.ag_document import write_ag_csv, write_ag_pdf
from sanctuarygate.settings import get_settings
from sanctuarygate.store.log import LogIntegrityError
from sanctuarygate.store.tables import case_file

app = typer.Typer(help="Reports computed from the public decision log alone.",
                  no_args_is_help=True)

#: The trust anchor a report verifies the live log against (``cli/log._trust`` reads them).
PolicyFile = Annotated[Path | None, typer.Option(
    "--policy", metavar="FILE", help="The log's trust policy to verify it against; default: "
    "SANCTUARYGATE_LOG_POLICY.")]
KeyFiles = Annotated[list[Path] | None, typer.Option(
    "--key", metavar="FILE", help="A file of the city's verifier keys (repeatable).")]


@app.command("transparency")
def transparency(
    from_export: Annotated[Path, typer.Option(
        "--from-export", metavar="DIR", help="A log export written by 'log export'.")],
    policy: Annotated[Path | None, typer.Option(
        metavar="FILE", help="The log's trust policy you saved earlier (GET /api/v1/log/policy); "
        "default: SANCTUARYGATE_LOG_POLICY.")] = None,
    key: Annotated[list[Path] | None, typer.Option(
        metavar="FILE", help="A file of the city's verifier keys you saved earlier "
        "(repeatable).")] = None,
    csv_dir: Annotated[Path | None, typer.Option(
        metavar="OUT", help="Also write one CSV file per table into this folder.")] = None,
    min_cell: Annotated[int | None, typer.Option(
        min=3, metavar="N", help="Show counts from 1 to N-1 as '<N' (default: "
        "SANCTUARYGATE_REPORT_MIN_CELL, 5).")] = None,
    no_verify: Annotated[bool, typer.Option(
        "--no-verify", help="Count an export without verifying it (the numbers then prove "
        "nothing about the city's log).")] = False,
) -> None:
    """The transparency tables, from a log export verified first against keys you pinned.

    Decisions, reviews and how they ended, refusals by clause, gateway queries, rows released
    and key events, by month and agency family, and every exception granted listed
    (docs/transparency.md). Small counts are shown as '<N' and enough others withheld that the
    totals cannot give them back. Exit 1 when the export does not
    verify (nothing is counted), 2 on bad input."""
    if no_verify and (policy or key):
        raise InputError("give --no-verify or a trust anchor (--policy, --key), not both")
    trust = None if no_verify else _trust(key or [], policy)
    if no_verify:
        typer.echo("WARNING: NOT VERIFIED: these numbers are counted from an export that was not "
                   "checked against the city's keys; they prove nothing about its log", err=True)
    report = report_from_export(from_export, trust=trust,
                                families=Families(default_library().directory),
                                min_cell=min_cell or get_settings().report_min_cell)
    typer.echo(render_text(report), nl=False)
    if csv_dir is not None:
        paths = write_csv(report, csv_dir)
        typer.echo(f"wrote {len(paths)} CSV files to {csv_dir}", err=True)


@app.command("ag-805-25")
def ag_805_25(
    agency: Annotated[str, typer.Option(
        metavar="ID", help="The reporting law-enforcement agency (its directory id, e.g. CPD).")],
    year: Annotated[int, typer.Option(
        metavar="YYYY", help="The calendar year reported on, in the city's time zone.")],
    out: Annotated[Path, typer.Option(metavar="FILE", help="Write the report's PDF here.")],
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", metavar="FILE", help="Also write its rows as CSV here.")] = None,
    policy: PolicyFile = None,
    key: KeyFiles = None,
    from_export: Annotated[Path | None, typer.Option(
        "--from-export", metavar="DIR", help="Rebuild it from a log export instead of the "
        "city's database (an auditor's check; the case-file column reads 'not recorded').")
    ] = None,
) -> None:
    """The annual TRUST Act report to the Illinois Attorney General (5 ILCS 805/25).

    Each DHS request to assist a civil immigration operation and each detainer or civil
    immigration warrant received in the year, how it was handled, and the log entries behind
    every row; a zero certification when there were none; no names or personal data
    (docs/transparency.md). The log is verified first against the pinned trust policy. Nothing
    is written and the exit code is 2 for an unknown or non-police agency or a year not begun,
    1 for a log that does not verify."""
    for path in (out, csv_file):
        if path is not None and not path.parent.is_dir():
            raise InputError(f"{path.parent} is not a folder: nothing written")
    settings = get_settings()
    trust = _trust(key or [], policy)
    try:
        if from_export is not None:
            report = ag_report_from_export(from_export, default_library(), trust, agency=agency,
                                           year=year, timezone=settings.timezone,
                                           today=settings.today())
        else:
            log = open_log(settings)
            report = build_ag_report(log, default_library(), trust, agency=agency, year=year,
                                     timezone=settings.timezone, today=settings.today(),
                                     note=_published(log), cases=case_reader(log))
    except (BundleError, LogIntegrityError) as exc:  # refused: there is nothing to report from
        # exit 1, as every failed verification: a tampered log is not bad input
        raise LogIntegrityError(f"refusing to report {year}: the log does not verify ({exc})"
                                ) from None
    write_ag_pdf(report, out)
    if csv_file is not None:
        write_ag_csv(report, csv_file)
    typer.echo(f"{report.agency} {report.year}: {len(report.assist)} DHS assistance requests, "
               f"{len(report.detainers)} detainers or civil warrants; from {report.source.entries}"
               f" verified log entries; wrote {out}" + (f" and {csv_file}" if csv_file else ""))


def _published(log: DecisionLog) -> str | None:
    """The checkpoint to report from: with witnesses, the newest they cosigned (as 'log
    export' takes); else the current one (None)."""
    if not parse_witnesses(get_settings().witnesses):
        return None
    note = witnessed_checkpoint(log)
    if note is None:
        raise InputError("no checkpoint has been cosigned yet: run 'sanctuarygate log publish'")
    return note


def case_reader(log: DecisionLog) -> Callable[[list[int]], dict[int, CaseFacts]]:
    """The review cases opened by decisions, read from the city's case files by the decision's
    log index (what ``report ag-805-25`` adds to a row: ``report.ag80525.case_facts``)."""
    def read(indexes: list[int]) -> dict[int, CaseFacts]:
        found: dict[int, CaseFacts] = {}
        wanted = sorted(set(indexes))
        with log.engine.connect() as conn:
            for first in range(0, len(wanted), 500):
                query = select(case_file.c.id, case_file.c.log_index, case_file.c.request).where(
                    case_file.c.log_index.in_(wanted[first:first + 500]))
                for case_id, index, request in conn.execute(query):
                    found[int(index)] = case_facts(int(case_id), request)
        return found
    return read


@app.command("property")
def property_report(
    place: Annotated[str, typer.Option(metavar="PROFILE", help="The place (chicago, "
                                       "north-chicago, waukegan...).")],
    start: Annotated[str, typer.Option("--from", metavar="YYYY-MM-DD",
                                       help="The period's first day.")],
    end: Annotated[str, typer.Option("--to", metavar="YYYY-MM-DD",
                                     help="The period's last day.")],
    department: Annotated[str | None, typer.Option(
        metavar="NAME", help="Only this managing department (as the registry names it).")] = None,
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", metavar="FILE", help="Also write one row per property as CSV here.")] = None,
    out: Annotated[Path | None, typer.Option(
        metavar="FILE.pdf", help="Also print the report to this PDF.")] = None,
    policy: PolicyFile = None,
    key: KeyFiles = None,
) -> None:
    """The departmental property report the orders require (Chicago EO 2025-8, North Chicago,
    Waukegan): per department, its exposed sites and whether the order covers each, signs
    posted or still to post, lockable gates, and attempted use (misuse reports of the period
    by property and month, reviewed and linked to a case; the rules' refusals of requests to
    use city property logged in the period, counted from the log once it verifies against the
    pinned trust policy). Internal to the city; no reporter contact details or photos. Exit 2
    for an unknown place or department or a bad period, 1 for a log that does not verify."""
    from sanctuarygate.policy.default import default_decider
    from sanctuarygate.report.property_report import (
        build_property_report,
        check_period,
        property_refusals,
        write_property_csv,
        write_property_pdf,
    )
    from sanctuarygate.report.property_report import render_text as render_property
    from sanctuarygate.store.misuse import list_reports
    from sanctuarygate.store.property import list_properties

    default_library().profile(place)
    first, last = check_period(start, end)
    for path in (out, csv_file):
        if path is not None and not path.parent.is_dir():
            raise InputError(f"{path.parent} is not a folder: nothing written")
    settings = get_settings()
    trust = _trust(key or [], policy)
    log = open_log(settings)
    try:
        entries, _ = verified_entries(log, trust, note=_published(log))
    except (BundleError, LogIntegrityError, NoteError) as exc:
        raise LogIntegrityError(f"refusing to report: the log does not verify ({exc})"
                                ) from None
    with log.engine.connect() as conn:
        properties = list_properties(conn, place=place)
        reports = list_reports(conn)
    refusals, read = property_refusals(entries, place=place, start=first, end=last,
                                       timezone=settings.timezone)
    report = build_property_report(default_decider(), place, properties=properties,
                                   reports=reports, refusals=refusals, start=first, end=last,
                                   department=department, entries_read=read)
    typer.echo(render_property(report), nl=False)
    if csv_file is not None:
        write_property_csv(report, csv_file)
    if out is not None:
        write_property_pdf(report, out)
