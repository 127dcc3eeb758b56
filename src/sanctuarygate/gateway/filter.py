"""Structured filters: (field, operator, value), validated against the catalog. No SQL from
clients: values only ever become bound parameters.

>>> f = parse_filter({"field": "charge", "op": "eq", "value": "burglary"}, {"charge"})
>>> f.field, f.op
('charge', 'eq')
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.sql.expression import ColumnClause

from sanctuarygate.domain.vocabulary import FILTER_OPERATORS
from sanctuarygate.errors import InputError

OPERATORS = FILTER_OPERATORS
MAX_IN = 100
MAX_TEXT = 200
Scalar = str | int | bool | None


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    op: str
    value: Scalar | tuple[Scalar, ...] = None

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"field": self.field, "op": self.op, "value": value}


def _scalar(value: Any, where: str) -> Scalar:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InputError(f"value longer than {MAX_TEXT} characters", field=where)
        return value
    raise InputError(f"value must be text, a whole number, true/false or null, got {value!r}",
                     field=where)


def parse_filter(raw: Any, fields: Collection[str], *, where: str = "filters") -> Filter:
    """Validate one filter against the dataset's field names; InputError names what is wrong."""
    if not isinstance(raw, Mapping):
        raise InputError("a filter is {field, op, value}", field=where)
    extra = sorted(set(raw) - {"field", "op", "value"})
    if extra:
        raise InputError(f"unexpected key(s) {', '.join(extra)}", field=where)
    name, op = raw.get("field"), raw.get("op", "eq")
    if not isinstance(name, str) or name not in fields:
        raise InputError(f"no field {name!r} in this dataset", field=f"{where}.field")
    if op not in OPERATORS:
        raise InputError(f"operator must be one of {', '.join(OPERATORS)}", field=f"{where}.op")
    value = raw.get("value")
    if op in ("is-null", "not-null"):
        return Filter(name, op)
    if op == "in":
        if not isinstance(value, list) or not 0 < len(value) <= MAX_IN:
            raise InputError(f"'in' takes a list of 1 to {MAX_IN} values", field=f"{where}.value")
        return Filter(name, op, tuple(_scalar(v, f"{where}.value") for v in value))
    if op == "prefix" and not isinstance(value, str):
        raise InputError("'prefix' takes text", field=f"{where}.value")
    if value is None:
        raise InputError(f"'{op}' needs a value (use is-null for nulls)", field=f"{where}.value")
    return Filter(name, op, _scalar(value, f"{where}.value"))


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
