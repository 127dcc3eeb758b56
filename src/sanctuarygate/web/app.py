"""The FastAPI application: the JSON API, the desk page, static files and problem answers.

Built by a factory so that tests inject their own decider and nothing loads at import::

    uvicorn --factory sanctuarygate.web.app:create_app

>>> create_app().title
'sanctuarygate'
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from sanctuarygate.audit.default import default_log
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.gateway.default import default_records
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import get_settings
from sanctuarygate.web import api, log_api, log_pages, pages, query_api
from sanctuarygate.web.i18n import LanguageCookie
from sanctuarygate.web.limit import BodyLimit
from sanctuarygate.web.problem import install_problem_handlers

STATIC_DIR = Path(__file__).parent / "static"


def create_app(decider: Decider | None = None, log: DecisionLog | None = None,
               records: Engine | None = None, *, max_request_bytes: int | None = None) -> FastAPI:
    """A new app deciding with ``decider``, or with the default decider, loaded on first use.

    >>> create_app().url_path_for("create_decision")
    '/api/v1/decisions'
    """
    app = FastAPI(title="sanctuarygate", openapi_url="/api/v1/openapi.json",
                  docs_url="/api/docs", redoc_url=None)
    app.state.decider = (lambda: decider) if decider is not None else default_decider
    app.state.log = (lambda: log) if log is not None else default_log
    app.state.records = (lambda: records) if records is not None else default_records
    install_problem_handlers(app, html=pages.problem_page)
    app.include_router(api.router)
    app.include_router(log_api.router)
    app.include_router(query_api.router)
    app.include_router(pages.router)
    app.include_router(log_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(LanguageCookie)  # the pages' language switch (?lang=es) sets a cookie
    app.add_middleware(BodyLimit, max_bytes=max_request_bytes or get_settings().max_request_bytes)

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    def healthz() -> dict[str, str]:
        """The process answers; it does not load the policy packs."""
        return {"status": "ok"}

    return app
