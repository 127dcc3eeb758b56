"""``GET /property/{id}/sign.pdf``: a property's printable sign, for facility managers.

Signed-in staff with the property role (the sign costs a second of printing, so the public does
not get to ask for thousands); ``?lang=en|es|pl|zh`` and ``?paper=letter|a4``. The library
(``report/sign.py``) decides whether the sign may be printed: a refusal (no prescribed text, a
property the order does not clearly cover, no translation) is a 422 with its reason, and
nothing is printed.

>>> sorted(r.path for r in router.routes)
['/property/{property_id}/sign.pdf']
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from sanctuarygate.domain.advice import N_
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.report.pdf import html_to_pdf
from sanctuarygate.report.sign import LANGUAGES, SignRefused, make_sign, sign_html
from sanctuarygate.store.property import get_property
from sanctuarygate.web import i18n
from sanctuarygate.web.case_guard import StaffPage
from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.signin_roles import PRINT_SIGN
from sanctuarygate.web.state import DeciderDep, SettingsDep

router = APIRouter(include_in_schema=False)

SIGN_IN_FOR_SIGNS = N_("Sign in as a facility manager to print a property's sign.")
ROLE_MAY_NOT_SIGN = N_("Only facility managers (the property role) print signs.")

Printer = Annotated[StaffMember, Depends(StaffPage(
    PRINT_SIGN, sign_in=SIGN_IN_FOR_SIGNS, refused=ROLE_MAY_NOT_SIGN))]


@router.get("/property/{property_id}/sign.pdf")
async def property_sign(property_id: str, decider: DeciderDep, settings: SettingsDep,
                        log: LogDep, member: Printer,
                        lang: Annotated[str, Query(max_length=5)] = "en",
                        paper: Annotated[str, Query(max_length=10)] = "letter") -> Response:
    """The sign as PDF; 404 for a property the registry lacks, 422 when it may not be printed."""
    if lang not in LANGUAGES or paper not in ("letter", "a4"):
        raise HTTPException(422, f"lang is one of {', '.join(LANGUAGES)}; paper letter or a4")
    with log.engine.connect() as conn:
        found = get_property(conn, property_id[:64])
    if found is None:
        raise HTTPException(404, f"There is no property {property_id[:64]!r} in the registry.")
    try:
        sign = make_sign(decider, found, settings.today(), lang=lang,
                         public_url=settings.public_url,
                         words=i18n.catalog(lang, "residents").gettext)
        html = sign_html(sign, "a4" if paper == "a4" else "letter")
    except SignRefused as exc:
        raise HTTPException(422, str(exc)) from None
    data = await run_in_threadpool(html_to_pdf, html)  # printing is CPU work: off the loop
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{found.id}-{lang}.pdf"'})
