"""The guards of the routes that record: who is asking, and whether this request records.

Each guard is a FastAPI dependency carrying the action it guards (``guard.action``, read by the
roles table's test) and answers a :class:`Caller`:

- :class:`DeskGuard` (``POST /decide``): the CSRF token, then the form's ``mode``: ``try``
  answers without recording, for anyone; ``record`` needs a signed-in member whose role may
  record (nobody signed in: 401; another role: 403). No mode: record when the member may,
  else try.
- :class:`ApiGuard` (``POST /api/v1/decisions``): ``?dry_run=true`` answers without recording,
  for anyone; otherwise a staff token (``Authorization: Bearer sgs_...``) whose account may
  record (no or a bad token: 401 with ``WWW-Authenticate``; another role: 403). A token this
  worker checked in the last minute is taken from its cache (``web/token_grants.py``) and its
  grant checked again when the entry commits: :func:`record_as` writes with it, and if it
  lapsed meanwhile, checks the token in full (refused: as above) before writing.

The log's actor is then ``caller.member.actor`` (``staff:s-<hex>``), never free text. Every
refused attempt to write the public log (no or a bad credential: 401; a role that may not: 403)
is on the record as well, as the gateway's are: :func:`refuse_write` (an ``auth-failed`` entry
with the reason, the method and path, the staff token's id when one was sent; a client past its
limit of failures is answered 429 before anything is looked at, nothing recorded).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sanctuarygate.audit.group import GrantLapsed
from sanctuarygate.domain.advice import N_
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.errors import AuthenticationError, InputError
from sanctuarygate.store.staff import TokenGrant, authenticate_token, presented_token_id
from sanctuarygate.web import session
from sanctuarygate.web.auth import client_of, refuse, throttle_of
from sanctuarygate.web.log_api import get_log
from sanctuarygate.web.signin import current_member
from sanctuarygate.web.signin_roles import ACTIONS, WRITES_LOG, may
from sanctuarygate.web.token_grants import GrantCache

log = logging.getLogger("sanctuarygate.web")

SIGN_IN_TO_RECORD = N_("Sign in to record answers. Nothing was recorded; use “Try” to ask "
                       "without recording.")
SESSION_EXPIRED = N_("Your session expired after a time without use, so you were signed out. "
                     "Nothing was recorded: sign in again.")
ROLE_MAY_NOT = N_("Your role may not record answers in the public log. Nothing was recorded.")
MODES = ("record", "try")

#: The staff token scheme, as OpenAPI shows it (partner agencies use their own agency keys).
staff_bearer = HTTPBearer(
    auto_error=False, scheme_name="staffToken", bearerFormat="sgs_<token id>_<secret>",
    description="A staff token (`sanctuarygate staff token issue NAME`), sent as "
                "`Authorization: Bearer sgs_...`; its account's role must allow the action.")


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks (None: nobody signed in) and whether the answer is recorded; for a staff
    token, the grant its entries carry, the token and the action (to check it again)."""

    member: StaffMember | None
    record: bool
    grant: TokenGrant | None = None
    presented: str | None = field(default=None, repr=False)
    action: str = ""


class DeskGuard:
    """The desk's form post: CSRF, then "try" or "record" (see the module's docstring)."""

    def __init__(self, action: str) -> None:
        self.action = action

    async def __call__(self, request: Request) -> Caller:
        await session.check_csrf(request)
        mode = (await request.form()).get("mode") or ""
        if not isinstance(mode, str) or mode not in ("", *MODES):
            raise InputError("expected record or try", field="mode")
        member = await run_in_threadpool(current_member, request)
        if mode == "":
            mode = "record" if may(member, self.action) else "try"
        if mode == "try":
            return Caller(member, record=False)
        if member is None:
            expired = session.session_of(request).get("notice") == "expired"
            log.info("POST %s: not signed in, nothing recorded", request.url.path)
            missing = AuthenticationError(SESSION_EXPIRED if expired else SIGN_IN_TO_RECORD,
                                          reason="missing")
            await run_in_threadpool(refuse_write, request, missing)
            raise missing
        if not may(member, self.action):
            await run_in_threadpool(refuse_write, request,
                                    AuthenticationError(ROLE_MAY_NOT, reason="role"))
            raise HTTPException(403, ROLE_MAY_NOT)
        return Caller(member, record=True)


