"""The review queue in the JSON API: list and read cases, and decide a review (staff tokens).

    GET  /api/v1/cases?state=open&agency=FBI     reviewers, auditors, records (gateway's only)
    GET  /api/v1/cases/{id}                      reviewers, auditors, records (gateway's only)
    POST /api/v1/cases/{id}/review               reviewers, records (gateway's only)
         {"outcome": "allow-with-conditions", "conditions": ["no-onward-sharing"],
          "reason": "The warrant was checked with the court.", "clause": "5 ILCS 805/15(a)"}
         (on a gateway query's case an allow names the "columns" released as well)
    POST /api/v1/cases/{id}/exceptions           reviewers: an exception (break-glass), the
         same answer plus "hours" (1 to 24)
    POST /api/v1/exceptions/{id}/approve         reviewers: the second approver (another one)
    GET  /api/v1/exceptions                      reviewers, auditors

A case is answered as ``Case.to_dict`` gives it. Errors are problem+json: 401 without a usable
staff token, 403 for a role that may not, 404 for no such case, 409 for a case decided already
or an allow where the rules deny, 422 for a bad answer (each problem naming its field).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from sanctuarygate.domain.case import (
    EXCEPTION_MAX_HOURS,
    REVIEW_CONDITIONS,
    CaseState,
    answer_in_force,
    parse_exception,
    parse_review,
    within,
)
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.review.exception import approve_exception, grant_exception
from sanctuarygate.review.queue import decide_case
from sanctuarygate.store.case import LIST_MAX, get_case, list_cases, list_exceptions
from sanctuarygate.store.case_document import get_document
from sanctuarygate.web.api import DeciderDep, require_json
from sanctuarygate.web.case_guard import StaffToken
from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.openapi import ProblemDetails, problems
from sanctuarygate.web.signin_roles import (
    DECIDE_REVIEW,
    GRANT_EXCEPTION,
    READ_CASES,
    READ_EXCEPTIONS,
    case_sources,
)
from sanctuarygate.web.state import SettingsDep

router = APIRouter(prefix="/api/v1", tags=["cases"])

CONFLICT: dict[int | str, dict[str, Any]] = {409: {
    "model": ProblemDetails,
    "description": "The case is not waiting for a review, or the answer would allow what the "
                   "rules deny."}}


class ReviewBody(BaseModel):
    """A reviewer's answer."""

    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(description="allow, allow-with-conditions or deny")
    conditions: list[str] = Field(default=[], description="With allow-with-conditions: one or "
                                  "more of " + ", ".join(REVIEW_CONDITIONS))
    reason: str = Field(description="Kept in the case file, not in the public log.")
    clause: str = Field(description="The citation of a rule in force relied on.")
    columns: list[str] | None = Field(None, description="On a gateway query's case, with an "
                                      "allow: the columns released, some of those the query "
                                      "asked for that the rules leave open (the case's "
                                      "`decision.query.offered`).")


@router.get("/cases", summary="List cases", responses=problems(401, 403, 422))
def api_list_cases(
    log: LogDep,
    member: Annotated[StaffMember, Depends(StaffToken(READ_CASES))],
    state: Annotated[CaseState | None, Query(description="one state only")] = None,
    agency: Annotated[str, Query(max_length=64, description="one agency id only")] = "",
    limit: Annotated[int, Query(ge=1, le=LIST_MAX)] = 100,
) -> dict[str, Any]:
    """Cases newest first (without their history), optionally of one state and agency."""
    with log.engine.connect() as conn:
        found = list_cases(conn, state=state.value if state else None, agency=agency or None,
                           limit=limit, sources=case_sources(member, READ_CASES))
    return {"cases": [c.to_dict() for c in found]}


