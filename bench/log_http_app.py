"""The server ``bench/log_http.py`` starts: the product's app, each answer naming its worker.

``uvicorn --app-dir bench --factory log_http_app:create_app --workers W`` calls this factory in
each worker process. It builds the product's app (``sanctuarygate.web.app.create_app``, settings
from the environment, as the product's own factory does) and wraps it in an ASGI callable that
adds one response header, ``x-bench-worker: <pid>``, so the benchmark's client knows which
worker each of its connections landed on. Nothing else changes: the same routes, the same
start-up and shutdown (``lifespan`` passes through), the same answers.

Not a module of the package, not a test: started by ``bench/log_http.py`` only.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sanctuarygate.web.app import create_app as product_app

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = b"x-bench-worker"


class WorkerHeader:
    """Adds ``x-bench-worker: <this process's pid>`` to every HTTP answer of ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.header = (HEADER, str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), self.header]}
            await send(message)

        await self.app(scope, receive, send_named)


def create_app() -> WorkerHeader:
    return WorkerHeader(product_app())
