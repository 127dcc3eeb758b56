"""Accountable exceptions (break-glass): a reviewer overrides the answer on one case in an
emergency; a second approver when it turns the rules' deny into an allow.

    granted = grant_exception(log, decider, case_id, grant, actor=member.actor,
                              second_required=settings.exception_second_approver)
    approved = approve_exception(log, granted.id, actor=other.actor)   # another person

A gateway query's case takes no exception: the gateway releases only the columns a review
names (``gateway/reviewed.py``), so an exception there would change nothing it releases;
closing the case withdraws a release.

Each step is a log entry (``exception``, ``exception-approval``) written in the transaction
that stores it. An exception applies only while in force (``CaseException.applies``): approved
when it needs to be, and never once expired.
"""

from __future__ import annotations

import datetime as dt

from sanctuarygate.audit.entries import ExceptionApprovalEntry, ExceptionEntry
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record
from sanctuarygate.domain.case import (
    CaseException,
    ExceptionGrant,
    ReviewRefusedError,
    needs_second_approver,
)
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.decide import Decider
from sanctuarygate.store import case as store


def grant_exception(log: DecisionLog, decider: Decider, case_id: int, grant: ExceptionGrant, *,
                    actor: str, second_required: bool = True,
                    at: dt.datetime | None = None) -> CaseException:
    """Grant an exception on a case: its entry in the log and its row, together."""
    when = at or dt.datetime.now(dt.UTC)
    _ = log.signer
    with log.engine.begin() as conn:
        case = store.get_case(conn, case_id, lock=True)
        if case.source == "gateway":
            raise ReviewRefusedError(
                f"case {case.id} is a gateway query's: what it releases is the review's to "
                "decide (the columns, under conditions), not an exception's; close the case to "
                "withdraw a release")
        rules = decider.decide(parse_request(case.request)).outcome
        second = needs_second_approver(rules, grant.outcome, required=second_required)
        index = record(conn, ExceptionEntry(
            time=when, actor=actor, case=case.id, decision=case.log_index, rules_outcome=rules,
            outcome=grant.outcome, conditions=grant.conditions, clause=grant.clause,
            expires=when + dt.timedelta(hours=grant.hours), needs_second=second), at=when)
        return store.add_exception(conn, case.id, grant, rules_outcome=rules, actor=actor,
                                   log_index=index, needs_second=second, at=when)


def approve_exception(log: DecisionLog, exception_id: int, *, actor: str,
                      at: dt.datetime | None = None) -> CaseException:
    """A second approver (not the grantor) approves an exception before it expires."""
    when = at or dt.datetime.now(dt.UTC)
    _ = log.signer
    with log.engine.begin() as conn:
        found = store.get_exception(conn, exception_id, lock=True)
        found.check_approver(actor, when)  # before anything is written
        index = record(conn, ExceptionApprovalEntry(
            time=when, actor=actor, case=found.case_id, exception=found.log_index), at=when)
        return store.approve_exception(conn, exception_id, actor=actor, log_index=index,
                                       at=when)
