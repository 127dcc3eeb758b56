"""Streaming a planned query: rows read with a server-side cursor, watermarked, encoded as JSON
lines or CSV, in constant memory. The stream ends with a trailer carrying the terms; any error
ends it with an explicit error record instead. No withheld column is ever selected.

CSV is safe to open in a spreadsheet: a text value that starts with ``=``, ``+``, ``-``, ``@``,
TAB or CR (a formula to a spreadsheet: ``=HYPERLINK(...)`` can send other cells away) is
written with a leading ``'``, as OWASP recommends for CSV injection, and so is one that already
starts with ``'`` followed by one of those, so a reader can undo it (``unneutralise``). The
watermark is computed over the values before this, and the trailer says so (``about``).

Rows travel in batches: the rows of each database fetch (``BATCH`` rows) go out as one chunk of
the response, so the web server hands a chunk to its event loop once per fetch, not once per
row, and nothing already read waits behind the next fetch. For JSON lines a fetch is encoded
column by column (``Rows.json_lines``) with the json module's own string and integer encoders:
the bytes are those of ``json.dumps`` row by row. A column holding any other type, or any
failure, sends that fetch down the row-by-row path, which fails where it always did: the rows
before the failure go out, then the error record.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, select

from sanctuarygate.gateway.filter import condition
from sanctuarygate.gateway.plan import Plan
from sanctuarygate.gateway.records import view_of
from sanctuarygate.gateway.watermark import DESCRIPTION, TAG_FIELD, tagger

BATCH = 1000
_NONE = type(None)
#: Types ``_plain`` returns unchanged (exact types: a subclass goes through ``_plain``).
_AS_IS = frozenset({str, int, float, bool, _NONE})
_DATES = frozenset({dt.date, _NONE})
#: ``json.dumps(row, ensure_ascii=False, separators=(",", ":"))`` without a new encoder per row.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: The function that encoder applies to every str (keys and values) when ``ensure_ascii=False``.
_json_str = json.encoder.encode_basestring
#: A text cell a spreadsheet would take for a formula (after any ``'`` already neutralising it).
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
#: What the trailer says about the extract's format, by format (``about``).
ABOUT = {
    "jsonl": [DESCRIPTION],
    "csv": [DESCRIPTION, "csv: a text value starting with = + - @ TAB or CR (a spreadsheet "
            "formula) is written with a leading ' (OWASP, CSV injection), and so is one starting "
            "with ' followed by one of those; remove one leading ' from such a cell to read the "
            "value"],
}


def neutralise(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text that a spreadsheet reads as a formula gets a
    leading ``'`` (see the module docstring); anything else is unchanged.

    >>> neutralise("=SUM(A1)"), neutralise("-1"), neutralise("'=1"), neutralise(-1)
    ("'=SUM(A1)", "'-1", "''=1", -1)
    >>> neutralise("O'Brien"), neutralise("a=b")
    ("O'Brien", 'a=b')
    """
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def unneutralise(cell: str) -> str:
    """The value of a CSV cell the gateway wrote (``neutralise`` undone).

    >>> [unneutralise(neutralise(v)) for v in ["=1", "'=1", "''@x", "'a", "-"]]
    ['=1', "'=1", "''@x", "'a", '-']
    """
    if cell[:1] == "'" and _FORMULA.match(cell, 1):
        return cell[1:]
    return cell


def select_rows(plan: Plan) -> Any:
    """The SQL for a plan: only released columns (plus the row key), the packs' row rules and
    the caller's filters as bound parameters, a stable order, the limit."""
    key = plan.key_field
    names = list(dict.fromkeys([key, *plan.released]))
    view = view_of(plan.dataset)  # typed columns; only `names` are selected
    query = select(*[view.c[n] for n in names])
    for f in (*(r.filter for r in plan.row_rules), *plan.spec.filters):
        query = query.where(condition(f, view.c[f.field]))
    order = view.c[plan.spec.sort] if plan.spec.sort else view.c[key]
    query = query.order_by(order.desc() if plan.spec.descending else order.asc())
    if plan.spec.sort and plan.spec.sort != key:
        query = query.order_by(view.c[key].asc())
    return query.limit(plan.spec.limit)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _plain_column(values: Sequence[Any]) -> Sequence[Any]:
    """``_plain`` of every value of a column."""
    kinds = set(map(type, values))
    if kinds <= _AS_IS:
        return values
    if kinds <= _DATES:
        iso = dt.date.isoformat
        return [None if v is None else iso(v) for v in values]
    return [v if type(v) in _AS_IS else _plain(v) for v in values]


