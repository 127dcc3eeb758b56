"""The FastAPI application: the JSON API, the desk page, static files and problem answers.

Built by a factory so that tests inject their own decider and nothing loads at import::

    uvicorn --factory sanctuarygate.web.app:create_app

At start-up (the app's lifespan, before the first request) the log's schema is brought to head
under the migration lock, the log's signing key is created or checked and the policy packs are
loaded; only then does ``/healthz`` answer 200 (503 problem+json before). Workers starting
together on an empty database migrate it once.

>>> create_app().title
'sanctuarygate'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from sanctuarygate.audit.default import default_log
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.gateway.default import default_records
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import get_settings
from sanctuarygate.store.db import migrate
from sanctuarygate.web import api, log_api, log_pages, pages, query_api, session
from sanctuarygate.web.i18n import LanguageCookie
from sanctuarygate.web.limit import BodyLimit
from sanctuarygate.web.problem import (
    PROBLEM_JSON,
    TYPE_PREFIX,
    Problem,
    install_problem_handlers,
    problem_response,
)

STATIC_DIR = Path(__file__).parent / "static"

NOT_READY = Problem(503, "Not ready", "The service is starting: its database is not migrated "
                    "yet. Nothing was decided; retry in a moment.", TYPE_PREFIX + "not-ready")


def start(app: FastAPI) -> None:
    """Everything a request needs, once, before the first one: the log's schema at head (under
    the migration lock), its signing key, the policy packs. A failure stops the start."""
    log = app.state.log()
    app.state.schema = migrate(log.engine).after
    log.verifiers()  # creates the signing key, or names the damaged key file
    app.state.decider()
    app.state.ready = True


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run ``start`` (blocking work, in a thread) before the server takes requests."""
    await anyio.to_thread.run_sync(start, app)
    yield


def create_app(decider: Decider | None = None, log: DecisionLog | None = None,
               records: Engine | None = None, *, max_request_bytes: int | None = None) -> FastAPI:
    """A new app deciding with ``decider``, or with the default decider, loaded on first use.

    >>> create_app().url_path_for("create_decision")
    '/api/v1/decisions'
    """
    app = FastAPI(title="sanctuarygate", openapi_url="/api/v1/openapi.json",
                  docs_url="/api/docs", redoc_url=None, lifespan=lifespan)
    app.state.ready = False
    app.state.decider = (lambda: decider) if decider is not None else default_decider
    app.state.log = (lambda: log) if log is not None else default_log
    app.state.records = (lambda: records) if records is not None else default_records
    install_problem_handlers(app, html=pages.problem_page)
    app.include_router(api.router)
    app.include_router(log_api.router)
    app.include_router(query_api.router)
    app.include_router(pages.router)
    app.include_router(log_pages.router)
    session.install_sessions(app)  # staff sign-in: session cookie, CSRF, /signin, /signout
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(LanguageCookie)  # the pages' language switch (?lang=es) sets a cookie
    app.add_middleware(BodyLimit, max_bytes=max_request_bytes or get_settings().max_request_bytes)

    @app.get("/healthz", tags=["ops"], summary="Readiness", response_model=None, responses={
        200: {"description": "Ready: the database is migrated and the packs are loaded.",
              "content": {"application/json": {"example": {"status": "ok"}}}},
        503: {"description": "Still starting (or the start failed).",
              "content": {PROBLEM_JSON: {"example": NOT_READY.to_dict()}}}})
    def healthz(request: Request) -> dict[str, Any] | JSONResponse:
        """Ready only once the start-up work (``start``) is done; loads nothing itself."""
        if not request.app.state.ready:
            return problem_response(NOT_READY, {"Retry-After": "1"})
        return {"status": "ok"}

    return app
