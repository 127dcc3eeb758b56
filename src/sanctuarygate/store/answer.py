"""Recorded desk answers: write one, read the latest, count by outcome.

    with engine.begin() as conn:
        record_answer(conn, request, decision, source="desk")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select

from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request
from sanctuarygate.store.tables import desk_answer


def record_answer(conn: Connection, request: Request, decision: Decision, *, source: str,
                  at: dt.datetime | None = None) -> int:
    """Insert one answer (in the caller's transaction) and return its id.

    Only the request's class is kept: agency, action, resource type, purpose and document kind;
    never resource facts about a person.
    """
    row = {
        "recorded_at": at or dt.datetime.now(dt.UTC),
        "profile": request.profile,
        "request_date": request.date,
        "principal": f"{request.principal.kind}:{request.principal.id}",
        "action": request.action,
        "resource_type": request.resource.type,
        "purpose": request.context.purpose,
        "document_kind": request.context.document.kind,
        "outcome": decision.outcome,
        "rules": [{"id": r.id, "citation": r.citation} for r in decision.rules],
        "packs": [p.to_dict() for p in decision.packs],
        "source": source,
    }
    result = conn.execute(insert(desk_answer).values(**row).returning(desk_answer.c.id))
    return int(result.scalar_one())


def latest_answers(conn: Connection, limit: int = 20) -> Sequence[dict[str, Any]]:
    """The most recent answers, newest first."""
    rows = conn.execute(select(desk_answer).order_by(desk_answer.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def count_by_outcome(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(desk_answer.c.outcome, func.count()).group_by(desk_answer.c.outcome))
    return {outcome: int(n) for outcome, n in rows}
