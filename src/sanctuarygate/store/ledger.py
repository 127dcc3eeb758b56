"""The release ledger's storage: one row per fetch of a released query (see ``tables.py``).

The city's own record, in its database, never in the public log: what went to whom is for the
city to answer a leak with, not to publish. Encoding the keys and hashing the values is the
gateway's job (``gateway/ledger.py``); this module keeps and reads the parts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from sanctuarygate.store.tables import release_ledger


@dataclass(frozen=True, slots=True)
class LedgerPart:
    """One fetch of a released query: the ``query`` entry's log index, the part's number, the
    recipient (agency and key id), the dataset and released fields, and the encoded rows."""

    query: int
    part: int
    released_at: dt.datetime
    agency: str
    key_id: str
    dataset: str
    fields: tuple[str, ...]
    rows: int
    row_keys: bytes
    fingerprints: bytes


def save_part(conn: Connection, part: LedgerPart) -> None:
    """Keep one part (inside the caller's transaction)."""
    conn.execute(insert(release_ledger).values(
        query=part.query, part=part.part, released_at=part.released_at, agency=part.agency,
        key_id=part.key_id, dataset=part.dataset, fields=",".join(part.fields), rows=part.rows,
        row_keys=part.row_keys, fingerprints=part.fingerprints))


def parts(conn: Connection, datasets: Sequence[str]) -> list[LedgerPart]:
    """Every part of every release of these datasets, by query and part."""
    t = release_ledger
    rows = conn.execute(select(t).where(t.c.dataset.in_(list(datasets)))
                        .order_by(t.c.query, t.c.part))
    return [LedgerPart(int(r.query), int(r.part), r.released_at, str(r.agency), str(r.key_id),
                       str(r.dataset), tuple(str(r.fields).split(",")), int(r.rows),
                       bytes(r.row_keys), bytes(r.fingerprints)) for r in rows]
