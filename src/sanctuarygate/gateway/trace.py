"""Tracing a leaked extract: which agency received these rows?

Reads JSON lines, or CSV as the gateway wrote it or as a spreadsheet saved it again: the
delimiter (``,`` ``;`` or tab) is read from the header, a UTF-8 BOM or UTF-16 is recognised
(Windows code page 1252 when the bytes are not UTF-8), quoted values may span lines (a
continuation line starting with ``#`` is data, not a trailer), header names and hex tags are
read in any case, and the gateway's CSV neutralising ``'`` is undone.

Each row is traced in turn:

1. **watermark**: its ``_wm`` tag is checked against each agency, for each dataset holding
   all the row's columns (the tag binds the values, so no key column is needed);
2. **release ledger** (no watermark, or one that does not verify): the city's private record
   of which rows went to whom (``gateway/ledger.py``) names every recipient of a row with
   these values.

Rows neither names are counted as untraceable (edited, or not ours).

>>> import json
>>> from sanctuarygate.domain.dataset import Catalog
>>> from sanctuarygate.gateway.watermark import row_tag
>>> catalog = Catalog.from_mapping({"datasets": [
...     {"id": "cpd-arrests", "keeper": "CPD", "fields": {"arrest_id": [], "charge": []}}]})
>>> key = b"k" * 32
>>> row = {"arrest_id": 7, "charge": "THEFT"}
>>> line = json.dumps({**row, "_wm": row_tag(key, "DEA", "cpd-arrests", row).upper()})
>>> dict(trace_lines([line], key, ["FBI", "DEA"], catalog).recipients)
{('DEA', 'cpd-arrests'): 1}
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sanctuarygate.domain.dataset import Catalog, Dataset
from sanctuarygate.errors import InputError
from sanctuarygate.gateway.stream import unneutralise
from sanctuarygate.gateway.watermark import TAG_FIELD, tagger, text

#: A row as trace reads it: lower-case column name -> the value's text (``watermark.text``).
Row = dict[str, str]
DELIMITERS = (",", ";", "\t")


class Matcher(Protocol):
    """Names who received rows with these values (the release ledger's ``LedgerMatcher``)."""

    def recipients(self, dataset: Dataset, row: Mapping[str, str]) -> set[tuple[str, int]]:
        """(agency, query log index) of every release of ``dataset`` that held this row."""
        ...


@dataclass(slots=True)
class TraceReport:
    """What a trace found: rows read; rows whose watermark names (agency, dataset); rows the
    release ledger matched, by (agency, dataset) (a row counts once for each recipient), with
    the ``query`` log entries of those releases; rows nothing traced."""

    rows: int = 0
    recipients: Counter[tuple[str, str]] = field(default_factory=Counter)
    matched: Counter[tuple[str, str]] = field(default_factory=Counter)
    queries: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    untraceable: int = 0

    @property
    def found(self) -> bool:
        return bool(self.recipients or self.matched)


class _Tags:
    """Checks rows' tags; one keyed HMAC prefix per (agency, dataset, columns), made once."""

    def __init__(self, key: bytes, agencies: Sequence[str]) -> None:
        self._key, self._agencies = key, agencies
        self._made: dict[tuple[str, str, tuple[str, ...]], Callable[[Sequence[str]], str]] = {}

    def recipient(self, ds: Dataset, names: tuple[str, ...], texts: Sequence[str],
                  tag: str) -> str | None:
        for agency in self._agencies:
            made = self._made.get((agency, ds.id, names))
            if made is None:
                made = self._made[agency, ds.id, names] = tagger(self._key, agency, ds.id, names)
            if made(texts) == tag:
                return agency
        return None


def _datasets(catalog: Catalog, columns: Iterable[str]) -> list[tuple[Dataset, tuple[str, ...]]]:
    """Datasets holding every column, each with the columns in its catalog order."""
    wanted = set(columns)
    out = []
    for ds in catalog:
        names = tuple(n for n, _ in ds.fields if n in wanted)
        if len(names) == len(wanted):
            out.append((ds, names))
    return out


def trace_rows(records: Iterable[Mapping[str, str]], key: bytes, agencies: Sequence[str],
               catalog: Catalog, matcher: Matcher | None = None) -> TraceReport:
    """Trace rows read by ``read_rows`` (see the module docstring)."""
    report = TraceReport()
    tags = _Tags(key, agencies)
    candidates: dict[frozenset[str], list[tuple[Dataset, tuple[str, ...]]]] = {}
    known = {n for ds in catalog for n, _ in ds.fields}
    for record in records:
        report.rows += 1
        tag = record.get(TAG_FIELD, "").strip().lower()
        # Columns no dataset has (a spreadsheet's own notes) were never released: set aside.
        row = {k: v for k, v in record.items() if k in known}
        if not row:
            report.untraceable += 1
            continue
        columns = frozenset(row)
        if columns not in candidates:
            candidates[columns] = _datasets(catalog, columns)
        if tag and tag.isascii():
            found = next(((who, ds.id) for ds, names in candidates[columns]
                          if (who := tags.recipient(ds, names, [row[n] for n in names], tag))),
                         None)
            if found:
                report.recipients[found] += 1
                continue
        if matcher is not None and _ledger(report, matcher, candidates[columns], row):
            continue
        report.untraceable += 1
    return report


def _ledger(report: TraceReport, matcher: Matcher,
            candidates: Sequence[tuple[Dataset, tuple[str, ...]]], row: Row) -> bool:
    hit = False
    for ds, _ in candidates:
        by_agency: dict[str, set[int]] = {}
        for agency, query in matcher.recipients(ds, row):
            by_agency.setdefault(agency, set()).add(query)
        for agency, queries in by_agency.items():
            report.matched[agency, ds.id] += 1
            report.queries.setdefault((agency, ds.id), set()).update(queries)
            hit = True
    return hit


def _json_rows(lines: Iterable[str]) -> Iterator[Row]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"line {n} is not JSON") from None
        if isinstance(value, dict) and not ({"_trailer", "_error"} & set(value)):
            yield {str(k).strip().lower(): text(v) for k, v in value.items()}


