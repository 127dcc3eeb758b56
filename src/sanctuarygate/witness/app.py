"""The witness's HTTP service (c2sp.org/tlog-witness), a small FastAPI app of its own.

=====================================  ==========================================================
``POST /add-checkpoint``               the protocol: 200 with the cosignature line, or an error
``GET /<sha256(origin) hex>/checkpoint``  the latest checkpoint cosigned for a log (monitors)
``GET /``                              the witness's public key (vkey), one line
=====================================  ==========================================================

Statuses follow the spec: 400 malformed request, 403 not signed by the log's key, 404 unknown
log, 409 old size mismatch (body: the witness's size, ``text/x.tlog.size``), 422 inconsistent
checkpoint. Other errors are answered as ``application/problem+json`` with a one-line detail.
The witness logs no request bodies; checkpoints carry no personal data anyway.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from sanctuarygate.audit.checkpoint import MalformedCheckpointError
from sanctuarygate.audit.note import MalformedNoteError, NoteError
from sanctuarygate.errors import InputError, SanctuaryGateError
from sanctuarygate.witness.cosigner import Witness
from sanctuarygate.witness.protocol import (
    MAX_BODY_BYTES,
    SIZE_CONTENT_TYPE,
    InconsistentCheckpointError,
    SizeConflictError,
    UnknownOriginError,
)

#: Error class -> HTTP status, most specific first (the one table).
STATUSES: tuple[tuple[type[SanctuaryGateError], int], ...] = (
    (InputError, 400),
    (MalformedCheckpointError, 400),
    (MalformedNoteError, 400),
    (NoteError, 403),
    (UnknownOriginError, 404),
    (SizeConflictError, 409),
    (InconsistentCheckpointError, 422),
)


def status_of(exc: SanctuaryGateError) -> int:
    """The HTTP status for an error of the witness (500 for anything unexpected).

    >>> status_of(SizeConflictError(3)), status_of(UnknownOriginError("x"))
    (409, 404)
    """
    for cls, status in STATUSES:
        if isinstance(exc, cls):
            return status
    return 500


def create_app(witness: Witness | Path | str) -> FastAPI:
    """The witness app, for a ``Witness`` or the directory that holds one."""
    if not isinstance(witness, Witness):
        witness = Witness.open(witness)
    app = FastAPI(title="sanctuarygate witness", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.witness = witness

    @app.get("/", response_class=PlainTextResponse)
    def vkey() -> str:
        return witness.verifier.key + "\n"

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return _problem(413, "Request too large",
                                f"an add-checkpoint body is at most {MAX_BODY_BYTES} bytes")
        try:
            line = await run_in_threadpool(witness.add_checkpoint, bytes(body))
        except SizeConflictError as exc:
            # exactly this content type, with no charset parameter (Starlette adds one to text/*)
            return Response(f"{exc.size}\n", status_code=409,
                            headers={"content-type": SIZE_CONTENT_TYPE})
        except SanctuaryGateError as exc:
            return _problem(status_of(exc), getattr(exc, "title", "Not cosigned"), str(exc))
        return PlainTextResponse(line)

    @app.get("/{origin_hash}/checkpoint")
    def checkpoint(origin_hash: str) -> Response:
        for log in witness.state.logs():
            if hashlib.sha256(log.origin.encode()).hexdigest() == origin_hash and log.checkpoint:
                return PlainTextResponse(log.checkpoint)
        return _problem(404, "Not found", "this witness has cosigned no checkpoint of that log")

    return app


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail},
                        status_code=status, media_type="application/problem+json")
