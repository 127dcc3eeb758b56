"""Misuse reports for staff: the list, a report reviewed, a report linked to a case; the counts.

- ``GET /reports`` (property role, auditors): reports newest first, filtered by the managing
  department of the property (the registry's; staff accounts carry no department, so the
  filter is chosen on the page, all departments by default) and by state. Each report shows
  what the form asked, its photos (stripped copies) and contact details if the reporter left
  any.
- ``POST /reports/{id}/review`` (property role; CSRF): mark it reviewed, by the member's
  pseudonymous id (``s-<hex>``).
- ``POST /reports/{id}/case`` (property role; CSRF): link it to a case of the review queue.
- ``GET /reports/photos/{name}`` (property role, auditors): a stored photo.
- ``GET /reports/counts.csv`` (public): reports by property and month, small counts
  suppressed as on the transparency page (``report/misuse.py``).

Other roles get 403, nobody signed in 401 (with a sign-in link).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.responses import Response

from sanctuarygate.domain.misuse import M_, WHAT_SEEN
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import InputError
from sanctuarygate.report.misuse import monthly_table, table_csv
from sanctuarygate.store.misuse import (
    link_case,
    list_reports,
    mark_reviewed,
    monthly_counts,
    registered_properties,
)
from sanctuarygate.web import session
from sanctuarygate.web.case_guard import StaffPage
from sanctuarygate.web.misuse_photo import photo_path
from sanctuarygate.web.misuse_words import page_context, templates, words_of
from sanctuarygate.web.signin_roles import READ_REPORTS, REVIEW_REPORTS, may
from sanctuarygate.web.state import LogDep, SettingsDep

router = APIRouter(include_in_schema=False)

SIGN_IN_FOR_REPORTS = M_("Sign in to see misuse reports.")
ROLE_MAY_NOT_REPORTS = M_("Your role may not do this with misuse reports: that needs the "
                          "property role (auditors may read). Nothing was changed.")
STATE_WORDS = {"new": M_("new"), "reviewed": M_("reviewed")}

Reader = Annotated[StaffMember, Depends(StaffPage(
    READ_REPORTS, sign_in=SIGN_IN_FOR_REPORTS, refused=ROLE_MAY_NOT_REPORTS))]
Reviewer = Annotated[StaffMember, Depends(StaffPage(
    REVIEW_REPORTS, sign_in=SIGN_IN_FOR_REPORTS, refused=ROLE_MAY_NOT_REPORTS))]


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, log_: LogDep, member: Reader, department: str = "",
                 state: str = "") -> Response:
    """The reports, filtered; a review and a case form on each, for the property role."""
    said = words_of(request)
    chosen_state = state if state in STATE_WORDS else ""
    with log_.engine.connect() as conn:
        departments = sorted({p.department for p in registered_properties(conn)
                              if p.department})
        chosen = department if department in departments else ""
        reports = list_reports(conn, department=chosen or None, state=chosen_state or None)
    context = page_context(request, said, reports=reports, departments=departments,
                           department=chosen, state=chosen_state, states=STATE_WORDS,
                           what_seen=WHAT_SEEN, may_review=may(member, REVIEW_REPORTS),
                           csrf_token=session.csrf_token(request), member=member,
                           error=request.query_params.get("error", "")[:200])
    return templates.TemplateResponse(request, "misuse_reports.html", context,
                                      headers={"Cache-Control": "no-store"})


@router.post("/reports/{report_id}/review")
def review_report(report_id: str, log_: LogDep, member: Reviewer) -> Response:
    """Mark the report reviewed; back to the list (303)."""
    with log_.engine.begin() as conn:
        mark_reviewed(conn, report_id, staff_id=member.id)
    return RedirectResponse(f"/reports#{report_id}", status_code=303)


@router.post("/reports/{report_id}/case")
def link_report(report_id: str, log_: LogDep, member: Reviewer,
                case_id: Annotated[str, Form()] = "") -> Response:
    """Link the report to a case; back to the list (303), or 400 for an unknown case."""
    if not case_id.strip().isdigit():
        raise InputError("give the case's number", field="case_id")
    with log_.engine.begin() as conn:
        link_case(conn, report_id, int(case_id))
    return RedirectResponse(f"/reports#{report_id}", status_code=303)


@router.get("/reports/photos/{name}")
def report_photo(name: str, settings: SettingsDep, member: Reader) -> Response:
    """A stored (stripped) photo of a report."""
    path = photo_path(name, settings.data_dir)
    if not path.is_file():
        raise InputError("no such photo", field="photo")
    return FileResponse(path, media_type="image/jpeg",
                        headers={"Cache-Control": "private, no-store"})


@router.get("/reports/counts.csv")
def report_counts(log_: LogDep, settings: SettingsDep, place: str = "") -> Response:
    """Reports by property and month, as CSV, small counts suppressed."""
    with log_.engine.connect() as conn:
        counts = monthly_counts(conn, place=place or None)
    table = monthly_table(counts, min_cell=settings.report_min_cell)
    return Response(table_csv(table, settings.report_min_cell), media_type="text/csv",
                    headers={"Content-Disposition": 'inline; filename="misuse-reports.csv"'})



