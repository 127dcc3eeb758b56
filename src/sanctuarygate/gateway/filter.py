"""Structured filters: (field, operator, value), validated against the catalog. No SQL from
clients: values only ever become bound parameters, typed as the catalog types the column
(a date filter takes ``YYYY-MM-DD``, an integer filter a whole number), so a value the column
cannot hold is refused before any row is read, not by the database halfway through a stream.

>>> f = parse_filter({"field": "charge", "op": "eq", "value": "burglary"}, {"charge": "text"})
>>> f.field, f.op
('charge', 'eq')
>>> parse_filter({"field": "issued_on", "op": "ge", "value": "2024-01-31"},
...              {"issued_on": "date"}).value
datetime.date(2024, 1, 31)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.sql.expression import ColumnClause

from sanctuarygate.domain.vocabulary import FILTER_OPERATORS
from sanctuarygate.errors import InputError

OPERATORS = FILTER_OPERATORS
MAX_IN = 100
MAX_TEXT = 200
Scalar = str | int | dt.date


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    op: str
    value: Scalar | tuple[Scalar, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        value = ([_plain(v) for v in self.value] if isinstance(self.value, tuple)
                 else _plain(self.value))
        return {"field": self.field, "op": self.op, "value": value}


def _plain(value: Scalar | None) -> str | int | None:
    return value.isoformat() if isinstance(value, dt.date) else value


#: What PostgreSQL's INTEGER (the catalog's ``integer``, bound as ``::INTEGER``) can hold.
INT_RANGE = range(-(2**31), 2**31)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _scalar(value: Any, kind: str, where: str) -> Scalar:
    """A value as the column's type holds it, on SQLite and PostgreSQL alike; InputError when
    it cannot hold it (so the database never refuses it halfway through a stream)."""
    if kind == "integer":
        number = (value if isinstance(value, int) and not isinstance(value, bool) else
                  int(value) if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,10}", value)
                  else None)
        if number is None or number not in INT_RANGE:
            raise InputError(f"a whole number from {INT_RANGE.start} to {INT_RANGE.stop - 1}, "
                             f"got {value!r}", field=where)
        return number
    if not isinstance(value, str):
        raise InputError(f"text{' (a date YYYY-MM-DD)' if kind == 'date' else ''}, got {value!r}",
                         field=where)
    if len(value) > MAX_TEXT:
        raise InputError(f"value longer than {MAX_TEXT} characters", field=where)
    if "\x00" in value or not _encodable(value):
        raise InputError("text with a NUL character or an unpaired surrogate, which no column "
                         "holds", field=where)
    if kind == "date":
        try:
            if not ISO_DATE.fullmatch(value):
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            raise InputError(f"a date as YYYY-MM-DD, got {value!r}", field=where) from None
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_filter(raw: Any, types: Mapping[str, str], *, where: str = "filters") -> Filter:
    """Validate one filter against the dataset's fields and their catalog types
    (``{name: "text" | "integer" | "date"}``); InputError names what is wrong."""
    if not isinstance(raw, Mapping):
        raise InputError("a filter is {field, op, value}", field=where)
    extra = sorted(set(raw) - {"field", "op", "value"})
    if extra:
        raise InputError(f"unexpected key(s) {', '.join(extra)}", field=where)
    name, op = raw.get("field"), raw.get("op", "eq")
    if not isinstance(name, str) or name not in types:
        raise InputError(f"no field {name!r} in this dataset", field=f"{where}.field")
    if op not in OPERATORS:
        raise InputError(f"operator must be one of {', '.join(OPERATORS)}", field=f"{where}.op")
    value = raw.get("value")
    if op in ("is-null", "not-null"):
        return Filter(name, op)
    if op == "in":
        if not isinstance(value, list) or not 0 < len(value) <= MAX_IN:
            raise InputError(f"'in' takes a list of 1 to {MAX_IN} values", field=f"{where}.value")
        if None in value:
            raise InputError("'in' takes no null (use is-null for nulls)", field=f"{where}.value")
        return Filter(name, op, tuple(_scalar(v, types[name], f"{where}.value") for v in value))
    if op == "prefix" and types[name] != "text":
        raise InputError(f"'prefix' applies to text fields; {name} is {types[name]}",
                         field=f"{where}.op")
    if value is None:
        raise InputError(f"'{op}' needs a value (use is-null for nulls)", field=f"{where}.value")
    return Filter(name, op, _scalar(value, types[name], f"{where}.value"))


def condition(f: Filter, column: ColumnClause[Any]) -> ColumnElement[bool]:
    """The SQL condition for a filter, with the value as a bound parameter."""
    v = f.value
    match f.op:
        case "eq":
            return column == v
        case "ne":
            return column != v
        case "lt":
            return column < v
        case "le":
            return column <= v
        case "gt":
            return column > v
        case "ge":
            return column >= v
        case "in":
            return column.in_(list(v) if isinstance(v, tuple) else [v])
        case "prefix":
            text = str(v).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return column.like(text + "%", escape="\\")
        case "is-null":
            return column.is_(None)
        case _:
            return column.is_not(None)