@router.get("/cases/{case_id}", summary="Read a case", responses=problems(401, 403, 404))
def api_get_case(log: LogDep, case_id: int,
                 member: Annotated[StaffMember, Depends(StaffToken(READ_CASES))]
                 ) -> dict[str, Any]:
    """One case with its history and, once decided, the review; ``answer_in_force`` is what
    holds now: an exception in force, else the review, else the rules' outcome. Who asked
    (``asked_by``, ``contact``), the city's reference for the person (``person_ref``) and
    ``document`` (who verified it, when, an uploaded copy's link; null when nothing was
    recorded) are the case's own, never in the public log."""
    with log.engine.connect() as conn:
        case = within(get_case(conn, case_id), case_sources(member, READ_CASES))
        exceptions = list_exceptions(conn, case_id=case_id)
        document = get_document(conn, case_id)
    now = dt.datetime.now(dt.UTC)
    return {**case.to_dict(), "answer_in_force": answer_in_force(case, exceptions, now).to_dict(),
            "document": None if document is None else document.to_dict()}


@router.post("/cases/{case_id}/review", summary="Decide a review",
             dependencies=[Depends(require_json)],
             responses={**problems(401, 403, 404, 415, 422), **CONFLICT})
def api_review_case(log: LogDep, decider: DeciderDep, case_id: int, body: ReviewBody,
                    member: Annotated[StaffMember, Depends(StaffToken(DECIDE_REVIEW))]
                    ) -> dict[str, Any]:
    """Record a reviewer's answer (a ``review`` entry in the public log, linked to the case's
    decision entry, its actor the token's account); answers the decided case."""
    answer = parse_review(body.outcome, body.conditions, body.reason, body.clause)
    return decide_case(log, decider, case_id, answer, actor=member.actor,
                       columns=body.columns,
                       sources=case_sources(member, DECIDE_REVIEW)).to_dict()


class ExceptionBody(ReviewBody):
    """An exception (break-glass): an answer, the clause or emergency power, and its expiry."""

    hours: int = Field(ge=1, le=EXCEPTION_MAX_HOURS, description="How long it holds, in hours.")
    columns: None = Field(None, description="Not taken: an exception releases no columns.")


@router.get("/exceptions", summary="List exceptions", responses=problems(401, 403))
def api_list_exceptions(log: LogDep,
                        member: Annotated[StaffMember, Depends(StaffToken(READ_EXCEPTIONS))]
                        ) -> dict[str, Any]:
    """Every exception, newest first, with its status now (in force, awaiting approval,
    expired)."""
    now = dt.datetime.now(dt.UTC)
    with log.engine.connect() as conn:
        return {"exceptions": [x.to_dict(now) for x in list_exceptions(conn)]}


@router.post("/cases/{case_id}/exceptions", summary="Grant an exception (break-glass)",
             dependencies=[Depends(require_json)],
             responses={**problems(401, 403, 404, 415, 422), **CONFLICT})
def api_grant_exception(log: LogDep, decider: DeciderDep, settings: SettingsDep, case_id: int,
                        body: ExceptionBody,
                        member: Annotated[StaffMember, Depends(StaffToken(GRANT_EXCEPTION))]
                        ) -> dict[str, Any]:
    """Grant an exception on one case (an ``exception`` log entry, the token's account as its
    actor). One that turns the rules' deny into an allow applies only once another reviewer
    approves it."""
    grant = parse_exception(body.outcome, body.conditions, body.reason, body.clause,
                            body.hours)
    granted = grant_exception(log, decider, case_id, grant, actor=member.actor,
                              second_required=settings.exception_second_approver)
    return granted.to_dict(dt.datetime.now(dt.UTC))


@router.post("/exceptions/{exception_id}/approve", summary="Approve an exception",
             responses={**problems(401, 403, 404), **CONFLICT})
def api_approve_exception(log: LogDep, exception_id: int,
                          member: Annotated[StaffMember, Depends(StaffToken(GRANT_EXCEPTION))]
                          ) -> dict[str, Any]:
    """The second approver (another reviewer than the one who granted it) approves an
    exception that waits for one (an ``exception-approval`` log entry)."""
    approved = approve_exception(log, exception_id, actor=member.actor)
    return approved.to_dict(dt.datetime.now(dt.UTC))
