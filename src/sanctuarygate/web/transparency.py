"""The public transparency page (``/transparency``) and its CSV files, from the log alone.

No sign-in: anyone may read it. The page takes the log's latest signed checkpoint, or with
witnesses the newest one they cosigned (verified against the log's own keys and the witnesses'
first; a checkpoint that does not verify is an error, never a page),
counts the first ``size`` entries with the report package's own code
(:func:`~sanctuarygate.report.report_from_log`) and shows the checkpoint beside the tables, so
that ``sanctuarygate report transparency --from-export DIR`` on the export of that checkpoint
prints the very same numbers. Each table is also a CSV file, ``/transparency/<table>.csv``,
byte for byte the file ``--csv-dir`` writes; so is the list of exceptions granted,
``/transparency/exceptions.csv``.

>>> sorted(r.path for r in router.routes)
['/transparency', '/transparency/{name}.csv']
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from sanctuarygate.audit.checkpoint import Checkpoint, verify_checkpoint
from sanctuarygate.audit.cosignature import Cosignature, verify_cosignatures
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.witnessing import WitnessEndpoint, witnessed_checkpoint
from sanctuarygate.domain.advice import N_
from sanctuarygate.policy.decide import Decider
from sanctuarygate.report import Families, Table, TransparencyReport, report_from_log
from sanctuarygate.report.chart import Chart, table_chart
from sanctuarygate.report.render import EXCEPTIONS, exceptions_csv, table_csv
from sanctuarygate.report.source import Kept, Source, tally_log
from sanctuarygate.report.tally import NO_CLAUSE
from sanctuarygate.report.transparency import publish_tally
from sanctuarygate.web import i18n
from sanctuarygate.web.pages import templates
from sanctuarygate.web.state import DeciderDep, LogDep, SettingsDep

router = APIRouter(include_in_schema=False)

#: Words of the tables (row keys, columns, families) in plain language, for the catalog.
#: A word not listed (a dataset id, a citation, a month) is shown as it is.
WORDS: Final = {
    "month": N_("Month"),
    "family": N_("Agency family"),
    "action": N_("What they asked"),
    "clause": N_("Clause of law that decided"),
    "dataset": N_("Dataset"),
    "total": N_("Total"),
    "allow": N_("allowed"),
    "allow-with-conditions": N_("allowed with conditions"),
    "deny": N_("refused"),
    "review": N_("sent to a person"),
    "released": N_("released"),
    "refused": N_("refused"),
    "key-issue": N_("key issued"),
    "key-use": N_("key used"),
    "key-revoke": N_("key revoked"),
    "other DHS": N_("other DHS"),
    "state": N_("state"),
    "local": N_("local"),
    "city staff": N_("city staff"),
    "other": N_("other"),
    "in-force": N_("in force"),
    "awaiting-approval": N_("awaiting a second approval (does not apply yet)"),
    "expired": N_("expired"),
    "expired-unapproved": N_("expired without a second approval (never applied)"),
    NO_CLAUSE: N_("(no clause cited: refused because nothing allowed it)"),
}

#: The tables' titles and what each counts, in the page's words (``report/transparency.py``
#: has the English titles of the CLI).
TITLES: Final = {
    "decisions": N_("Requests decided, by month, agency family, what they asked and answer"),
    "reviews": N_("Requests sent to a person for review, by month and agency family"),
    "review_outcomes": N_("Reviews decided, by month, agency family and how they ended"),
    "refusals": N_("Refusals by the clause of law that decided them, by agency family"),
    "queries": N_("Data gateway queries by agency family and dataset"),
    "rows_released": N_("Rows of data released by the gateway, by agency family and dataset"),
    "key_events": N_("Agency API keys issued, used and revoked, by month and agency family"),
}

#: The charts: which table, drawn by its row or column totals (published counts only; see
#: ``report/chart.py``), with the chart's title and the words of its axis.
CHARTS: Final[dict[str, tuple[Literal["rows", "columns"], str, str]]] = {
    "decisions": ("columns", N_("All requests, by answer"), N_("Requests")),
    "reviews": ("rows", N_("Requests sent to a person, by month"), N_("Requests")),
    "review_outcomes": ("columns", N_("Reviews decided, by how they ended"), N_("Reviews")),
    "refusals": ("rows", N_("Refusals by the clause that decided them"), N_("Refusals")),
    "queries": ("rows", N_("Gateway queries by agency family and dataset"), N_("Queries")),
    "rows_released": ("rows", N_("Rows released, by agency family"), N_("Rows")),
}


@dataclass(frozen=True, slots=True)
class Published:
    """What the page shows: the signed checkpoint (its note, and parsed) and the tables of the
    entries it covers."""

    note: str
    checkpoint: Checkpoint
    report: TransparencyReport
    #: The witnesses' verified cosignatures of the checkpoint (none without witnesses).
    cosigned: tuple[Cosignature, ...] = ()
    #: Witnesses are configured but none has cosigned a checkpoint yet: the numbers are at the
    #: city's own latest checkpoint, which ``log export`` will not write until one has.
    awaiting_witnesses: bool = False

    @property
    def root_hash(self) -> str:
        return base64.b64encode(self.checkpoint.root_hash).decode("ascii")


class Counted:
    """The count of the last checkpoint, and the charts drawn, kept on the app.

    The same checkpoint always gives the same numbers, so a view counts nothing when the
    checkpoint has not moved; when it has, only the entries after the kept one are read
    (``report.source.tally_log``: once the log's consistency proof shows it only grew). A
    chart is drawn again only when its table's published counts (or the language) change.
    Two views racing at a new checkpoint may both count; either result is the same."""

    #: Charts kept at most (a few languages times a few tables, over a few checkpoints).
    MAX_CHARTS = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: Kept | None = None
        self._report: TransparencyReport | None = None
        self._charts: dict[tuple[str, int, Table], Chart | None] = {}

    def report(self, log: DecisionLog, families: Families, checkpoint: Checkpoint,
               min_cell: int) -> TransparencyReport:
        """The report of the log at ``checkpoint`` (verified by the caller)."""
        with self._lock:
            kept, report = self._kept, self._report
        if (kept is not None and report is not None and kept.size == checkpoint.size
                and kept.root == checkpoint.root_hash and report.min_cell == min_cell):
            return report
        grown = tally_log(log, families, size=checkpoint.size, root=checkpoint.root_hash,
                          kept=kept)
        report = publish_tally(grown.tally, families=families, min_cell=min_cell,
                               source=Source(entries=checkpoint.size))
        with self._lock:
            self._kept, self._report = grown, report
        return report

    def chart(self, lang: str, min_cell: int, table: Table,
              draw: Callable[[], Chart | None]) -> Chart | None:
        """The chart of ``table`` in ``lang``: the one drawn before for the same published
        counts, else ``draw()`` (then kept)."""
        key = (lang, min_cell, table)
        with self._lock:
            if key in self._charts:
                return self._charts[key]
        drawn = draw()
        with self._lock:
            if len(self._charts) >= self.MAX_CHARTS:
                self._charts.clear()
            self._charts[key] = drawn
        return drawn


def counted_of(request: Request) -> Counted:
    """The app's :class:`Counted` (made on the first view)."""
    state = request.app.state
    counted: Counted | None = getattr(state, "transparency_counted", None)
    if counted is None:
        counted = Counted()
        state.transparency_counted = counted
    return counted


def published(log: DecisionLog, decider: Decider, *, min_cell: int,
              witnesses: Sequence[WitnessEndpoint] = (),
              counted: Counted | None = None) -> Published:
    """The checkpoint to count at, verified with the log's keys, and the report of its entries
    (counted on from what ``counted`` kept of an earlier checkpoint, and kept there).

    With ``witnesses`` (the app's, ``SANCTUARYGATE_WITNESSES``), the checkpoint is the newest
    they cosigned, as ``log export`` writes it, so that the export gives the page's numbers;
    until one is, the log's latest, said so. Raises the audit package's error when the
    checkpoint or a witness's cosignature does not verify, or the log does not extend the
    checkpoint counted before (no number is shown from a log that does not check out)."""
    witnessed = witnessed_checkpoint(log) if witnesses else None
    note = witnessed if witnessed is not None else log.checkpoint()
    checkpoint = verify_checkpoint(note, log.verifiers())
    cosigned = tuple(verify_cosignatures(note, [w.verifier for w in witnesses])
                     if witnessed is not None else ())
    families = Families(decider.library.directory)
    if counted is None:
        report = report_from_log(log, families=families, min_cell=min_cell,
                                 size=checkpoint.size)
    else:
        report = counted.report(log, families, checkpoint, min_cell)
    return Published(note, checkpoint, report, cosigned,
                     awaiting_witnesses=bool(witnesses) and witnessed is None)


def witnesses_of(request: Request) -> Sequence[WitnessEndpoint]:
    """The witnesses the app publishes to (none when it has none)."""
    witnesses: Sequence[WitnessEndpoint] = getattr(request.app.state, "witnesses", ())
    return witnesses


def charts(report: TransparencyReport, lang: str,
           counted: Counted | None = None) -> dict[str, Chart]:
    """The report's charts in ``lang``, by table name (none for a table with no rows); those
    ``counted`` drew before for the same counts are not drawn again."""
    gettext = i18n.catalog(lang).gettext

    def word(w: str) -> str:
        return gettext(WORDS[w]) if w in WORDS else w

    small = gettext("fewer than %(n)s") % {"n": report.min_cell}
    tables = {t.name: t for t in report.tables}
    out: dict[str, Chart] = {}
    for name, (by, title, axis) in CHARTS.items():
        def draw(table: Table = tables[name], by: Literal["rows", "columns"] = by,
                 title: str = title, axis: str = axis) -> Chart | None:
            return table_chart(table, gettext(title), by=by, axis=gettext(axis), word=word,
                               small=small, withheld=gettext("withheld"))

        chart = (counted.chart(lang, report.min_cell, tables[name], draw)
                 if counted is not None else draw())
        if chart is not None:
            out[name] = chart
    return out


@router.get("/transparency", response_class=HTMLResponse)
def transparency_page(request: Request, log: LogDep, decider: DeciderDep,
                      settings: SettingsDep) -> Response:
    """The tables, the checkpoint they were counted at, and how to check them yourself."""
    counted = counted_of(request)
    shown = published(log, decider, min_cell=settings.report_min_cell,
                      witnesses=witnesses_of(request), counted=counted)
    drawn = charts(shown.report, i18n.language_of(request), counted)
    return templates.TemplateResponse(request, "transparency.html", {
        "shown": shown, "report": shown.report, "n": shown.report.min_cell,
        "words": WORDS, "titles": TITLES, "charts": drawn,
        "base": str(request.base_url).rstrip("/")})


@router.get("/transparency/{name}.csv")
def transparency_csv(request: Request, name: str, log: LogDep, decider: DeciderDep,
                     settings: SettingsDep) -> Response:
    """One table (or ``exceptions``) as CSV, the same file ``report transparency --csv-dir``
    writes; 404 when there is no such table."""
    shown = published(log, decider, min_cell=settings.report_min_cell,
                      witnesses=witnesses_of(request), counted=counted_of(request))
    tables = {t.name: t for t in shown.report.tables}
    if name == EXCEPTIONS:
        return _csv(name, exceptions_csv(shown.report), shown)
    if name not in tables:
        raise HTTPException(404, f"There is no table {name!r}; the tables are "
                                 f"{', '.join(tables)}.")
    return _csv(name, table_csv(tables[name], shown.report.min_cell), shown)


def _csv(name: str, text: str, shown: Published) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"',
        "X-Log-Size": str(shown.checkpoint.size), "X-Log-Root-Hash": shown.root_hash})
