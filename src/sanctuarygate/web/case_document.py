"""A copy of the document shown for a case: uploaded by staff who record answers, served only
to staff who read cases.

    PUT  /api/v1/cases/{id}/document    desk, reviewer (staff token); the body is the file
    GET  /api/v1/cases/{id}/document/copy  reviewer, auditor (staff token)
    POST /cases/{id}/document           desk, reviewer (signed in; a form with ``file``: the
                                        case page's, or the desk's answer card's)
    GET  /cases/{id}/document           reviewer, auditor (signed in): the case page's link

The copy is checked by its content (a PDF, a JPEG or a PNG; ``store/document_copy.py``), at
most ``SANCTUARYGATE_CASE_DOCUMENT_MAX_BYTES`` (413 above), kept under the data directory with a
random name and recorded in the case, never in the public log. It is served as a download
(``Content-Disposition: attachment``, ``nosniff``, not cached). Nobody signed in or without a
token: 401; another role: 403; no such case, or a case without a copy: 404.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse
from starlette.responses import Response

from sanctuarygate.domain.case import within
from sanctuarygate.domain.intake import CaseDocument
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.review.case_copy import attach_copy, copy_file
from sanctuarygate.settings import Settings
from sanctuarygate.store.case import get_case
from sanctuarygate.store.case_document import get_document
from sanctuarygate.store.document_copy import KINDS, CopyTooLargeError
from sanctuarygate.web.case_guard import StaffPage, StaffToken
from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.openapi import problems
from sanctuarygate.web.signin_roles import ATTACH_DOCUMENT, READ_CASES, case_sources, may
from sanctuarygate.web.state import SettingsDep

router = APIRouter()

#: The paths that take a copy (``BodyLimit``'s own limit for them: :func:`request_limit`).
UPLOAD_PATHS: Final = r"(/api/v1)?/cases/[0-9]+/document"
#: Room for a form's other fields and its multipart framing.
FORM_BYTES: Final = 65_536


def request_limit(settings: Settings) -> int:
    """The largest body the upload routes read: a copy at the limit, and a form around it.

    >>> request_limit(Settings(case_document_max_bytes=1_000_000))
    1065536
    """
    return settings.case_document_max_bytes + FORM_BYTES


def _attach(log: Any, case_id: int, data: bytes, settings: Settings,
            member: StaffMember) -> CaseDocument:
    try:
        return attach_copy(log, case_id, data, data_dir=settings.data_dir, actor=member.actor,
                           max_bytes=settings.case_document_max_bytes)
    except CopyTooLargeError as exc:
        raise HTTPException(413, str(exc)) from None


def _served(log: Any, case_id: int, settings: Settings, member: StaffMember) -> Response:
    with log.engine.connect() as conn:  # 404 for no such case, or one the member may not read
        within(get_case(conn, case_id), case_sources(member, READ_CASES))
        document = get_document(conn, case_id)
    path = copy_file(document, Path(settings.data_dir))
    if path is None or document is None:
        raise HTTPException(404, f"case {case_id} has no copy of its document")
    extension = next(ext for media, _, ext in KINDS if media == document.media_type)
    return FileResponse(path, media_type=document.media_type,
                        filename=f"case-{case_id}-document.{extension}",
                        headers={"X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "no-store"})


@router.put("/api/v1/cases/{case_id}/document", tags=["cases"],
            summary="Attach a copy of the document shown",
            responses=problems(401, 403, 404, 413, 422),
            openapi_extra={"requestBody": {
                "required": True,
                "description": "The file: a PDF, a JPEG or a PNG, told by its content (send "
                               "it with any content-type, e.g. application/octet-stream).",
                "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}}})
async def api_put_document(request: Request, case_id: int, log: LogDep, settings: SettingsDep,
                           member: Annotated[StaffMember, Depends(StaffToken(ATTACH_DOCUMENT))]
                           ) -> dict[str, Any]:
    """The body is the file (a PDF, a JPEG or a PNG, told by its content whatever the
    content-type says). Kept in the case with who sent it and when, replacing an earlier
    copy; never in the public log. Answers the case's ``document``."""
    data = await request.body()
    found = await run_in_threadpool(_attach, log, case_id, data, settings, member)
    return found.to_dict()


@router.get("/api/v1/cases/{case_id}/document/copy", tags=["cases"],
            summary="Download the copy of the document shown",
            responses={**problems(401, 403, 404),
                       200: {"content": {media: {} for media, _, _ in KINDS}}})
def api_get_document(case_id: int, log: LogDep, settings: SettingsDep,
                     member: Annotated[StaffMember, Depends(StaffToken(READ_CASES))]
                     ) -> Response:
    """The copy as it was sent, as a download (its own path: the upload's answers 405 with
    ``Allow: PUT`` alone)."""
    return _served(log, case_id, settings, member)


@router.get("/cases/{case_id}/document", include_in_schema=False)
def get_document_page(case_id: int, log: LogDep, settings: SettingsDep,
                      member: Annotated[StaffMember, Depends(StaffPage(READ_CASES))]
                      ) -> Response:
    """The case page's link to the copy."""
    return _served(log, case_id, settings, member)


@router.post("/cases/{case_id}/document", include_in_schema=False)
async def post_document_page(case_id: int, file: UploadFile, log: LogDep,
                             settings: SettingsDep,
                             member: Annotated[StaffMember, Depends(StaffPage(ATTACH_DOCUMENT))]
                             ) -> Response:
    """A form's copy (the case page's, or the desk card's); back to the case page, or for a
    desk officer, who does not read cases, to the case's status."""
    data = await file.read(settings.case_document_max_bytes + 1)
    await run_in_threadpool(_attach, log, case_id, data, settings, member)
    back = f"/cases/{case_id}" if may(member, READ_CASES) else f"/cases/{case_id}/status"
    return RedirectResponse(back, status_code=303)
