"""The JSON API under ``/api/v1``: decide a request, look up agencies and places.

A decision request is the scenario-case format (``domain/request.py``), as JSON::

    POST /api/v1/decisions
    {"profile": "illinois", "date": "2024-02-01", "principal": {"agency": "ICE-ERO"},
     "action": "honor-detainer", "resource": {"type": "Person", "in_custody": true},
     "context": {"purpose": "civil-immigration-enforcement",
                 "document": {"kind": "detainer", "verified": true}}}

and the answer is the decision with the request echoed back (see :func:`decision_body`). Errors
are problem+json (``web/problem.py``); no error is ever an allow.

>>> router.prefix
'/api/v1'
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.advice import what_if_banner
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.intake import parse_intake
from sanctuarygate.domain.property import property_id_of
from sanctuarygate.domain.request import Request as PolicyRequest
from sanctuarygate.policy.decide import Decider
from sanctuarygate.review.queue import record_and_queue
from sanctuarygate.settings import Settings
from sanctuarygate.store.property import registered
from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.loop_commit import loop_group_of, record_on_loop
from sanctuarygate.web.openapi import problems
from sanctuarygate.web.schemas import EXAMPLE_REQUEST as EXAMPLE_REQUEST
from sanctuarygate.web.schemas import AgencyList, DecisionAnswer, DecisionRequest, ProfileList
from sanctuarygate.web.signin_guard import ApiGuard, Caller, record_as
from sanctuarygate.web.signin_roles import RECORD_DECISION
from sanctuarygate.web.state import DeciderDep as DeciderDep  # the pages' too
from sanctuarygate.web.state import SettingsDep

router = APIRouter(prefix="/api/v1", tags=["api"])


def require_json(request: Request) -> None:
    """A JSON body must say so: any other media type (``text/plain``, a form) is 415, before
    the body is read as JSON or anything is decided."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise HTTPException(415, f"The body must be JSON (content-type: application/json), "
                                 f"not {media or 'unstated'}.")


def decision_body(asked: PolicyRequest, decision: Decision,
                  log_index: int | None = None) -> dict[str, Any]:
    """The API's answer to a decision request: the decision plus the request it answers.

    Later fields (the audit log's ``log_index``) join here, in one place.

    >>> from sanctuarygate.domain.decision import Decision
    >>> from sanctuarygate.domain.request import parse_request
    >>> body = decision_body(parse_request(EXAMPLE_REQUEST), Decision("deny"))
    >>> body["outcome"], body["request"]["action"]
    ('deny', 'honor-detainer')
    """
    body = {**decision.to_dict(), "request": asked.to_dict()}
    if log_index is not None:
        body["log_index"] = log_index
    return body


@router.post("/decisions", summary="Decide a request", dependencies=[Depends(require_json)],
             response_model=DecisionAnswer, response_model_exclude_unset=True,
             responses=problems(400, 401, 403, 413, 415, 422),
             openapi_extra={"security": [{}]})  # the staff token, or none with ?dry_run=true