class ApiGuard:
    """A JSON API route that records: ``dry_run``, or a staff token (module docstring)."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __call__(
        self, request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(staff_bearer)],
        dry_run: Annotated[bool, Query(description="Answer without recording anything; no "
                                                   "credential needed.")] = False,
    ) -> Caller:
        if dry_run:
            return Caller(None, record=False)
        presented = credentials.credentials if credentials else None
        cache = grants_of(request)
        found = cache.get(presented) if presented else None
        if found is not None and may(found[0], self.action):
            if self.action in WRITES_LOG:  # a client past its failures: 429, as ever
                throttle_of(request).check(client_of(request))
            member, grant = found
        else:
            member = token_member(request, credentials, self.action, "recorded")
            assert presented is not None  # a token was accepted
            grant = cache.put(presented, member)
        return Caller(member, record=True, grant=grant, presented=presented, action=self.action)


def grants_of(request: Request) -> GrantCache:
    """The worker's cache of checked staff tokens (``web/token_grants.py``)."""
    cache: GrantCache = request.app.state.token_grants
    return cache


def record_as(request: Request, caller: Caller,
              write: Callable[[StaffMember, TokenGrant | None], T]) -> T:
    """``write(member, grant)`` for a caller of :class:`ApiGuard`. If the grant lapsed before
    the commit (``GrantLapsed``: the token revoked, the account disabled or its roles changed
    since the token was cached), the token is forgotten and checked again in full, which
    refuses it as any refused attempt is (on the log); if it passes, ``write`` runs once more
    on that check."""
    assert caller.member is not None
    try:
        return write(caller.member, caller.grant)
    except GrantLapsed:
        if caller.presented is None:
            raise
    return write(check_again(request, caller), None)  # checked just now, as others are


def check_again(request: Request, caller: Caller) -> StaffMember:
    """A cached token whose grant lapsed: forgotten, and checked in full (refused as any
    refused attempt is: 401 or 403, on the log); its account if it passes."""
    assert caller.presented is not None
    grants_of(request).drop(caller.presented)
    log.info("POST %s: a cached staff token's grant lapsed; checking it again", request.url.path)
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=caller.presented)
    return token_member(request, credentials, caller.action, "recorded")


def refuse_write(request: Request, exc: AuthenticationError,
                 presented: str | None = None) -> None:
    """A refused attempt to write the public log, put on the record before it is answered
    (``web.auth.refuse``: counted against the client, an ``auth-failed`` entry naming the
    reason, the method and path and the staff token's id when ``presented`` names one)."""
    refuse(request, exc, key_id=presented_token_id(presented))


def token_member(request: Request, credentials: HTTPAuthorizationCredentials | None,
                 action: str, unchanged: str) -> StaffMember:
    """The account of the request's staff token, if its role may take ``action``: 401 without
    one (or a malformed one), 403 when the role may not ("Nothing was ``unchanged``."). When
    the action writes the public log, a client past its failures is answered 429 first, and
    each refusal is recorded (:func:`refuse_write`)."""
    writes = action in WRITES_LOG
    presented = credentials.credentials if credentials else None
    if writes:
        throttle_of(request).check(client_of(request))
    try:
        if credentials is None and "authorization" in request.headers:
            raise AuthenticationError("malformed Authorization header: expected "
                                      "'Bearer <staff token>'", reason="malformed")
        # autocommit: one statement, no BEGIN and COMMIT around it (the noted use commits alone)
        with get_log(request).engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            member = authenticate_token(conn, presented)
    except AuthenticationError as exc:
        if writes:
            refuse_write(request, exc, presented)
        else:
            log.info("%s %s: authentication failed (%s)", request.method, request.url.path,
                     exc.reason)
        raise
    if not may(member, action):
        roles = " or ".join(sorted(r.value for r in ACTIONS[action]))
        words = (f"{member.actor} may not {action}: that needs the {roles} role. Nothing was "
                 f"{unchanged}.")
        if writes:
            refuse_write(request, AuthenticationError(words, reason="role"), presented)
        raise HTTPException(403, words)
    return member
