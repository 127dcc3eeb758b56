"""The API's contract as OpenAPI shows it: one Problem schema for every error, the security
schemes, and the document FastAPI builds, corrected to say what the routes really send.

A route names the problems it may answer with :func:`problems`::

    @router.post("/decisions", responses=problems(401, 403, 413, 415, 422))

and :func:`contract` (``app.openapi``) makes every documented error ``application/problem+json``
with the :class:`ProblemDetails` schema (FastAPI would say ``application/json``), drops FastAPI's
own ``HTTPValidationError`` (our 422 is a problem, ``web/problem.py``) and declares the agency
key schemes next to the staff token (``web/signin_guard.py``).

>>> problems(401)[401]["description"]
'Not authenticated: no credential, or one that is malformed, unknown or revoked.'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import StreamingResponse
from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from sanctuarygate.web.problem import PROBLEM_JSON

__all__ = ["PROBLEM_SCHEMA", "JsonLines", "ProblemDetails", "agency_api_key", "agency_bearer",
           "contract", "json_body", "problems", "streams"]

#: The name of the shared schema every error answer points to.
PROBLEM_SCHEMA: Final = "Problem"


class FieldProblem(BaseModel):
    field: str | None = Field(description="The request field, dotted (principal.agency).")
    message: str


class ProblemDetails(BaseModel):
    """An error answer (RFC 9457). Extension members: ``field`` and ``errors`` (bad input, every
    problem at once), ``reason`` (401), ``decision`` and ``log_index`` (the rules refused)."""

    model_config = ConfigDict(extra="allow", title=PROBLEM_SCHEMA)
    type: str = Field(examples=["urn:sanctuarygate:problem:invalid-request"])
    title: str
    status: int
    detail: str = Field(description="What went wrong, in one line; a server-side problem says "
                        "the request was NOT allowed.")
    field: str | None = None
    errors: list[FieldProblem] | None = None
    reason: str | None = Field(None, description="Why a credential was refused (401).")
    decision: dict[str, Any] | None = Field(None, description="The refusing decision (403).")
    log_index: int | None = None


#: What each status means, whichever route answers it.
MEANING: Final[dict[int, str]] = {
    400: "The request could not be read: a body that is not JSON (or not UTF-8), or a "
         "credential header sent twice.",
    401: "Not authenticated: no credential, or one that is malformed, unknown or revoked.",
    403: "Not allowed: the credential's role or agency may not do this, or the rules refused.",
    404: "Nothing at this address.",
    413: "The body is larger than the service accepts (SANCTUARYGATE_MAX_REQUEST_BYTES).",
    415: "The body is not JSON (content-type must be application/json).",
    422: "Invalid request: every problem at once in `errors`, each naming its field.",
    429: "Too many requests: wait (Retry-After) and try again.",
    503: "The service is starting; retry in a moment.",
}


#: The headers a problem of this status always carries (``web/problem.py``'s ``challenge``).
HEADERS: Final[dict[int, dict[str, str]]] = {
    401: {"WWW-Authenticate": "Bearer realm=\"sanctuarygate\", with error=\"invalid_token\" "
                              "when a credential was sent but is not usable (RFC 6750)."},
    429: {"Retry-After": "Seconds to wait before trying again."},
    503: {"Retry-After": "Seconds to wait before trying again."},
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that may answer these statuses with a problem.

    >>> sorted(problems(401, 422)[401]["headers"])
    ['WWW-Authenticate']
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": ProblemDetails, "description": MEANING[status]}
        if status in HEADERS:
            out[status]["headers"] = {
                name: {"description": text, "required": True, "schema": {"type": "string"}}
                for name, text in HEADERS[status].items()}
    return out


def streams(description: str, *media: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route whose 200 may also be these text media types (its
    ``response_class`` names the first, e.g. :class:`JsonLines`)."""
    return {200: {"description": description,
                  "content": {m: {"schema": {"type": "string"}} for m in media}}}


class JsonLines(StreamingResponse):
    """A stream of JSON lines. As a route's ``response_class`` it documents the media type (the
    route still builds its own response)."""

    media_type = "application/x-ndjson"


#: A partner agency's key (``sanctuarygate agency key issue``), as OpenAPI shows it. Only for
#: the document: ``web/auth.py`` reads and checks the key (either header, never the URL).
agency_bearer = HTTPBearer(
    auto_error=False, scheme_name="agencyKey", bearerFormat="sgk_<key id>_<secret>",
    description="A partner agency's API key (`sanctuarygate agency key issue AGENCY`), sent as "
                "`Authorization: Bearer sgk_...`. It says which agency asks; the rules decide "
                "what that agency may have.")
agency_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="agencyApiKey",
    description="The same agency key in the `X-API-Key` header instead of Authorization.")


#: Bodies a route reads from its bytes (so FastAPI does not see a model) but documents.
_BODIES: dict[str, type[BaseModel]] = {}


def json_body(model: type[BaseModel], example: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body itself: the body documented as
    ``model`` (a schema under components), with ``example``."""
    _BODIES[model.__name__] = model
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}, "example": example}}}}


def _is_error(status: str) -> bool:
    return status[:1] in ("4", "5") or status == "default"


def correct(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (FastAPI's OpenAPI), with every error response ``application/problem+json``
    of the one Problem schema, 400 and 413 on every route that reads a body (the app answers
    them before the route runs: ``web/problem.py``, ``web/limit.py``), and FastAPI's unused
    validation schemas dropped."""
    ref = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA}"}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:  # the app answers these for any route with a body
                for status in (400, 413):
                    operation["responses"].setdefault(str(status),
                                                      {"description": MEANING[status]})
            for status, response in operation.get("responses", {}).items():
                if not _is_error(str(status)):
                    continue
                examples = {k: v for media in response.get("content", {}).values()
                            for k, v in media.items() if k in ("example", "examples")}
                response["content"] = {PROBLEM_JSON: {"schema": ref, **examples}}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    if ProblemDetails.__name__ in schemas:  # the one Problem schema, under its plain name
        schemas[PROBLEM_SCHEMA] = schemas.pop(ProblemDetails.__name__)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for name, model in _BODIES.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for inner, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(inner, definition)
        schemas[name] = schema
    return document


def contract(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: the corrected document, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = correct(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes, tags=app.openapi_tags, servers=app.servers))
        return app.openapi_schema

    return openapi