def _json_column(values: Sequence[Any]) -> list[str] | None:
    """The JSON text of every value of a column, as json writes it (str: ``encode_basestring``,
    int: ``int.__repr__``, None: ``null``); None if the column holds another type.

    >>> _json_column(["é", None]), _json_column([7, None]), _json_column([1.5])
    (['"é"', 'null'], ['7', 'null'], None)
    """
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(_json_str, values))
    if kinds <= {int}:
        return list(map(int.__repr__, values))
    if kinds <= {str, _NONE}:
        return ["null" if v is None else _json_str(v) for v in values]
    if kinds <= {int, _NONE}:
        return ["null" if v is None else int.__repr__(v) for v in values]
    return None


def _text_column(values: Sequence[Any]) -> Sequence[str]:
    """``watermark.text`` of every (plain) value of a column.

    >>> _text_column(["a", None]), _text_column([7, None])
    (['a', ''], ['7', ''])
    """
    kinds = set(map(type, values))
    if kinds <= {str}:
        return values
    if kinds <= {str, _NONE}:
        return ["" if v is None else v for v in values]
    return ["" if v is None else str(v) for v in values]


#: Told each fetch's row keys and value texts (released columns) before any of it is sent.
Sink = Callable[[Sequence[str], Sequence[Sequence[str]]], None]


class Rows:
    """The released rows of a plan with the recipient's watermark, read from the database one
    fetch (``BATCH`` rows) at a time. Iterate it for one dict per row; ``encode`` takes whole
    fetches (``fetches``) and turns each into one chunk (``json_lines``, or ``records``)."""

    def __init__(self, engine: Engine, plan: Plan, key: bytes, sink: Sink | None = None) -> None:
        self._engine, self._plan, self._sink = engine, plan, sink
        self._released = plan.released
        names = list(dict.fromkeys([plan.key_field, *plan.released]))  # as select_rows: key first
        self._at = [names.index(n) for n in plan.released]
        self._tag = tagger(key, plan.agency, plan.dataset.id, plan.released)
        #: The last fetch, its columns made plain, and its rows' tags (``_mark``).
        self._marked: tuple[Sequence[Any], list[Sequence[Any]], list[str]] | None = None
        keys = [_json_str(n).replace("%", "%%") for n in (*plan.released, TAG_FIELD)]
        self._template = "{" + ",".join(k + ":%s" for k in keys) + "}\n"

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for fetch in self.fetches():
            yield from self.records(fetch)

    def fetches(self) -> Iterator[Sequence[Any]]:
        """The selected rows (row key first), one list per fetch of the server-side cursor."""
        with self._engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                select_rows(self._plan))
            try:
                for fetch in result.partitions():
                    self._marked = (fetch, *self._mark(fetch))
                    yield fetch
            finally:  # close the server-side cursor, even when its connection has died
                with contextlib.suppress(Exception):
                    result.close()

    def _mark(self, fetch: Sequence[Any]) -> tuple[list[Sequence[Any]], list[str]]:
        """The released columns of a fetch made plain, and each row's tag (over the texts of
        its released values); the sink, if any, is told first."""
        columns = list(zip(*fetch, strict=True)) if fetch else []
        plain = [_plain_column(columns[i]) for i in self._at] if columns else []
        texts = [_text_column(c) for c in plain]
        if self._sink is not None:
            self._sink([str(k) for k in columns[0]] if columns else [], texts)
        return plain, list(map(self._tag, zip(*texts, strict=True)))

    def _marks(self, fetch: Sequence[Any]) -> tuple[list[Sequence[Any]], list[str]]:
        if self._marked is not None and self._marked[0] is fetch:
            return self._marked[1], self._marked[2]
        return self._mark(fetch)

    def records(self, fetch: Sequence[Any]) -> Iterator[dict[str, Any]]:
        """One dict per row: the released values made plain, then the watermark."""
        plain, tags = self._marks(fetch)
        released = self._released
        for values, tag in zip(zip(*plain, strict=True), tags, strict=True):
            data = dict(zip(released, values, strict=True))
            data[TAG_FIELD] = tag
            yield data

    def json_lines(self, fetch: Sequence[Any]) -> bytes | None:
        """The JSON lines of ``records(fetch)``, encoded column by column; None if a column
        holds a type only json encodes, or if anything fails (then use ``records``)."""
        try:
            plain, tags = self._marks(fetch)
            texts: list[list[str]] = []
            for values in plain:
                text = _json_column(values)
                if text is None:
                    return None
                texts.append(text)
            texts.append(list(map(_json_str, tags)))
            template = self._template
            return "".join([template % values for values in zip(*texts, strict=True)]).encode()
        except Exception:
            return None


