"""Write entries to the log, in the caller's transaction: the application's one way to append
(through ``audit/tree.py``, which hashes them and calls the storage steps).

    with engine.begin() as conn:
        index = record_decision(conn, request, decision, actor="desk:front-counter")
        ... the action the decision guards, in the same transaction ...

Any other kind: build its value (``audit/entries.py``) and :func:`record` it.
"""

from __future__ import annotations

import datetime as dt

from sanctuarygate.audit.entries import DecisionEntry, LogEntry, encode
from sanctuarygate.audit.tree import append
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request
from sanctuarygate.store.db import Connection

__all__ = ["record", "record_decision"]


def record(conn: Connection, entry: LogEntry, *, at: dt.datetime | None = None) -> int:
    """Append ``entry`` and return its log index (final when the caller commits).

    ``at`` is the row's stored time (not part of the entry's bytes); it defaults to the entry's
    own ``time`` when it has one, else now.
    """
    when = at or getattr(entry, "time", None) or dt.datetime.now(dt.UTC)
    return append(conn, encode(entry), at=when)


def record_decision(conn: Connection, request: Request, decision: Decision, *, actor: str,
                    subject: str | None = None, at: dt.datetime | None = None) -> int:
    """Append the decision's entry and return its log index (final when the caller commits)."""
    when = at or dt.datetime.now(dt.UTC)
    return record(conn, DecisionEntry.of(request, decision, actor=actor, at=when,
                                         subject=subject), at=when)
