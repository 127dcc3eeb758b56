"""Record decisions in the log, in the caller's transaction.

    with engine.begin() as conn:
        index = record_decision(conn, request, decision, actor="desk:front-counter")
        ... the action the decision guards, in the same transaction ...
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from sanctuarygate.audit.entry import canonical_json, decision_entry
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request
from sanctuarygate.store.log import append


def record_decision(conn: Connection, request: Request, decision: Decision, *, actor: str,
                    subject: str | None = None, at: dt.datetime | None = None) -> int:
    """Append the decision's entry and return its log index (final when the caller commits)."""
    when = at or dt.datetime.now(dt.UTC)
    body = canonical_json(decision_entry(request, decision, actor=actor, at=when, subject=subject))
    return append(conn, body, at=when)
