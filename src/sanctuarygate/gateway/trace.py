"""Tracing a leaked extract: which agency received these rows?

Reads JSON lines or CSV as the gateway wrote them (header, rows, ``#``-comment trailer), and
for every row with a watermark tries each agency and each dataset whose key column the row
carries. Rows whose tag matches no agency are counted as untraceable (edited or not ours).

>>> import json
>>> from sanctuarygate.gateway.watermark import row_tag
>>> key = b"k" * 32
>>> line = json.dumps({"arrest_id": 7, "_wm": row_tag(key, "DEA", "cpd-arrests", "7")})
>>> dict(trace_lines([line], key, ["FBI", "DEA"], {"cpd-arrests": "arrest_id"}).recipients)
{('DEA', 'cpd-arrests'): 1}
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sanctuarygate.errors import InputError
from sanctuarygate.gateway.watermark import TAG_FIELD, recipient


@dataclass(slots=True)
class TraceReport:
    rows: int = 0
    recipients: Counter[tuple[str, str]] = field(default_factory=Counter)
    untraceable: int = 0


def _match(row: Mapping[str, Any], key: bytes, agencies: Sequence[str],
           key_fields: Mapping[str, str]) -> tuple[str, str] | None:
    tag = row.get(TAG_FIELD)
    if not isinstance(tag, str):
        return None
    for dataset, key_field in key_fields.items():
        if key_field in row and row[key_field] is not None:
            who = recipient(key, agencies, dataset, str(row[key_field]), tag)
            if who:
                return who, dataset
    return None


def trace_rows(records: Iterable[Mapping[str, Any]], key: bytes, agencies: Sequence[str],
               key_fields: Mapping[str, str]) -> TraceReport:
    report = TraceReport()
    for row in records:
        report.rows += 1
        found = _match(row, key, agencies, key_fields)
        if found:
            report.recipients[found] += 1
        else:
            report.untraceable += 1
    return report


def _json_rows(lines: Iterable[str]) -> Iterable[Mapping[str, Any]]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"line {n} is not JSON") from None
        if isinstance(value, dict) and not ({"_trailer", "_error"} & set(value)):
            yield value


def trace_lines(lines: Iterable[str], key: bytes, agencies: Sequence[str],
                key_fields: Mapping[str, str]) -> TraceReport:
    """Trace JSON lines."""
    return trace_rows(_json_rows(lines), key, agencies, key_fields)


def trace_file(path: Path, key: bytes, agencies: Sequence[str],
               key_fields: Mapping[str, str]) -> TraceReport:
    """Trace a JSON-lines or CSV extract (told apart by its first character)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if text.lstrip().startswith("{"):
        return trace_lines(text.splitlines(), key, agencies, key_fields)
    body = [ln for ln in text.splitlines() if not ln.startswith("#")]
    return trace_rows(csv.DictReader(body), key, agencies, key_fields)
