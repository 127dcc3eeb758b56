"""Who is calling: FastAPI dependencies that authenticate a partner agency by its API key.

Authentication only: the key says which agency is asking; what that agency may have is decided
by the policy (``decide``), never here. A key is sent as ``Authorization: Bearer <key>`` or as
``X-API-Key: <key>`` (never in the URL, where it would end up in access logs). No key, a
malformed, unknown or revoked key, or a request naming another agency than the key's own is an
:class:`~sanctuarygate.errors.AuthenticationError`: a 401 problem with a ``WWW-Authenticate``
header (``web/problem.py``)::

    @router.post("/api/v1/query")
    def query(body: QueryBody, key: AgencyKey) -> ...:
        require_agency(key, body.agency)   # 401 if the body names another agency
        ...                                # decide with key.agency_id as the principal

>>> AgencyKey.__metadata__[0].dependency is authenticated_agency
True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from sanctuarygate.errors import AuthenticationError
from sanctuarygate.gateway.keys import record_key_use
from sanctuarygate.store.credential import KeyInfo, authenticate, require_agency
from sanctuarygate.web.state import get_log

__all__ = ["AgencyKey", "KeyInfo", "VerifiedKey", "authenticated_agency", "presented_key",
           "require_agency", "verified_key"]

log = logging.getLogger("sanctuarygate.web")


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key in ``Authorization: Bearer`` or ``X-API-Key`` (None if neither is sent).

    >>> presented_key({"authorization": "bearer sgk_x"}), presented_key({"x-api-key": "sgk_y"})
    ('sgk_x', 'sgk_y')
    >>> presented_key({"authorization": "Basic dTpw"})
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.AuthenticationError: malformed Authorization header: expected 'Bearer <key>'
    """
    bearer: str | None = None
    header = headers.get("authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("malformed Authorization header: expected 'Bearer <key>'",
                                      reason="malformed")
        bearer = token.strip()
    api_key = headers.get("x-api-key")
    api_key = api_key.strip() if api_key is not None else None
    if bearer and api_key and bearer != api_key:
        raise AuthenticationError("two different API keys in Authorization and X-API-Key",
                                  reason="malformed")
    return bearer or api_key or None


def verified_key(request: Request) -> KeyInfo:
    """The caller's key, authenticated but NOT yet recorded as used.

    For a route whose library operation records the use in the transaction of its own work
    (``gateway.release.release`` does, with the query's log entry). Prefer
    :func:`authenticated_agency`, which records the use itself.
    """
    try:
        presented = presented_key(request.headers)
        with get_log(request).engine.connect() as conn:
            return authenticate(conn, presented)
    except AuthenticationError as exc:
        log.info("%s %s: authentication failed (%s)", request.method, request.url.path,
                 exc.reason)
        raise


def authenticated_agency(request: Request) -> KeyInfo:
    """The caller's key, authenticated, its use recorded (``last_used_at`` and a ``key-use``
    entry naming the method and path) in one transaction before the route runs.

    The entry's log index is left in ``request.state.key_use_index``.
    """
    try:
        presented = presented_key(request.headers)
        with get_log(request).engine.begin() as conn:
            info = authenticate(conn, presented)
            index = record_key_use(conn, info, what=f"{request.method} {request.url.path}")
    except AuthenticationError as exc:
        log.info("%s %s: authentication failed (%s)", request.method, request.url.path,
                 exc.reason)
        raise
    request.state.key_use_index = index
    return info


#: The authenticated caller's key, its use recorded: ``def route(key: AgencyKey)``.
AgencyKey = Annotated[KeyInfo, Depends(authenticated_agency)]
#: The authenticated caller's key; the operation the route calls must record its use.
VerifiedKey = Annotated[KeyInfo, Depends(verified_key)]
