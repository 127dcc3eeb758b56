"""The review desk: the queue, a case page, a reviewer's answer, and the desk card's status.

- ``GET /cases`` (reviewers, auditors): cases newest first, filtered by state and agency.
- ``GET /cases/{id}`` (reviewers, auditors): the facts as asked, the rules' answer, the rules on
  each side of the split (which fact would change the answer, what each side gives), the case's
  history, and for a reviewer, while the case waits, the decision form: allow, allow with
  conditions (chosen from :data:`~sanctuarygate.domain.case.REVIEW_CONDITIONS`) or deny, a
  reason, and the clause relied on (a citation of a rule in force); on a gateway query's case,
  the columns to release (among those offered). An auditor reads only.
- ``POST /cases/{id}/review`` (reviewers; CSRF): the answer, recorded as a ``review`` log entry
  linked to the decision (``review/queue.py``); back to the case page (303). A bad answer is the
  page again with the problem (422); a deny the rules give stays a deny (409).
- ``POST /cases/{id}/close`` (reviewers; CSRF): close a decided case.
- ``POST /cases/{id}/exception`` (reviewers; CSRF): an accountable exception (break-glass,
  ``review/exception.py``), hours not days; ``POST /exceptions/{id}/approve``: another reviewer
  approves one that turns the rules' deny into an allow; ``GET /exceptions`` (reviewers,
  auditors): every exception and its status now.
- ``GET /cases/{id}/status`` (desk, reviewers, auditors): the case status the desk card shows
  and polls with htmx (every few seconds, until a reviewer has answered); a whole page without
  htmx, so a refresh shows the answer too.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from sanctuarygate.domain.advice import N_
from sanctuarygate.domain.case import (
    EXCEPTION_MAX_HOURS,
    REVIEW_CONDITIONS,
    REVIEW_OUTCOMES,
    CaseState,
    UnknownCaseError,
    answer_in_force,
    parse_exception,
    parse_review,
    within,
)
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import InputError
from sanctuarygate.review.exception import approve_exception, grant_exception
from sanctuarygate.review.queue import decide_case, view_case
from sanctuarygate.store.case import close_case, get_case, list_cases, list_exceptions
from sanctuarygate.store.case_document import get_document
from sanctuarygate.web.api import DeciderDep
from sanctuarygate.web.case_guard import StaffPage
from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.pages import CARD_HEADERS, templates
from sanctuarygate.web.problem import problem_for
from sanctuarygate.web.signin_roles import (
    ATTACH_DOCUMENT,
    DECIDE_REVIEW,
    FOLLOW_CASE,
    GRANT_EXCEPTION,
    READ_CASES,
    READ_EXCEPTIONS,
    case_sources,
    may,
    may_case,
)
from sanctuarygate.web.state import SettingsDep

router = APIRouter(include_in_schema=False)

#: How often the desk card asks for the reviewer's answer (htmx polling).
POLL_SECONDS = 3

#: The conditions a reviewer may choose, in the desk's words.
CONDITION_LABELS: dict[str, str] = {
    "limit-to-consent-scope": N_("stay within what the person consented to in writing"),
    "limit-to-order-scope": N_("give only what the order or warrant names, nothing more"),
    "no-notice-to-immigration": N_("do not notify immigration agents of the release or transfer"),
    "no-onward-sharing": N_("the agency may not pass anything on to another agency"),
    "purpose-limit": N_("use only for the purpose they stated"),
}
STATE_LABELS: dict[str, str] = {
    "open": N_("waiting for a reviewer"),
    "in-review": N_("being reviewed"),
    "decided": N_("decided by a reviewer"),
    "closed": N_("closed"),
}
REVIEW_LABELS: dict[str, str] = {
    "allow": N_("Allow"),
    "allow-with-conditions": N_("Allow with conditions"),
    "deny": N_("Deny"),
}
FACT_SIDES: dict[str, str] = {
    "document.verified": N_("Has the document been checked?"),
    "purpose": N_("Why (purpose)"),
    "truth_act_notice_given": N_("TRUTH Act notice"),
}

Reader = Annotated[StaffMember, Depends(StaffPage(READ_CASES))]


class ReviewForm(BaseModel):
    """The decision form as the browser sends it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    outcome: str = ""
    conditions: list[str] = []
    reason: str = ""
    clause: str = ""
    hours: str = ""
    columns: list[str] = []


