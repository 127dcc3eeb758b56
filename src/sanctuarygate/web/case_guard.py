"""The guards of the case routes: who is asking, and whether their role may take the action.

Each guard is a FastAPI dependency carrying its action (``guard.action``, read by the roles
table's test, as for ``web/signin_guard.py``) and answering the member:

- :class:`StaffPage` (``/cases...`` pages): a signed-in member whose role may (nobody signed
  in: 401, with a sign-in link on the page; another role: 403). A POST checks the CSRF token
  first.
- :class:`StaffToken` (``/api/v1/cases...``): a staff token (``Authorization: Bearer sgs_...``)
  whose account may (no or a bad token: 401 with ``WWW-Authenticate``; another role: 403).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from sanctuarygate.domain.advice import N_
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import AuthenticationError
from sanctuarygate.web import session
from sanctuarygate.web.signin import current_member
from sanctuarygate.web.signin_guard import refuse_write, staff_bearer, token_member
from sanctuarygate.web.signin_roles import WRITES_LOG, may

log = logging.getLogger("sanctuarygate.web")

SIGN_IN_FOR_CASES = N_("Sign in to see cases and reviews.")
ROLE_MAY_NOT_CASES = N_("Your role may not do this with cases. Nothing was changed.")


class StaffPage:
    """A case page: CSRF on a POST, then a signed-in member whose role may take ``action``."""

    def __init__(self, action: str, *, sign_in: str = SIGN_IN_FOR_CASES,
                 refused: str = ROLE_MAY_NOT_CASES) -> None:
        self.action = action
        self.sign_in = sign_in  # the page's words for "sign in first" and "not your role"
        self.refused = refused

    async def __call__(self, request: Request) -> StaffMember:
        if request.method == "POST":
            await session.check_csrf(request)
        member = await run_in_threadpool(current_member, request)
        writes = request.method == "POST" and self.action in WRITES_LOG
        if member is None:
            missing = AuthenticationError(self.sign_in, reason="missing")
            if writes:  # an attempt to write the public log is on it, refused or not
                await run_in_threadpool(refuse_write, request, missing)
            raise missing
        if not may(member, self.action):
            if writes:
                await run_in_threadpool(refuse_write, request,
                                        AuthenticationError(self.refused, reason="role"))
            raise HTTPException(403, self.refused)
        return member


class StaffToken:
    """A case route of the JSON API: a staff token whose account may take ``action``."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __call__(
        self, request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(staff_bearer)],
    ) -> StaffMember:
        return token_member(request, credentials, self.action, "changed")
