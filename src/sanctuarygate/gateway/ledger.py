"""The city's private release ledger: which rows each released query sent, and to whom, so a
leaked extract can be traced even when its key and ``_wm`` columns are gone.

It lives in the city's own database (``store/ledger.py``), never in the public log. For each
fetch of a released query (``stream.BATCH`` rows) the stream's sink (:func:`writer`) keeps,
before the fetch leaves:

* the recipient (agency, key id), the dataset and the released fields;
* the rows' keys, compressed (``encode_keys``: integer keys as zlib-compressed deltas);
* a fingerprint of each row's released values without the key: 8 bytes of keyed BLAKE2b (the
  key derived from the watermark key, which is not in the database), so the ledger alone
  confirms no guessed value.

:class:`LedgerMatcher` answers ``trace``: which releases held a row with these values? First
by fingerprint (the leak carries every value column of a release, and no column it lacked),
else by key: the key column if the leak kept it, else the one row of the records database whose
values are the leak's (a row matching several records names no one).

>>> decode_keys(encode_keys(["3", "4", "10"])), decode_keys(encode_keys(["AB 123", "7"]))
(['3', '4', '10'], ['AB 123', '7'])
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Engine, or_, select
from sqlalchemy.exc import SQLAlchemyError

from sanctuarygate.domain.dataset import Dataset
from sanctuarygate.errors import ConfigurationError
from sanctuarygate.gateway.plan import Plan
from sanctuarygate.gateway.records import view_of
from sanctuarygate.gateway.stream import Sink
from sanctuarygate.store.credential import KeyInfo
from sanctuarygate.store.ledger import LedgerPart, parts, save_part

__all__ = ["LedgerMatcher", "decode_keys", "encode_keys", "fingerprinter", "writer"]

#: Bytes of fingerprint a row.
FINGERPRINT = 8


def _canonical_int(text: str) -> bool:
    return text.isascii() and text.lstrip("-").isdigit() and str(int(text)) == text


def encode_keys(keys: Sequence[str]) -> bytes:
    """Row keys, compactly: ``i`` + zlib of the deltas when every key is an integer (sorted
    keys cost about a byte a row), else ``s`` + zlib of a JSON list."""
    if keys and all(_canonical_int(k) for k in keys):
        ints = [int(k) for k in keys]
        deltas = [ints[0], *(b - a for a, b in itertools.pairwise(ints))]
        return b"i" + zlib.compress(",".join(map(str, deltas)).encode(), 9)
    return b"s" + zlib.compress(json.dumps(list(keys)).encode(), 9)


def decode_keys(blob: bytes) -> list[str]:
    """The keys ``encode_keys`` encoded, in order."""
    body = zlib.decompress(blob[1:]).decode()
    if blob[:1] == b"i":
        return [str(k) for k in itertools.accumulate(int(d) for d in body.split(","))]
    return [str(k) for k in json.loads(body)]


def fingerprinter(wm_key: bytes, dataset: str,
                  names: Sequence[str]) -> Callable[[Sequence[str]], bytes]:
    """The fingerprint of a row's values (texts as ``watermark.text`` writes them, in ``names``
    order), keyed by a key derived from the watermark key.

    >>> fp = fingerprinter(b"k" * 32, "cpd-arrests", ["name", "charge"])
    >>> len(fp(["JANE ROE", "THEFT"])), fp(["JANE ROE", "THEFT"]) == fp(["JANE ROE", "ARSON"])
    (8, False)
    """
    key = hmac.new(wm_key, b"sanctuarygate-ledger-fingerprint", hashlib.sha256).digest()
    base = hashlib.blake2b(key=key, digest_size=FINGERPRINT)
    base.update(b"\x00".join([dataset.encode(), ",".join(names).encode()]) + b"\x00")
    copy = base.copy

    def fingerprint(texts: Sequence[str]) -> bytes:
        h = copy()
        h.update("\x00".join(texts).encode("utf-8", "surrogatepass"))
        return h.digest()

    return fingerprint


def writer(engine: Engine, *, query: int, plan: Plan, key: KeyInfo, wm_key: bytes) -> Sink:
    """The stream's sink for one released query: each fetch becomes a ledger part, committed
    before the fetch is sent (a failure ends the stream with its error record)."""
    released = plan.released
    at = [i for i, n in enumerate(released) if n != plan.key_field]
    fingerprint = fingerprinter(wm_key, plan.dataset.id, [released[i] for i in at])
    numbers = itertools.count()

    def sink(keys: Sequence[str], texts: Sequence[Sequence[str]]) -> None:
        values = list(zip(*[texts[i] for i in at], strict=True)) if at else [()] * len(keys)
        part = LedgerPart(query, next(numbers), dt.datetime.now(dt.UTC), plan.agency,
                          key.key_id, plan.dataset.id, released, len(keys), encode_keys(keys),
                          b"".join(map(fingerprint, values)))
        with engine.begin() as conn:
            save_part(conn, part)

    return sink


@dataclass(slots=True)
class _Index:
    """A dataset's releases, read once: by query, by fingerprint (per set of value columns)
    and by row key."""

    agency: dict[int, str] = field(default_factory=dict)
    fields: dict[int, frozenset[str]] = field(default_factory=dict)
    by_fingerprint: dict[tuple[str, ...], dict[bytes, set[int]]] = field(default_factory=dict)
    by_key: dict[str, set[int]] = field(default_factory=dict)


class LedgerMatcher:
    """``trace``'s matcher (``gateway.trace.Matcher``) over the ledger in ``store`` and, for
    leaks without their key column, the records database ``records``."""

    def __init__(self, store: Engine, records: Engine | None, wm_key: bytes) -> None:
        self._store, self._records, self._wm_key = store, records, wm_key
        self._indexes: dict[str, _Index] = {}
        self._fingerprinters: dict[tuple[str, tuple[str, ...]],
                                   Callable[[Sequence[str]], bytes]] = {}

    def _index(self, ds: Dataset) -> _Index:
        if ds.id in self._indexes:
            return self._indexes[ds.id]
        index = _Index()
        with self._store.connect() as conn:
            found = parts(conn, [ds.id])
        for part in found:
            index.agency[part.query] = part.agency
            index.fields[part.query] = frozenset(part.fields)
            names = tuple(n for n in part.fields if n != ds.key)
            table = index.by_fingerprint.setdefault(names, {})
            fps = part.fingerprints
            for i in range(0, len(fps), FINGERPRINT):
                table.setdefault(fps[i:i + FINGERPRINT], set()).add(part.query)
            for row_key in decode_keys(part.row_keys):
                index.by_key.setdefault(row_key, set()).add(part.query)
        self._indexes[ds.id] = index
        return index

    def _fingerprint(self, ds: Dataset, names: tuple[str, ...], texts: Sequence[str]) -> bytes:
        made = self._fingerprinters.get((ds.id, names))
        if made is None:
            made = self._fingerprinters[ds.id, names] = fingerprinter(self._wm_key, ds.id, names)
        return made(texts)

    def recipients(self, dataset: Dataset, row: Mapping[str, str]) -> set[tuple[str, int]]:
        """(agency, query log index) of every release of ``dataset`` that held a row with
        these values (see the module docstring)."""
        index = self._index(dataset)
        columns = frozenset(row)
        queries: set[int] = set()
        for names, table in index.by_fingerprint.items():
            if names and set(names) <= columns:  # a release of the key alone: by key
                queries |= table.get(self._fingerprint(dataset, names, [row[n] for n in names]),
                                     set())
        if not queries:
            row_key = row.get(dataset.key) or self._row_key(dataset, row)
            queries = set(index.by_key.get(row_key, ())) if row_key else set()
        return {(index.agency[q], q) for q in queries if columns <= index.fields[q]}

    def _row_key(self, ds: Dataset, row: Mapping[str, str]) -> str | None:
        """The key of the one record whose values are the row's, or None (none, or several)."""
        if self._records is None or not row:
            return None
        view = view_of(ds)
        conditions: list[ColumnElement[bool]] = []
        for name, value in row.items():
            column, kind = view.c[name], ds.field_type(name)
            if value == "":
                conditions.append(or_(column.is_(None), column == "") if kind == "text"
                                  else column.is_(None))
                continue
            try:
                typed: object = (int(value) if kind == "integer" else
                                 dt.date.fromisoformat(value) if kind == "date" else value)
            except ValueError:
                return None
            conditions.append(column == typed)
        try:
            with self._records.connect() as conn:
                found = conn.execute(select(view.c[ds.key]).where(*conditions).limit(2)).all()
        except SQLAlchemyError as exc:
            raise ConfigurationError(f"the records database cannot be read to trace "
                                     f"{ds.id}: {type(exc).__name__}") from None
        return str(found[0][0]) if len(found) == 1 else None
