"""Stored cases: open one, read one, list and filter them, record a review, close one.

Every change is a row in ``case_event`` too, so a case page shows its history. The functions
work in the caller's transaction, so a case opens in the same transaction as the log entry it
follows, and a review is stored with its own log entry or not at all::

    with engine.begin() as conn:
        case_id = open_case(conn, request_dict, decision_dict, agency="ICE-ERO",
                            log_index=41, source="desk", actor="staff:s-0a1b2c3d")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from sanctuarygate.domain.case import (
    GATEWAY_QUERY,
    Case,
    CaseEvent,
    CaseException,
    CaseState,
    ExceptionGrant,
    ReviewAnswer,
    ReviewRefusedError,
    UnknownCaseError,
)
from sanctuarygate.store.tables import case_event, case_exception, case_file

#: The most cases one listing returns.
LIST_MAX = 500


def open_case(conn: Connection, request: Mapping[str, Any], decision: Mapping[str, Any], *,
              agency: str, log_index: int | None, source: str, actor: str,
              asked_by: str | None = None, contact: str | None = None,
              person_ref: str | None = None, at: dt.datetime | None = None) -> int:
    """Open a case (state ``open``) and return its id. A case already open for the same log
    entry is returned instead: a review joins its case, it never opens a second one."""
    if log_index is not None:
        found = conn.execute(select(case_file.c.id).where(
            case_file.c.log_index == log_index)).scalar()
        if found is not None:
            return int(found)
    when = at or dt.datetime.now(dt.UTC)
    result = conn.execute(insert(case_file).values(
        state=CaseState.OPEN.value, source=source, opened_at=when, updated_at=when,
        opened_by=actor, agency=agency, asked_by=asked_by, contact=contact,
        person_ref=person_ref, request=dict(request), outcome=str(decision["outcome"]),
        decision=dict(decision), log_index=log_index).returning(case_file.c.id))
    case_id = int(result.scalar_one())
    _event(conn, case_id, when, actor, "opened", log_index)
    return case_id


def find_gateway_case(conn: Connection, *, agency: str, digest: str) -> int | None:
    """The gateway case still waiting for a reviewer whose query (agency, and the query's keyed
    hash, ``gateway/reviewed.py``) is this one; None if there is none."""
    rows = conn.execute(select(case_file.c.id, case_file.c.decision).where(
        case_file.c.source == "gateway", case_file.c.agency == agency,
        case_file.c.state.in_([CaseState.OPEN.value, CaseState.IN_REVIEW.value]))
        .order_by(case_file.c.id))
    for case_id, decision in rows:
        query = (decision or {}).get(GATEWAY_QUERY) or {}
        if query.get("digest") == digest:
            return int(case_id)
    return None


def join_case(conn: Connection, case_id: int, *, log_index: int, actor: str,
              at: dt.datetime | None = None) -> int:
    """Another ``review`` of the same question joins its waiting case: a ``joined`` event
    with the new entry's index."""
    when = at or dt.datetime.now(dt.UTC)
    conn.execute(update(case_file).where(case_file.c.id == case_id).values(updated_at=when))
    _event(conn, case_id, when, actor, "joined", log_index)
    return case_id