Granter = Annotated[StaffMember, Depends(StaffPage(GRANT_EXCEPTION))]
EXCEPTION_STATUS: dict[str, str] = {
    "awaiting-approval": N_("waits for a second approver"),
    "in-force": N_("in force"),
    "expired": N_("expired"),
}


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request, log: LogDep, member: Reader, state: str = "",
              agency: str = "") -> Response:
    """The queue: waiting cases by default (``state=all`` for every case)."""
    chosen = state or "waiting"
    if chosen not in ("waiting", "all", *[s.value for s in CaseState]):
        raise InputError(f"{state!r} is not a case state", field="state")
    with log.engine.connect() as conn:
        found = list_cases(conn, state=None if chosen in ("waiting", "all") else chosen,
                           agency=agency[:64] or None,
                           sources=case_sources(member, READ_CASES))
    if chosen == "waiting":
        found = [c for c in found if c.waiting]
    return templates.TemplateResponse(request, "cases.html", {
        "cases": found, "state": chosen, "agency": agency[:64], "member": member,
        "states": ["waiting", "all", *[s.value for s in CaseState]],
        "state_labels": STATE_LABELS, "review_labels": REVIEW_LABELS})


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, log: LogDep, decider: DeciderDep,
              member: Reader) -> Response:
    """One case, with the decision form for a reviewer while it waits."""
    return _case_page(request, case_id, log, decider, member)


@router.post("/cases/{case_id}/review", response_class=HTMLResponse)
def review_case(request: Request, case_id: int, log: LogDep, decider: DeciderDep,
                member: Annotated[StaffMember, Depends(StaffPage(DECIDE_REVIEW))],
                form: Annotated[ReviewForm, Form()]) -> Response:
    """Record the reviewer's answer; back to the case page."""
    try:
        answer = parse_review(form.outcome, form.conditions, form.reason, form.clause)
        decide_case(log, decider, case_id, answer, actor=member.actor, columns=form.columns,
                    sources=case_sources(member, DECIDE_REVIEW))
    except InputError as exc:
        if isinstance(exc, UnknownCaseError):
            raise
        return _case_page(request, case_id, log, decider, member, form=form,
                          error=problem_for(exc), status=422)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/close", response_class=HTMLResponse)
def close_decided_case(case_id: int, log: LogDep,
                       member: Annotated[StaffMember, Depends(StaffPage(DECIDE_REVIEW))]
                       ) -> Response:
    """Close a decided case (its history says who closed it); back to the case page."""
    with log.engine.begin() as conn:
        within(get_case(conn, case_id, lock=True), case_sources(member, DECIDE_REVIEW))
        close_case(conn, case_id, actor=member.actor)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/exception", response_class=HTMLResponse)
def grant_case_exception(request: Request, case_id: int, log: LogDep, decider: DeciderDep,
                         settings: SettingsDep, member: Granter,
                         form: Annotated[ReviewForm, Form()]) -> Response:
    """Grant an exception (break-glass) on the case; back to the case page."""
    try:
        grant = parse_exception(form.outcome, form.conditions, form.reason, form.clause,
                                form.hours)
        grant_exception(log, decider, case_id, grant, actor=member.actor,
                        second_required=settings.exception_second_approver)
    except InputError as exc:
        if isinstance(exc, UnknownCaseError):
            raise
        return _case_page(request, case_id, log, decider, member, exception_form=form,
                          exception_error=problem_for(exc), status=422)
    return RedirectResponse(f"/cases/{case_id}#exceptions", status_code=303)


