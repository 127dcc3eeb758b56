"""The catalog of datasets a request may name, with tagged, typed fields.

Each dataset names the view (``table``) in the city's records database that holds exactly its
fields; the first field is the dataset's unique, stable key. A field is written either as its
list of tags (type ``text``) or as ``{tags: [...], type: integer | text | date}``.

>>> c = Catalog.from_mapping({"datasets": [{"id": "d-x", "keeper": "CPD",
...     "fields": {"n": {"type": "integer"}, "birthplace": ["birthplace"]}}]})
>>> ds = c.get("d-x")
>>> sorted(ds.tags), ds.table, ds.key, ds.field_type("n"), ds.field_type("birthplace")
(['birthplace'], 'd_x', 'n', 'integer', 'text')
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sanctuarygate.errors import PolicyLoadError, UnknownDatasetError

#: The field types a catalog may name; each maps to one SQL column type.
FIELD_TYPES = ("integer", "text", "date")
#: Table (view) and field names: plain lower-case SQL identifiers, never quoted or escaped.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class Dataset:
    id: str
    title: str
    keeper: str
    fields: tuple[tuple[str, frozenset[str]], ...]
    #: The view in the records database whose columns are exactly ``fields``.
    table: str = ""
    #: Each field's type, in ``fields`` order (``text`` when the catalog names none).
    types: tuple[str, ...] = ()

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(t for _, tags in self.fields for t in tags)

    @property
    def key(self) -> str:
        """The first field: unique and stable, the order rows are read in."""
        return self.fields[0][0]

    @property
    def field_types(self) -> dict[str, str]:
        """Each field's type (``integer``, ``text`` or ``date``), in catalog order."""
        return dict(zip((name for name, _ in self.fields),
                        self.types or ("text",) * len(self.fields), strict=True))

    def field_type(self, name: str) -> str:
        """The type of one field; KeyError if there is none."""
        return self.field_types[name]


def _field(name: Any, spec: Any) -> tuple[str, frozenset[str], str]:
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise ValueError(f"field name {name!r} is not a lower-case identifier")
    if spec is None or isinstance(spec, list | tuple):
        return name, frozenset(str(t) for t in spec or ()), "text"
    if not isinstance(spec, Mapping) or set(spec) - {"tags", "type"}:
        raise ValueError(f"field {name!r}: expected a list of tags or {{tags, type}}")
    kind = spec.get("type", "text")
    if kind not in FIELD_TYPES:
        raise ValueError(f"field {name!r}: type must be one of {', '.join(FIELD_TYPES)}, got {kind!r}")
    return name, frozenset(str(t) for t in spec.get("tags") or ()), str(kind)


def _dataset(entry: Mapping[str, Any]) -> Dataset:
    ident = entry["id"]
    parsed = [_field(name, spec) for name, spec in entry["fields"].items()]
    if not parsed:
        raise ValueError("a dataset needs at least one field (its key)")
    table = entry.get("table", str(ident).replace("-", "_"))
    if not isinstance(table, str) or not IDENTIFIER.match(table):
        raise ValueError(f"table {table!r} is not a lower-case identifier")
    return Dataset(ident, entry.get("title", ident), entry["keeper"],
                   tuple((n, tags) for n, tags, _ in parsed), table,
                   tuple(kind for _, _, kind in parsed))


class Catalog:
    def __init__(self, datasets: list[Dataset]) -> None:
        self._by_id = {d.id: d for d in datasets}

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self._by_id.values())

    def get(self, dataset_id: str, *, field: str | None = None) -> Dataset:
        try:
            return self._by_id[dataset_id]
        except KeyError:
            raise UnknownDatasetError(dataset_id, field=field) from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "datasets") -> Catalog:
        out = []
        for entry in data.get("datasets") or ():
            try:
                out.append(_dataset(entry))
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                raise PolicyLoadError(f"bad dataset entry {entry!r}: {exc}", source=source) from exc
        tables = [d.table for d in out]
        if len(set(tables)) != len(tables):
            raise PolicyLoadError("two datasets name the same table", source=source)
        return cls(out)