def trace_lines(lines: Iterable[str], key: bytes, agencies: Sequence[str], catalog: Catalog,
                matcher: Matcher | None = None) -> TraceReport:
    """Trace JSON lines."""
    return trace_rows(_json_rows(lines), key, agencies, catalog, matcher)


def _delimiter(first_line: str, known: set[str]) -> str:
    """The delimiter that splits the header into the most known column names (then the most
    columns); ``,`` when nothing tells them apart."""
    def score(d: str) -> tuple[int, int]:
        cells = next(csv.reader([first_line], delimiter=d), [])
        return sum(c.strip().lower() in known for c in cells), len(cells)
    return max(DELIMITERS, key=score)  # max keeps the first of equals: ","


def _is_trailer(cells: Sequence[str]) -> bool:
    """The gateway's closing comment (``# {"_trailer": ...}`` or ``_error``), however a
    spreadsheet split or quoted it; a value starting with ``#`` is not one."""
    return cells[0].lstrip().startswith("#") and any(
        '"_trailer"' in c or '"_error"' in c for c in cells)


def csv_rows(text: str, known: set[str]) -> Iterator[Row]:
    """The rows of a CSV extract (see the module docstring); ``known`` are the column names the
    delimiter is guessed from."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first, known))
    header: list[str] | None = None
    try:
        for cells in reader:
            if not any(c.strip() for c in cells) or _is_trailer(cells):
                continue
            if header is None:
                header = [c.strip().lower() for c in cells]
                continue
            yield {h: unneutralise(c) for h, c in zip(header, cells, strict=False) if h}
    except csv.Error as exc:
        raise InputError(f"not CSV: {exc}") from None


def decode(data: bytes) -> str:
    """An extract's text: UTF-16 or UTF-8 (a BOM removed), else Windows code page 1252 (what
    spreadsheets save), else Latin-1."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def read_rows(path: Path, catalog: Catalog) -> Iterator[Row]:
    """The rows of a JSON-lines or CSV extract (told apart by the first character)."""
    try:
        content = decode(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if content.lstrip().startswith("{"):
        return _json_rows(content.splitlines())
    known = {n for ds in catalog for n, _ in ds.fields} | {TAG_FIELD}
    return csv_rows(content, known)


def trace_file(path: Path, key: bytes, agencies: Sequence[str], catalog: Catalog,
               matcher: Matcher | None = None) -> TraceReport:
    """Trace a JSON-lines or CSV extract."""
    return trace_rows(read_rows(path, catalog), key, agencies, catalog, matcher)


def as_rows(values: Iterable[Mapping[str, Any]]) -> list[Row]:
    """Rows as trace reads them, from dicts of values (tests, scripts).

    >>> as_rows([{"Charge": "THEFT", "district": None}])
    [{'charge': 'THEFT', 'district': ''}]
    """
    return [{str(k).strip().lower(): text(v) for k, v in r.items()} for r in values]