@router.post("/exceptions/{exception_id}/approve", response_class=HTMLResponse)
def approve_case_exception(exception_id: int, log: LogDep, member: Granter) -> Response:
    """Approve an exception as its second approver; back to its case."""
    approved = approve_exception(log, exception_id, actor=member.actor)
    return RedirectResponse(f"/cases/{approved.case_id}#exceptions", status_code=303)


@router.get("/exceptions", response_class=HTMLResponse)
def exception_list(request: Request, log: LogDep,
                   member: Annotated[StaffMember, Depends(StaffPage(READ_EXCEPTIONS))]
                   ) -> Response:
    """Every exception, newest first, with its status now."""
    with log.engine.connect() as conn:
        found = list_exceptions(conn)
    return templates.TemplateResponse(request, "exceptions.html", {
        "exceptions": found, "now": dt.datetime.now(dt.UTC), "member": member,
        "exception_status": EXCEPTION_STATUS, "review_labels": REVIEW_LABELS})


@router.get("/cases/{case_id}/status", response_class=HTMLResponse)
def case_status(request: Request, case_id: int, log: LogDep,
                member: Annotated[StaffMember, Depends(StaffPage(FOLLOW_CASE))]) -> Response:
    """The case's status as the desk card shows it (a fragment for htmx, else a page)."""
    with log.engine.connect() as conn:
        case = get_case(conn, case_id)
        exceptions = list_exceptions(conn, case_id=case_id)
    answer = answer_in_force(case, exceptions, dt.datetime.now(dt.UTC))
    context = {"case": case, "answer": answer, "poll_seconds": POLL_SECONDS, "member": member,
               "review_labels": REVIEW_LABELS, "condition_labels": CONDITION_LABELS,
               "state_labels": STATE_LABELS, "may_read": may(member, READ_CASES)}
    if "HX-Request" in request.headers:
        return templates.TemplateResponse(request, "_case_status.html", context,
                                          headers=CARD_HEADERS)
    return templates.TemplateResponse(request, "case_status.html", context)


def _case_page(request: Request, case_id: int, log: LogDep, decider: DeciderDep,
               member: StaffMember, *, form: ReviewForm | None = None, error: Any = None,
               exception_form: ReviewForm | None = None, exception_error: Any = None,
               status: int = 200) -> Response:
    view = view_case(log, decider, case_id, sources=case_sources(member, READ_CASES))
    source = view.case.source
    with log.engine.connect() as conn:
        exceptions = list_exceptions(conn, case_id=case_id)
        document = get_document(conn, case_id)  # who verified it, when; an uploaded copy
    return templates.TemplateResponse(request, "case.html", {
        "exceptions": exceptions, "now": dt.datetime.now(dt.UTC), "document": document,
        "may_attach": may(member, ATTACH_DOCUMENT),
        "exception_status": EXCEPTION_STATUS, "exception_form": exception_form or ReviewForm(),
        "exception_error": exception_error, "max_hours": EXCEPTION_MAX_HOURS,
        "may_grant": (may(member, GRANT_EXCEPTION) and view.case.state is not CaseState.CLOSED
                      and source != "gateway"),
        "view": view, "case": view.case, "member": member, "form": form or ReviewForm(),
        "error": error,
        "may_decide": may_case(member, DECIDE_REVIEW, source) and view.case.waiting,
        "may_close": may_case(member, DECIDE_REVIEW, source)
                     and view.case.state is CaseState.DECIDED,
        "outcomes": REVIEW_OUTCOMES, "review_labels": REVIEW_LABELS,
        "conditions": REVIEW_CONDITIONS, "condition_labels": CONDITION_LABELS,
        "state_labels": STATE_LABELS, "fact_sides": FACT_SIDES}, status_code=status)