def get_case(conn: Connection, case_id: int, *, lock: bool = False) -> Case:
    """The case with its history; :class:`UnknownCaseError` if there is none. ``lock`` holds
    its row until the transaction ends (PostgreSQL), so two reviews cannot both land."""
    query = select(case_file).where(case_file.c.id == case_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise UnknownCaseError(case_id)
    events = conn.execute(select(case_event).where(case_event.c.case_id == case_id)
                          .order_by(case_event.c.id)).mappings()
    return _case(row, tuple(CaseEvent(e["at"], e["actor"], e["what"], e["log_index"],
                                      e["note"]) for e in events))


def list_cases(conn: Connection, *, state: str | None = None, agency: str | None = None,
               limit: int = 100, sources: Iterable[str] | None = None) -> list[Case]:
    """Cases, newest first, optionally of one state and one agency, and only from
    ``sources`` when given (no history)."""
    query = select(case_file).order_by(case_file.c.id.desc()).limit(min(limit, LIST_MAX))
    if sources is not None:
        query = query.where(case_file.c.source.in_(sorted(sources)))
    if state:
        query = query.where(case_file.c.state == CaseState(state).value)
    if agency:
        query = query.where(case_file.c.agency == agency.strip().upper())
    return [_case(row, ()) for row in conn.execute(query).mappings()]


def count_by_state(conn: Connection) -> dict[str, int]:
    """How many cases are in each state."""
    rows = conn.execute(select(case_file.c.state, func.count()).group_by(case_file.c.state))
    return {state: int(n) for state, n in rows}


def take_case(conn: Connection, case_id: int, *, assignee: str, actor: str,
              at: dt.datetime | None = None) -> Case:
    """A reviewer takes a waiting case: state ``in-review``, assigned to ``assignee``."""
    case = get_case(conn, case_id, lock=True)
    if not case.waiting:
        raise ReviewRefusedError(f"case {case_id} is {case.state.value}: it waits for no one")
    when = at or dt.datetime.now(dt.UTC)
    conn.execute(update(case_file).where(case_file.c.id == case_id).values(
        state=CaseState.IN_REVIEW.value, assignee=assignee, updated_at=when))
    _event(conn, case_id, when, actor, "taken", None)
    return get_case(conn, case_id)


def record_review(conn: Connection, case_id: int, answer: ReviewAnswer, *, actor: str,
                  log_index: int, at: dt.datetime | None = None) -> Case:
    """Store a reviewer's answer (its log entry is ``log_index``, written in this
    transaction): state ``decided``. A case that is not waiting is refused."""
    case = get_case(conn, case_id, lock=True)
    if not case.waiting:
        raise ReviewRefusedError(f"case {case_id} is {case.state.value}: it was decided "
                                 "already")
    when = at or dt.datetime.now(dt.UTC)
    decision = dict(case.decision)
    if answer.columns is not None and case.query is not None:  # a gateway case: what is released
        decision[GATEWAY_QUERY] = {**case.query, "released": list(answer.columns)}
    conn.execute(update(case_file).where(case_file.c.id == case_id).values(
        state=CaseState.DECIDED.value, decided_at=when, updated_at=when, decision=decision,
        review_outcome=answer.outcome, review_conditions=list(answer.conditions),
        review_reason=answer.reason, review_clause=answer.clause, reviewed_by=actor,
        review_index=log_index))
    _event(conn, case_id, when, actor, "reviewed", log_index, answer.outcome)
    return get_case(conn, case_id)


def close_case(conn: Connection, case_id: int, *, actor: str, note: str | None = None,
               at: dt.datetime | None = None) -> Case:
    """Close a decided case."""
    case = get_case(conn, case_id, lock=True)
    if case.state is not CaseState.DECIDED:
        raise ReviewRefusedError(f"case {case_id} is {case.state.value}: only a decided case "
                                 "closes")
    when = at or dt.datetime.now(dt.UTC)
    conn.execute(update(case_file).where(case_file.c.id == case_id).values(
        state=CaseState.CLOSED.value, closed_at=when, updated_at=when))
    _event(conn, case_id, when, actor, "closed", None, note)
    return get_case(conn, case_id)


def add_exception(conn: Connection, case_id: int, grant: ExceptionGrant, *, rules_outcome: str,
                  actor: str, log_index: int, needs_second: bool, at: dt.datetime
                  ) -> CaseException:
    """Store an exception granted on a case (its log entry is ``log_index``)."""
    case = get_case(conn, case_id, lock=True)
    if case.state is CaseState.CLOSED:
        raise ReviewRefusedError(f"case {case_id} is closed: no exception applies to it")
    result = conn.execute(insert(case_exception).values(
        case_id=case_id, outcome=grant.outcome, conditions=list(grant.conditions),
        clause=grant.clause, reason=grant.reason, rules_outcome=rules_outcome,
        granted_by=actor, granted_at=at, expires_at=at + dt.timedelta(hours=grant.hours),
        log_index=log_index, needs_second=needs_second).returning(case_exception.c.id))
    exception_id = int(result.scalar_one())
    _event(conn, case_id, at, actor, "exception", log_index, grant.outcome)
    return get_exception(conn, exception_id)


def get_exception(conn: Connection, exception_id: int, *, lock: bool = False) -> CaseException:
    """An exception by id; :class:`UnknownCaseError` (field ``exception``) if there is none."""
    query = select(case_exception).where(case_exception.c.id == exception_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise UnknownCaseError(exception_id, what="exception")
    return _exception(row)


def approve_exception(conn: Connection, exception_id: int, *, actor: str, log_index: int,
                      at: dt.datetime) -> CaseException:
    """Record the second approver of an exception that waits for one: another account than the
    one that granted it, before it expires."""
    found = get_exception(conn, exception_id, lock=True)
    found.check_approver(actor, at)
    conn.execute(update(case_exception).where(case_exception.c.id == exception_id).values(
        approved_by=actor, approved_at=at, approval_index=log_index))
    _event(conn, found.case_id, at, actor, "exception-approved", log_index)
    return get_exception(conn, exception_id)


def list_exceptions(conn: Connection, *, case_id: int | None = None,
                    limit: int = LIST_MAX) -> list[CaseException]:
    """Exceptions, newest first; one case's only when ``case_id`` is given."""
    query = select(case_exception).order_by(case_exception.c.id.desc()).limit(limit)
    if case_id is not None:
        query = query.where(case_exception.c.case_id == case_id)
    return [_exception(row) for row in conn.execute(query).mappings()]


def _exception(row: RowMapping) -> CaseException:
    return CaseException(
        id=int(row["id"]), case_id=int(row["case_id"]), outcome=row["outcome"],
        conditions=tuple(row["conditions"] or ()), clause=row["clause"], reason=row["reason"],
        rules_outcome=row["rules_outcome"], granted_by=row["granted_by"],
        granted_at=row["granted_at"], expires_at=row["expires_at"],
        log_index=int(row["log_index"]), needs_second=bool(row["needs_second"]),
        approved_by=row["approved_by"], approved_at=row["approved_at"],
        approval_index=row["approval_index"])


def _event(conn: Connection, case_id: int, at: dt.datetime, actor: str, what: str,
           log_index: int | None, note: str | None = None) -> None:
    conn.execute(insert(case_event).values(case_id=case_id, at=at, actor=actor, what=what,
                                           log_index=log_index, note=note))


def _case(row: RowMapping, events: tuple[CaseEvent, ...]) -> Case:
    review = None
    if row["review_outcome"] is not None:
        query = (row["decision"] or {}).get(GATEWAY_QUERY) if row["source"] == "gateway" else None
        released = query.get("released") if isinstance(query, dict) else None
        review = ReviewAnswer(row["review_outcome"], tuple(row["review_conditions"] or ()),
                              row["review_reason"] or "", row["review_clause"] or "",
                              None if released is None else tuple(released))
    return Case(
        id=int(row["id"]), state=CaseState(row["state"]), source=row["source"],
        opened_at=row["opened_at"], updated_at=row["updated_at"], opened_by=row["opened_by"],
        agency=row["agency"], request=dict(row["request"]), outcome=row["outcome"],
        decision=dict(row["decision"]), log_index=row["log_index"], assignee=row["assignee"],
        asked_by=row["asked_by"], contact=row["contact"], person_ref=row["person_ref"],
        notes=row["notes"], decided_at=row["decided_at"], closed_at=row["closed_at"],
        review=review, reviewed_by=row["reviewed_by"], review_index=row["review_index"],
        events=events)
