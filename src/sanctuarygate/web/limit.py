"""A size limit on every request body, answered 413 as a problem (or the desk's error card).

An ASGI middleware that watches what the app reads: a ``Content-Length`` above the limit, or a
body that grows past it while it streams in, raises Starlette's ``HTTPException(413)`` at the
point the route reads the body, so the app's own problem handlers answer it (problem+json for
the API, the NOT DECIDED card for the desk). Nothing past the limit is ever buffered. A route
that takes files (the misuse report's photos, ``/report``) has a limit of its own (``paths``).

>>> BodyLimit(None, max_bytes=10).max_bytes  # type: ignore[arg-type]
10
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, paths: dict[str, int] | None = None,
                 patterns: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths or {}  # exact path -> its own limit
        # a path pattern (a regular expression the whole path matches) -> its own limit
        self.patterns = [(re.compile(k), v) for k, v in (patterns or {}).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.paths.get(path) or next(
            (most for pattern, most in self.patterns if pattern.fullmatch(path)), self.max_bytes)
        stated = dict(scope.get("headers") or ()).get(b"content-length")
        too_big = stated is not None and stated.isdigit() and int(stated) > limit
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            if too_big:
                raise HTTPException(413, _detail(limit))
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, _detail(limit))
            return message

        await self.app(scope, limited, send)


def _detail(limit: int) -> str:
    return (f"The request is larger than {limit:,} bytes (SANCTUARYGATE_MAX_REQUEST_BYTES); "
            "nothing was read or decided.")
