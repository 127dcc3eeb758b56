"""The FastAPI application: the JSON API, the desk page, static files and problem answers.

Built by a factory, so that nothing loads at import and tests build an app with their own
settings (or their own decider, log, records database)::

    uvicorn --factory sanctuarygate.web.app:create_app

The factory reads the settings once (unless given them) and builds everything a request needs,
kept on ``app.state``: ``settings``, ``decider`` (the policy packs loaded), ``log``, ``records``
and ``gateway``. Routes get them through the dependencies of ``web/state.py``; nothing reads the
environment, or a global, per request. At start-up (the app's lifespan, before the first
request) the log's schema is brought to head under the migration lock and the log's signing key
is created or checked; only then does ``/healthz`` answer 200 (503 problem+json before). Workers
starting together on an empty database migrate it once.

>>> create_app(Settings(database_url="sqlite://")).title
'sanctuarygate'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request, Security
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from sanctuarygate.audit.default import open_log
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.gateway.default import build_gateway, open_records
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import build_decider
from sanctuarygate.settings import Settings, load_settings
from sanctuarygate.store.db import migrate
from sanctuarygate.web import (
    api,
    case_api,
    case_document,
    cases,
    log_api,
    log_pages,
    misuse,
    misuse_staff,
    pages,
    query_api,
    replay_page,
    residents,
    rules_pages,
    session,
    transparency,
)
from sanctuarygate.web.i18n import LanguageCookie
from sanctuarygate.web.limit import BodyLimit
from sanctuarygate.web.loop_commit import loop_commits
from sanctuarygate.web.openapi import agency_api_key, agency_bearer, contract, problems
from sanctuarygate.web.problem import (
    PROBLEM_JSON,
    TYPE_PREFIX,
    Problem,
    install_problem_handlers,
    problem_response,
)
from sanctuarygate.web.property_pages import router as property_router
from sanctuarygate.web.property_sign import router as property_sign_router
from sanctuarygate.web.publisher import publishing, witnesses_of
from sanctuarygate.web.token_grants import GrantCache

STATIC_DIR = Path(__file__).parent / "static"

NOT_READY = Problem(503, "Not ready", "The service is starting: its database is not migrated "
                    "yet. Nothing was decided; retry in a moment.", TYPE_PREFIX + "not-ready")


def start(app: FastAPI) -> None:
    """The work before the first request: the log's schema at head (under the migration lock)
    and its signing key (the factory loaded the packs). A failure stops the start."""
    log: DecisionLog = app.state.log
    app.state.schema = migrate(log.engine).after
    log.verifiers()  # creates the signing key, or names the damaged key file
    app.state.ready = True


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run ``start`` (blocking work, in a thread) before the server takes requests; then, while
    it serves, publish to the log's witnesses in the background (``web/publisher.py``) and
    commit the API's recorded decisions on the event loop (``web/loop_commit.py``)."""
    await anyio.to_thread.run_sync(start, app)
    async with publishing(app), loop_commits(app):  # (see web/loop_commit.py)
        yield


def create_app(settings: Settings | None = None, *, decider: Decider | None = None,
               log: DecisionLog | None = None, records: Engine | None = None,
               max_request_bytes: int | None = None) -> FastAPI:
    """A new app for ``settings`` (default: read from the environment, now, once), deciding
    with ``decider``, recording in ``log`` and reading ``records`` when given, else with those
    the settings name. The log is opened here and migrated at start-up.

    >>> app = create_app(Settings(database_url="sqlite://"))
    >>> app.url_path_for("create_decision"), app.state.gateway.profile
    ('/api/v1/decisions', 'chicago')
    """
    settings = settings if settings is not None else load_settings()
    decider = decider if decider is not None else build_decider(settings)
    log = log if log is not None else open_log(settings, migrate=False)
    records = records if records is not None else open_records(settings)
    app = FastAPI(title="sanctuarygate", openapi_url="/api/v1/openapi.json",
                  docs_url="/api/docs", redoc_url=None, lifespan=lifespan)
    app.state.ready = False
    app.state.settings = settings
    app.state.decider = decider
    app.state.log = log
    app.state.records = records
    app.state.gateway = build_gateway(settings, decider, log, records)
    app.state.witnesses = witnesses_of(settings)  # a bad entry or quorum stops the start
    app.state.token_grants = GrantCache()  # staff tokens this worker has checked
    app.state.loop_group = None  # the event loop's group commit, while the app runs
    install_problem_handlers(app, html=pages.problem_page)
    app.include_router(api.router)
    app.include_router(log_api.router)
    # The agency key's two headers, declared for OpenAPI (web/auth.py checks the key itself).
    app.include_router(query_api.router, responses=problems(400, 401, 403, 422, 429),
                       dependencies=[Security(agency_bearer), Security(agency_api_key)])
    app.include_router(pages.router)
    app.include_router(property_router)  # public: /property, the city's property registry
    app.include_router(property_sign_router)  # staff: a property's printable sign
    app.include_router(log_pages.router)
    app.include_router(cases.router)  # the review queue's pages (staff)
    app.include_router(case_api.router)  # the review queue in the API (staff tokens)
    app.include_router(case_document.router)  # a case's document copy (staff)
    app.include_router(transparency.router)  # public: /transparency, its CSV files
    app.include_router(rules_pages.router)  # public: /rules, a page per place and per pack
    app.include_router(residents.router)  # public: /residents, in four languages
    app.include_router(replay_page.router)  # staff: /replay, the what-if replay and its PDF
    misuse.install(app)  # public: /report, the misuse report form (rate-limited)
    app.include_router(misuse_staff.router)  # staff: /reports; public: /reports/counts.csv
    session.install_sessions(app)  # staff sign-in: session cookie, CSRF, /signin, /signout
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(LanguageCookie)  # the pages' language switch (?lang=es) sets a cookie
    app.add_middleware(BodyLimit, max_bytes=max_request_bytes or settings.max_request_bytes,
                       paths={"/report": misuse.request_limit(settings)},  # its photos
                       patterns={case_document.UPLOAD_PATHS: case_document.request_limit(
                           settings)})  # a case's document copy
    app.openapi = contract(app)  # type: ignore[method-assign]  # errors as problem+json

    @app.get("/healthz", tags=["ops"], summary="Readiness", response_model=None, responses={
        200: {"description": "Ready: the database is migrated and the packs are loaded.",
              "content": {"application/json": {"example": {"status": "ok"}}}},
        503: {**problems(503)[503], "description": "Still starting (or the start failed).",
              "content": {PROBLEM_JSON: {"example": NOT_READY.to_dict()}}}})
    def healthz(request: Request) -> dict[str, Any] | JSONResponse:
        """Ready only once the start-up work (``start``) is done; loads nothing itself."""
        if not request.app.state.ready:
            return problem_response(NOT_READY, {"Retry-After": "1"})
        return {"status": "ok"}

    return app