def rows(engine: Engine, plan: Plan, key: bytes, sink: Sink | None = None) -> Rows:
    """Released rows as dicts with the recipient's watermark, read in batches; ``sink`` (the
    release ledger's writer) is told each fetch's row keys and values before it is sent.

    >>> import datetime as dt
    >>> from sqlalchemy import create_engine
    >>> from sanctuarygate.demo.records import generate
    >>> from sanctuarygate.gateway.plan import parse_spec, plan_query
    >>> from sanctuarygate.policy.decide import Decider
    >>> from sanctuarygate.policy.default import default_library
    >>> engine = create_engine("sqlite://")
    >>> _ = generate(engine, rows=3, seed=1)
    >>> decider = Decider(default_library())
    >>> spec = parse_spec({"dataset": "cpd-arrests", "purpose": "criminal-investigation"},
    ...                   decider.library.catalog)
    >>> plan = plan_query(decider, spec, agency="FBI", profile="chicago", day=dt.date(2025, 11, 3))
    >>> got = list(rows(engine, plan, b"k" * 32))
    >>> len(got), "citizenship" in got[0], len(got[0]["_wm"])
    (3, False, 32)
    >>> body = b"".join(encode(plan, rows(engine, plan, b"k" * 32), lambda n: {"rows": n},
    ...                        lambda exc, n: {}))
    >>> trailer = json.loads(body.splitlines()[-1])["_trailer"]
    >>> trailer["rows"], trailer["about"][0][:4]
    (3, '_wm:')
    >>> body.splitlines()[0] == _dumps(got[0]).encode()
    True
    """
    return Rows(engine, plan, key, sink)


def encode(plan: Plan, source: Iterable[dict[str, Any]],
           trailer: Callable[[int], Mapping[str, Any]],
           on_error: Callable[[Exception, int], Mapping[str, Any]],
           on_abort: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """Encode rows as the plan's format; end with the trailer, or with an error record.

    A ``Rows`` source is sent one chunk per database fetch; any other iterable one chunk per row.
    Closed before the end (the client hung up: ``close()`` raises GeneratorExit at the chunk
    being handed over), it calls ``on_abort`` with the rows handed over so far and stops.
    """
    count = 0
    header = [*plan.released, TAG_FIELD]
    as_csv = plan.spec.format == "csv"
    buf = io.StringIO()
    # CRLF, as RFC 4180 says: the writer then quotes a value holding a lone CR too, which it
    # does not under "\n" (a CR would end the row in a spreadsheet: a row injection).
    writer = csv.writer(buf, lineterminator="\r\n")
    if as_csv:
        writer.writerow(header)
        yield buf.getvalue().encode()
    groups: Iterator[Sequence[Any]]
    records: Callable[[Sequence[Any]], Iterable[dict[str, Any]]]
    json_lines: Callable[[Sequence[Any]], bytes | None] = _no_lines
    if isinstance(source, Rows):
        groups, records = source.fetches(), source.records
        if not as_csv:
            json_lines = source.json_lines
    else:
        groups, records = ([row] for row in source), iter
    dumps = _dumps
    chunk: list[bytes] = []
    try:
        for group in groups:
            lines = json_lines(group)
            if lines is not None:
                count += len(group)
                yield lines
                continue
            for row in records(group):
                count += 1
                if as_csv:
                    buf.seek(0)
                    buf.truncate()
                    writer.writerow([neutralise(row.get(h)) for h in header])
                    chunk.append(buf.getvalue().encode())
                else:
                    chunk.append((dumps(row) + "\n").encode())
            if chunk:
                data = b"".join(chunk)
                chunk.clear()
                yield data
    except GeneratorExit:  # closed mid-stream: nothing more can be sent, only recorded
        if on_abort is not None:
            on_abort(count)
        raise
    except Exception as exc:  # the stream ends with an explicit error record, never silently
        if chunk:  # the rows encoded before the failure
            data = b"".join(chunk)
            chunk.clear()
            yield data
        record = on_error(exc, count)
        yield _final("_error", record, plan.spec.format)
        return
    yield _final("_trailer", {**trailer(count), "about": ABOUT[plan.spec.format]},
                 plan.spec.format)


def _no_lines(group: Sequence[Any]) -> None:
    return None


def _final(kind: str, record: Mapping[str, Any], fmt: str) -> bytes:
    text = json.dumps({kind: record}, ensure_ascii=False, separators=(",", ":"))
    return (f"# {text}\r\n" if fmt == "csv" else text + "\n").encode()