async def create_decision(
    request: Request,
    decider: DeciderDep,
    log: LogDep,
    settings: SettingsDep,
    caller: Annotated[Caller, Depends(ApiGuard(RECORD_DECISION))],
    body: DecisionRequest,
) -> dict[str, Any]:
    """Decide one request in the scenario-case format; the answer cites the deciding rules and
    carries ``log_index``, the decision's entry in the public log (recorded before answering),
    its actor the token's account (``staff:s-...``) and ``recorded: true``; a recorded
    ``review`` also opens a case in the review queue and carries its ``case_id``. Recording
    needs a staff token of the desk or reviewer role. With ``?dry_run=true`` the answer is the same,
    needs no credential and is never recorded (``recorded: false``, ``dry_run: true``).
    A what-if (``extra_packs``, or a date other than today) is answered with
    ``hypothetical: true``, a ``banner`` saying why, and ``recorded: false``: never recorded.
    A request the rules cannot read (a word outside the vocabulary, an unknown agency or
    place) is a 422 problem listing every bad field; no error is ever an allow. A Property or
    Facility may be named by ``resource.property_id``, an id of the city's property registry,
    which supplies its kind and owner; an unknown id, or a fact that contradicts the registry,
    is a 422. ``case`` (optional, beside the request) is what the city's case records when
    the answer is a review: who asked (``asked_by``, ``contact``), the city's own reference
    for the person (``person_ref``) and who verified the document and when; kept in the case
    only, never in the log entry or the answer; a status word in it is a 422 naming the
    field."""
    group = loop_group_of(request)
    answer, pending = await run_in_threadpool(answer_decision, request, decider, log, settings,
                                              caller, body, group is not None)
    if pending is None or group is None:
        return answer
    asked, decision, entry = pending
    index = await record_on_loop(
        request, group, caller, lambda member: log.entry(asked, decision, actor=member.actor),
        entry)
    return {**decision_body(asked, decision, index), "recorded": True}


#: A decision still to be recorded: the request, the decision and its entry (encoded, and its
#: time), for the event loop's group commit.
Pending = tuple[PolicyRequest, Decision, tuple[bytes, dt.datetime]]


def answer_decision(request: Request, decider: Decider, log: DecisionLog, settings: Settings,
                    caller: Caller, body: DecisionRequest, on_loop: bool
                    ) -> tuple[dict[str, Any], Pending | None]:
    """``create_decision``'s work in the thread pool: the answer, unless it is still to be
    recorded on the event loop's group commit (``on_loop``: ``web/loop_commit.py``): then the
    request, the decision and its entry. A review (its case opens with its entry in one
    transaction) and an answer without the loop's group commit are recorded here."""
    asked = body.request
    told = parse_intake(None if body.case is None else body.case.model_dump(exclude_none=True),
                        zone=ZoneInfo(settings.timezone))
    if property_id_of(asked) is not None:  # a registered property: the registry's facts
        with log.engine.connect() as conn:
            asked = registered(conn, asked)
    decision = decider.decide(asked)
    reasons = asked.what_if(settings.today())  # the city's date, in its time zone
    if reasons:
        return {**decision_body(asked, decision), "hypothetical": True,
                "banner": what_if_banner(reasons, asked.date.isoformat()), "recorded": False}, None
    if not caller.record or caller.member is None:
        return {**decision_body(asked, decision), "dry_run": True, "recorded": False}, None
    if on_loop and decision.outcome != "review":
        return {}, (asked, decision, log.entry(asked, decision, actor=caller.member.actor))
    recorded = record_as(request, caller, lambda member, grant: record_and_queue(
        log, asked, decision, actor=member.actor, source="api", intake=told, grant=grant))
    answer = {**decision_body(asked, decision, recorded.log_index), "recorded": True}
    if recorded.case_id is not None:  # a review: its case waits in the review queue
        answer["case_id"] = recorded.case_id
    return answer, None


@router.get("/agencies", summary="Search the agency directory", response_model=AgencyList,
            responses=problems(422))
def list_agencies(
    decider: DeciderDep,
    q: Annotated[str, Query(max_length=100, description="part of an id or a name")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Agencies whose id or name contains ``q`` (ids first); all agencies when ``q`` is empty."""
    found = decider.library.directory.search(q, limit=limit)
    return {"agencies": [{"id": a.id, "name": a.name, "level": a.level, "parent": a.parent}
                         for a in found]}


@router.get("/profiles", summary="List the places (profiles) and the packs that bind them",
            response_model=ProfileList)
def list_profiles(decider: DeciderDep) -> dict[str, Any]:
    """Every profile with its title and packs, in file order."""
    return {"profiles": [{"id": p.id, "title": p.title, "packs": list(p.packs)}
                         for p in decider.library.profiles.values()]}
