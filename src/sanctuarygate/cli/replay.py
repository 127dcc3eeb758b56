"""``sanctuarygate replay``: what the logged decisions would have been under changed rules.

A thin shell over :func:`sanctuarygate.report.replay.replay`: the log is verified first (exit 1
when it does not verify), nothing is written to it, and the report names request classes only
(the log holds no facts about a person).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sanctuarygate.audit.default import default_log
from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.report.replay import render_replay
from sanctuarygate.report.replay_document import (
    ReplayQuestion,
    document_of,
    run_replay,
    write_replay_pdf,
)


def replay_command(
    profile: Annotated[str, typer.Option(metavar="PLACE", help="The place whose logged "
                                         "decisions to replay (e.g. chicago).")],
    date_from: Annotated[str, typer.Option("--from", metavar="DATE",
                                           help="First request date replayed (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", metavar="DATE",
                                         help="Last request date replayed (YYYY-MM-DD).")],
    add_pack: Annotated[list[str] | None, typer.Option(
        "--add-pack", metavar="PACK", help="A pack to add, e.g. a proposal (repeatable).")] = None,
    remove_pack: Annotated[list[str] | None, typer.Option(
        "--remove-pack", metavar="PACK", help="A pack to take out, as if repealed "
        "(repeatable).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="Decide under the packs in force on this day instead "
        "of each request's own.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    pdf: Annotated[Path | None, typer.Option(
        "--pdf", metavar="FILE", help="Also print the council-ready report to this PDF file "
        "(what was compared, the period, the log checkpoint read, a summary in words, the "
        "tables, and the packs added or removed with their citations and confidence).",
        dir_okay=False)] = None,
) -> None:
    """Decide the logged requests of a date range again under changed rules, and report what
    would have changed: counts moved between outcomes, by agency and action, the rules
    responsible, and example requests (no personal data).

    The log is verified against its signed checkpoint first (exit 1 when it does not verify);
    nothing is written to it. Exit 0 with the report, 2 on bad input.

        sanctuarygate replay --profile chicago --from 2025-01-01 --to 2025-12-31 \\
            --add-pack ocad-proposed-eo-2019 --pdf replay.pdf
    """
    question = ReplayQuestion.parse(profile=profile, start=date_from, end=date_to,
                                    add=add_pack or (), remove=remove_pack or (), as_of=as_of)
    decider = default_decider()
    result = run_replay(default_log(), decider, question)
    if pdf is not None:
        try:
            write_replay_pdf(document_of(question, result, decider.library), pdf)
        except OSError as exc:
            raise InputError(f"cannot write {pdf}: {exc.strerror or exc}", field="--pdf") from None
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        typer.echo(render_replay(result), nl=False)

