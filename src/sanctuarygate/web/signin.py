"""``/signin`` and ``/signout``, and the signed-in member of a page request.

A member signs in with a sign-in name and password (``store.staff.sign_in``: argon2, five
failures lock the account for fifteen minutes), or, where the city configured one, through its
identity provider (``web/signin_oidc.py``). A failure is answered 401 on the sign-in page,
and its count is committed all the same. A good password starts a fresh session
(``web/session.py``) and goes back to the page asked for (``next``, a path on this site only).

>>> safe_next("https://evil.example/"), safe_next("//evil.example"), safe_next("/log/3")
('/', '/', '/log/3')
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from sanctuarygate.domain.advice import N_, Text
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import AuthenticationError, InputError
from sanctuarygate.store.staff import get_staff, sign_in
from sanctuarygate.web import session
from sanctuarygate.web.log_api import get_log

router = APIRouter(include_in_schema=False)

#: What the sign-in page says for each failure (the store's reasons), in the page's language.
FAILURES = {
    "unknown": N_("Wrong name or password."),
    "locked": N_("Too many failed sign-ins: this account is locked until {time} UTC. Wait, or "
                 "ask an administrator to set a new password."),
    "disabled": N_("This account is disabled. Ask an administrator."),
}


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this site, else the desk."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def current_member(request: Request) -> StaffMember | None:
    """The member signed in on this page request, read afresh for each request (roles,
    disabled) and once per request (the route's guard and the page header's staff links ask
    both); a session whose account is gone or disabled is signed out. None when nobody is
    signed in."""
    staff_id = session.signed_in_id(request)
    if staff_id is None:
        return None
    known: tuple[str, StaffMember | None] | None = getattr(request.state, "staff_member", None)
    if known is not None and known[0] == staff_id:
        return known[1]
    try:
        with get_log(request).engine.connect() as conn:
            member = get_staff(conn, staff_id)
    except InputError:
        member = None
    if member is None or member.disabled:
        session.end_session(request)
        member = None
    request.state.staff_member = (staff_id, member)
    return member


def page(request: Request, *, status: int = 200, error: Text | None = None,
         name: str = "", next_: str = "/") -> Response:
    """The sign-in page (saying ``error``, answered ``status``), with the identity provider's
    button when one is configured (``web/signin_oidc.py``)."""
    from sanctuarygate.web.pages import templates  # one template environment for every page

    oidc = getattr(request.app.state, "oidc", None)
    headers = {"WWW-Authenticate": 'Bearer realm="sanctuarygate"'} if status == 401 else None
    return templates.TemplateResponse(
        request, "signin.html", {"error": error, "name": name, "next": safe_next(next_),
                                 "member": current_member(request),
                                 "oidc_label": oidc.config.label if oidc is not None else None},
        status_code=status, headers=headers)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return page(request, next_=next)


@router.post("/signin", response_class=HTMLResponse, dependencies=[Depends(session.check_csrf)])
def signin(request: Request, name: Annotated[str, Form(max_length=200)] = "",
           password: Annotated[str, Form(max_length=1024)] = "",
           next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Check the password; a failure is counted (and committed) and answered 401."""
    at = dt.datetime.fromtimestamp(session.now_of(request), dt.UTC)
    failure: AuthenticationError | None = None
    locked_until: dt.datetime | None = None
    with get_log(request).engine.begin() as conn:  # commits the failure count too
        try:
            member = sign_in(conn, name, password, at=at)
        except AuthenticationError as exc:
            failure = exc
            if exc.reason == "locked":
                locked_until = get_staff(conn, name).locked_until
    if failure is not None:
        words = FAILURES.get(failure.reason, FAILURES["unknown"])
        when = f"{locked_until:%H:%M}" if locked_until else "--:--"
        return page(request, status=401, error=Text(words, time=when), name=name, next_=next)
    session.start_session(request, member.id, member.name)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/signout", dependencies=[Depends(session.check_csrf)])
def signout(request: Request) -> Response:
    """Sign out and go back to the desk."""
    session.end_session(request)
    return RedirectResponse("/", status_code=303)
