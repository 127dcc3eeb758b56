"""Staff sessions for the pages: a signed cookie, idle expiry, and a CSRF token per session.

The cookie is Starlette's ``SessionMiddleware`` (signed with itsdangerous; ``HttpOnly``,
``SameSite=Lax``, ``Secure`` when :attr:`SessionSettings.https_only`), signed with a key kept in
the data directory (``keys/session.key``, made once by ``secret.load_or_create_secret``). It
holds, for a signed-in member, the public id and sign-in name, when the session was last used
(``seen``) and the CSRF token; anonymous visitors get a CSRF token only. It is a browser-session
cookie: closing the browser on a shared desk computer ends it.

A session unused for :attr:`SessionSettings.idle_minutes` is signed out (the next page says so).
Every POST form carries the session's CSRF token (a hidden ``csrf_token`` field, or the
``X-CSRF-Token`` header htmx sends from ``hx-headers``); :func:`check_csrf` refuses a missing or
wrong one with 403. The JSON API (``/api/``) never reads the cookie: it takes bearer tokens.

Its settings are the app's (``app.state.settings``, read once by the factory)::

    SANCTUARYGATE_SESSION_IDLE_MINUTES   idle time before a session is signed out (default 480)
    SANCTUARYGATE_SESSION_HTTPS_ONLY     true: the cookie is marked Secure (serve over https)

>>> from sanctuarygate.settings import Settings
>>> SessionSettings.of(Settings(session_idle_minutes=30)).idle_minutes
30
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from sanctuarygate.domain.advice import N_
from sanctuarygate.secret import load_or_create_secret
from sanctuarygate.settings import Settings

COOKIE = "sg_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
KEY_FILE = "session.key"
#: Paths the session never touches: the API (bearer tokens only) and static files.
NO_SESSION = ("/api/", "/static/")

CSRF_REFUSED = N_("This form has expired or did not come from this site. Nothing was done: "
                  "reload the page and try again.")


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """How staff sessions behave; ``clock`` (seconds since the epoch) is for tests."""

    idle_minutes: int = 480
    https_only: bool = False
    clock: Callable[[], float] = field(default=time.time, compare=False)

    @classmethod
    def of(cls, settings: Settings) -> SessionSettings:
        """The session part of the app's settings."""
        return cls(settings.session_idle_minutes, settings.session_https_only)


class StaffSessions:
    """The session middleware: Starlette's signed cookie (its key loaded on the first request,
    so that making the app writes nothing), then idle expiry."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cookie: SessionMiddleware | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NO_SESSION):
            await self.app(scope, receive, send)
            return
        if self.cookie is None:
            state = scope["app"].state
            config: SessionSettings = state.sessions
            settings: Settings = state.settings
            key = load_or_create_secret(settings.data_dir, KEY_FILE)
            self.cookie = SessionMiddleware(self._expire, secret_key=key.hex(),
                                            session_cookie=COOKIE, max_age=None,
                                            same_site="lax", https_only=config.https_only)
        await self.cookie(scope, receive, send)

    async def _expire(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Sign out a session idle for too long; note the use of a live one."""
        config: SessionSettings = scope["app"].state.sessions
        session: dict[str, Any] = scope["session"]
        now = config.clock()
        if "staff" in session:
            if now - float(session.get("seen", 0)) > config.idle_minutes * 60:
                for name in ("staff", "name", "seen"):
                    session.pop(name, None)
                session["notice"] = "expired"
            else:
                session["seen"] = now
        await self.app(scope, receive, send)


def install_sessions(app: FastAPI, settings: SessionSettings | None = None) -> None:
    """Staff sign-in for ``app``: the session middleware, ``/signin`` and ``/signout``, and
    ``/signin/oidc`` (the identity provider's, 404 unless configured)."""
    from sanctuarygate.web import signin, signin_oidc  # the routes use this module's helpers

    app.state.sessions = settings or SessionSettings.of(app.state.settings)
    app.include_router(signin.router)
    signin_oidc.install(app)  # the identity provider's sign-in, when configured (else 404)
    app.add_middleware(StaffSessions)


def session_of(request: Request) -> dict[str, Any]:
    """The request's session, or an empty one where sessions do not apply (the API)."""
    found: dict[str, Any] = request.scope.get("session", {})
    return found


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use ("" outside sessions)."""
    if "session" not in request.scope:
        return ""
    session = session_of(request)
    if not session.get("csrf"):
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


async def check_csrf(request: Request) -> None:
    """Refuse (403) a POST whose CSRF token, from the form or the ``X-CSRF-Token`` header, is
    missing or not this session's. A FastAPI dependency for every page that takes a form."""
    expected = str(session_of(request).get("csrf", ""))
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, CSRF_REFUSED)


def now_of(request: Request) -> float:
    """The app's clock (seconds since the epoch)."""
    config: SessionSettings = request.app.state.sessions
    return config.clock()


def start_session(request: Request, staff_id: str, name: str) -> None:
    """A fresh session for a member just signed in (a new CSRF token too: nothing carried
    over from before the sign-in)."""
    session = session_of(request)
    session.clear()
    session.update(staff=staff_id, name=name, seen=now_of(request),
                   csrf=secrets.token_urlsafe(32))


def end_session(request: Request) -> None:
    """Sign out: the session is emptied and its cookie removed."""
    session_of(request).clear()


def signed_in_id(request: Request) -> str | None:
    """The public id of the signed-in member, per the session (not checked against the
    database: :func:`sanctuarygate.web.signin.current_member` does that)."""
    staff = session_of(request).get("staff")
    return str(staff) if staff else None


def session_context(request: Request) -> dict[str, Any]:
    """Template variables: ``csrf_token``, ``signed_in`` (the sign-in name or None) and
    ``notice()``, which hands over a one-time notice (``expired``) to the page showing it."""
    session = session_of(request)

    def notice() -> str:
        return str(session.pop("notice", "")) if "session" in request.scope else ""

    return {"csrf_token": csrf_token(request), "signed_in": session.get("name"),
            "notice": notice}
