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
import threading
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Connection

from sanctuarygate.errors import AmbiguousKeyError, AuthenticationError
from sanctuarygate.gateway.keys import presented_key_id, record_auth_failure, record_key_use
from sanctuarygate.settings import Settings
from sanctuarygate.store.credential import KeyInfo, authenticate, require_agency
from sanctuarygate.web.state import get_log
from sanctuarygate.web.throttle import Throttle

__all__ = ["AgencyKey", "KeyInfo", "VerifiedKey", "authenticated_agency", "presented_key",
           "refuse", "require_agency", "require_own_agency", "throttle_of", "verified_key"]

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
    getlist = getattr(headers, "getlist", None)  # Starlette's headers keep repeated ones
    for name in ("authorization", "x-api-key"):
        if getlist is not None and len(getlist(name)) > 1:
            raise AmbiguousKeyError("Authorization" if name == "authorization" else "X-API-Key")
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


_MAKING = threading.Lock()


def throttle_of(request: Request) -> Throttle:
    """The app's count of failed authentications per client (``web/throttle.py``), made on
    first use from the app's settings (``SANCTUARYGATE_AUTH_FAILURE_LIMIT`` and ``_WINDOW``)."""
    state = request.app.state
    with _MAKING:
        found: Throttle | None = getattr(state, "auth_throttle", None)
        if found is None:
            settings: Settings = state.settings
            found = state.auth_throttle = Throttle(limit=settings.auth_failure_limit,
                                                   window=settings.auth_failure_window)
    return found


def client_of(request: Request) -> str:
    """The client a throttle counts: the address the connection comes from."""
    return request.client.host if request.client else "unknown"


def refuse(request: Request, exc: AuthenticationError, *, key_id: str | None = None) -> None:
    """Put a failed authentication on the record before it is answered: counted against the
    client (``throttle_of``), an ``auth-failed`` log entry (the reason, the method and path,
    the key id when one was read; never the secret, never the client's address) and a line in
    the service log. A log that cannot be written does not turn the 401 into a 500."""
    what = f"{request.method} {request.url.path}"
    throttle_of(request).failed(client_of(request))
    index: int | None = None
    try:
        with get_log(request).engine.begin() as conn:
            index = record_auth_failure(conn, exc.reason, what=what, key_id=key_id)
    except Exception:
        log.exception("%s: could not record a failed authentication", what)
    log.warning("%s: authentication failed (%s%s); log entry %s", what, exc.reason,
                f", key {key_id}" if key_id else "", index)


def _authenticate(request: Request, conn: Connection) -> KeyInfo:
    """Authenticate the request's key (after the client's throttle); a failure is refused on
    the record (:func:`refuse`) and raised."""
    throttle_of(request).check(client_of(request))  # 429: nothing looked at, nothing recorded
    presented: str | None = None
    try:
        presented = presented_key(request.headers)
        return authenticate(conn, presented)
    except AuthenticationError as exc:
        refuse(request, exc, key_id=presented_key_id(presented))
        raise


def verified_key(request: Request) -> KeyInfo:
    """The caller's key, authenticated but NOT yet recorded as used.

    For a route whose library operation records the use in the transaction of its own work
    (``gateway.release.release`` does, with the query's log entry). Prefer
    :func:`authenticated_agency`, which records the use itself.
    """
    with get_log(request).engine.connect() as conn:
        return _authenticate(request, conn)


def authenticated_agency(request: Request) -> KeyInfo:
    """The caller's key, authenticated, its use recorded (``last_used_at`` and a ``key-use``
    entry naming the method and path) in one transaction before the route runs.

    The entry's log index is left in ``request.state.key_use_index``.
    """
    with get_log(request).engine.connect() as conn:
        info = _authenticate(request, conn)
    try:
        with get_log(request).engine.begin() as conn:
            index = record_key_use(conn, info, what=f"{request.method} {request.url.path}")
    except AuthenticationError as exc:  # revoked since it was authenticated
        refuse(request, exc, key_id=info.key_id)
        raise
    request.state.key_use_index = index
    return info


def require_own_agency(request: Request, info: KeyInfo, claimed: Any) -> KeyInfo:
    """``require_agency`` for a route: a request that names another agency than the key's is
    refused on the record (``wrong-agency``, with the key's id)."""
    try:
        return require_agency(info, claimed if isinstance(claimed, str) or claimed is None
                              else str(claimed))
    except AuthenticationError as exc:
        refuse(request, exc, key_id=info.key_id)
        raise


#: The authenticated caller's key, its use recorded: ``def route(key: AgencyKey)``.
AgencyKey = Annotated[KeyInfo, Depends(authenticated_agency)]
#: The authenticated caller's key; the operation the route calls must record its use.
VerifiedKey = Annotated[KeyInfo, Depends(verified_key)]
