"""Streaming a planned query: rows read with a server-side cursor, watermarked, encoded as JSON
lines or CSV, in constant memory. The stream ends with a trailer carrying the terms; any error
ends it with an explicit error record instead. No withheld column is ever selected.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy import Engine, select

from sanctuarygate.gateway.filter import condition
from sanctuarygate.gateway.plan import Plan
from sanctuarygate.gateway.records import view_of
from sanctuarygate.gateway.watermark import TAG_FIELD, row_tag

BATCH = 1000


def select_rows(plan: Plan) -> Any:
    """The SQL for a plan: only released columns (plus the row key), filters as bound
    parameters, a stable order, the limit."""
    key = plan.key_field
    names = list(dict.fromkeys([key, *plan.released]))
    view = view_of(plan.dataset)  # typed columns; only `names` are selected
    query = select(*[view.c[n] for n in names])
    for f in plan.spec.filters:
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


def rows(engine: Engine, plan: Plan, key: bytes) -> Iterator[dict[str, Any]]:
    """Released rows as dicts with the recipient's watermark, read in batches."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
            select_rows(plan))
        try:
            for row in result:
                data = row._mapping
                out = {n: _plain(data[n]) for n in plan.released}
                out[TAG_FIELD] = row_tag(key, plan.agency, plan.dataset.id,
                                         str(data[plan.key_field]))
                yield out
        finally:  # close the server-side cursor, even when its connection has died
            with contextlib.suppress(Exception):
                result.close()


def encode(plan: Plan, source: Iterator[dict[str, Any]], trailer: Callable[[int], Mapping[str, Any]],
           on_error: Callable[[Exception, int], Mapping[str, Any]]) -> Iterator[bytes]:
    """Encode rows as the plan's format; end with the trailer, or with an error record."""
    count = 0
    header = [*plan.released, TAG_FIELD]
    if plan.spec.format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        yield buf.getvalue().encode()
    try:
        for row in source:
            count += 1
            if plan.spec.format == "csv":
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerow([row.get(h) for h in header])
                yield buf.getvalue().encode()
            else:
                yield (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    except Exception as exc:  # the stream ends with an explicit error record, never silently
        record = on_error(exc, count)
        yield _final("_error", record, plan.spec.format)
        return
    yield _final("_trailer", trailer(count), plan.spec.format)


def _final(kind: str, record: Mapping[str, Any], fmt: str) -> bytes:
    text = json.dumps({kind: record}, ensure_ascii=False, separators=(",", ":"))
    return (f"# {text}\n" if fmt == "csv" else text + "\n").encode()
