"""Stored witness cosignatures: one line per (checkpoint size, witness key).

The store keeps what witnesses returned; checking the lines is the audit layer's job, before it
saves them (``audit/witnessing.py``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, insert, select

from sanctuarygate.store.tables import log_cosignature


def save_cosignature(conn: Connection, size: int, witness: str, line: str, *,
                     at: dt.datetime | None = None) -> bool:
    """Keep a witness's line for the checkpoint of ``size``; False if one is already kept."""
    known = conn.execute(select(log_cosignature.c.size).where(
        log_cosignature.c.size == size, log_cosignature.c.witness == witness)).first()
    if known is not None:
        return False
    conn.execute(insert(log_cosignature).values(size=size, witness=witness, line=line,
                                                created_at=at or dt.datetime.now(dt.UTC)))
    return True


def cosignatures(conn: Connection, size: int) -> list[tuple[str, str]]:
    """(witness key, line) for the checkpoint of ``size``, by witness key."""
    rows = conn.execute(select(log_cosignature.c.witness, log_cosignature.c.line)
                        .where(log_cosignature.c.size == size)
                        .order_by(log_cosignature.c.witness))
    return [(str(w), str(line)) for w, line in rows]


def last_cosigned_size(conn: Connection, witness: str) -> int:
    """The largest size this witness cosigned for us (0 if none): where to prove from next."""
    value = conn.execute(select(func.max(log_cosignature.c.size))
                         .where(log_cosignature.c.witness == witness)).scalar()
    return int(value or 0)
