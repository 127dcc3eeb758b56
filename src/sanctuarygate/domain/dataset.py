"""The catalog of datasets a request may name, with tagged fields.

>>> c = Catalog.from_mapping({"datasets": [{"id": "d", "keeper": "CPD",
...     "fields": {"name": ["identity"], "birthplace": ["birthplace"]}}]})
>>> sorted(c.get("d").tags)
['birthplace', 'identity']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sanctuarygate.errors import PolicyLoadError, UnknownDatasetError


@dataclass(frozen=True, slots=True)
class Dataset:
    id: str
    title: str
    keeper: str
    fields: tuple[tuple[str, frozenset[str]], ...]

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(t for _, tags in self.fields for t in tags)


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
                fields = tuple((str(name), frozenset(tags or ()))
                               for name, tags in entry["fields"].items())
                out.append(Dataset(entry["id"], entry.get("title", entry["id"]),
                                   entry["keeper"], fields))
            except (KeyError, TypeError, AttributeError) as exc:
                raise PolicyLoadError(f"bad dataset entry {entry!r}: {exc}", source=source) from exc
        return cls(out)
