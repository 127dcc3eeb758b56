"""Errors as RFC 9457 problem details, mapped from error classes to statuses in one table.

Every error the web tier answers is a :class:`Problem`: ``type``, ``title``, ``status``,
``detail`` and, when the error names one, the request ``field``. API callers get
``application/problem+json``; a page request (the desk) gets the same problem rendered as
HTML by the renderer passed to :func:`install_problem_handlers`.

Fail closed: a server-side problem says in its detail that the request was NOT allowed, and an
unexpected exception is a 500 problem, never an answer.

>>> p = problem_for(UnknownAgencyError("XYZ", field="principal.agency"))
>>> p.status, p.title, p.field
(422, 'Unknown agency', 'principal.agency')
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from sanctuarygate.audit.bundle import BundleError
from sanctuarygate.audit.checkpoint import CheckpointMismatchError, MalformedCheckpointError
from sanctuarygate.audit.cosignature import TooFewCosignaturesError
from sanctuarygate.audit.keys import KeyFormatError
from sanctuarygate.audit.note import (
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    UnknownKeyError,
)
from sanctuarygate.audit.trust import TrustPolicyError
from sanctuarygate.domain.case import ReviewRefusedError, UnknownCaseError
from sanctuarygate.errors import (
    AgencyKeyRevokedError,
    AmbiguousKeyError,
    AuthenticationError,
    ConfigurationError,
    DatasetNotServedError,
    FieldErrors,
    InputError,
    NotAllowed,
    PolicyEvaluationError,
    PolicyLoadError,
    SanctuaryGateError,
    TooManyFailuresError,
    UnknownAgencyError,
    UnknownAgencyKeyError,
    UnknownDatasetError,
    UnknownProfileError,
)
from sanctuarygate.gateway.plan import QueryRefusedError
from sanctuarygate.gateway.reviewed import ReviewReleaseRefusedError, UnknownGatewayCaseError
from sanctuarygate.report.sign import SignRefused
from sanctuarygate.store.document_copy import CopyTooLargeError
from sanctuarygate.store.log import LogIntegrityError, LogRangeError
from sanctuarygate.web.misuse_photo import PhotoTooLargeError
from sanctuarygate.witness.protocol import (
    InconsistentCheckpointError,
    SizeConflictError,
    UnknownOriginError,
    WitnessError,
    WitnessRefusedError,
    WitnessUnavailableError,
)

PROBLEM_JSON: Final = "application/problem+json"

#: Problem ``type`` URIs are this prefix plus a slug. They identify, they are not links.
TYPE_PREFIX: Final = "urn:sanctuarygate:problem:"

NOT_ALLOWED: Final = "The request was NOT allowed: do not act on it until a person decides."

#: The one table: error class -> (HTTP status, type slug). Looked up along the class's MRO,
#: so a new subclass of InputError is a 422 without an entry of its own.
STATUS: Final[Mapping[type[SanctuaryGateError], tuple[int, str]]] = {
    InputError: (422, "invalid-request"),
    FieldErrors: (422, "invalid-request"),
    UnknownAgencyError: (422, "unknown-agency"),
    UnknownDatasetError: (422, "unknown-dataset"),
    DatasetNotServedError: (422, "dataset-not-served"),
    UnknownProfileError: (422, "unknown-profile"),
    UnknownAgencyKeyError: (422, "unknown-agency-key"),
    AgencyKeyRevokedError: (422, "agency-key-revoked"),
    AuthenticationError: (401, "unauthenticated"),
    AmbiguousKeyError: (400, "ambiguous-credentials"),
    TooManyFailuresError: (429, "too-many-failures"),
    PolicyEvaluationError: (500, "policy-evaluation"),
    PolicyLoadError: (500, "policy-load"),
    ConfigurationError: (500, "configuration"),
    LogRangeError: (422, "outside-log"),
    QueryRefusedError: (403, "query-refused"),
    UnknownCaseError: (404, "unknown-case"),
    UnknownGatewayCaseError: (404, "unknown-case"),
    ReviewReleaseRefusedError: (403, "review-release-refused"),
    ReviewRefusedError: (409, "review-refused"),
    SignRefused: (422, "sign-refused"),
    PhotoTooLargeError: (413, "too-large"),
    CopyTooLargeError: (413, "too-large"),
    NotAllowed: (403, "not-allowed"),
    LogIntegrityError: (500, "log-integrity"),
    NoteError: (500, "log-signature"),
    MalformedNoteError: (500, "log-signature"),
    UnknownKeyError: (500, "log-signature"),
    InvalidSignatureError: (500, "log-signature"),
    MalformedCheckpointError: (500, "log-signature"),
    CheckpointMismatchError: (500, "log-signature"),
    KeyFormatError: (500, "log-key"),
    TrustPolicyError: (422, "trust-policy"),
    BundleError: (500, "log-bundle"),
    TooFewCosignaturesError: (500, "log-witnesses"),
    # The city's service as a witness's client: a witness refusing or unreachable is our failure
    # to publish, never the caller's fault (the witness server answers with its own statuses).
    WitnessError: (500, "log-witnesses"),
    UnknownOriginError: (500, "log-witnesses"),
    SizeConflictError: (500, "log-witnesses"),
    InconsistentCheckpointError: (500, "log-witnesses"),
    WitnessRefusedError: (500, "log-witnesses"),
    WitnessUnavailableError: (500, "log-witnesses"),
    SanctuaryGateError: (500, "internal"),
}

log = logging.getLogger("sanctuarygate.web")

#: Renders a problem as an HTML page or fragment, for requests that come from the desk.
HtmlRenderer = Callable[[Request, "Problem"], Response]


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One RFC 9457 problem; ``extra`` holds extension members such as ``errors``.

    >>> Problem(404, "Not Found", "nothing at /x").to_dict()["type"]
    'about:blank'
    """

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    field: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def server_side(self) -> bool:
        return self.status >= 500

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status,
                               "detail": self.detail}
        if self.field:
            out["field"] = self.field
        return {**out, **self.extra}


#: The longest detail a problem repeats back: a 20 MB agency id is not echoed whole.
MAX_DETAIL = 400


def cut(text: str, limit: int = MAX_DETAIL) -> str:
    """``text``, cut to ``limit`` characters with a note of what was left out.

    >>> cut("x" * 500, 10)
    'xxxxxxxxxx… (490 more characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def problem_for(exc: BaseException) -> Problem:
    """The problem for any exception: the table for ours, a bare 500 for anything else.

    >>> problem_for(RuntimeError("secret")).detail.startswith("An unexpected error")
    True
    """
    if isinstance(exc, SanctuaryGateError):
        status, slug = next(STATUS[c] for c in type(exc).__mro__ if c in STATUS)
        detail = cut(str(exc))
        if status >= 500:
            detail = f"{detail.rstrip('.')}. {NOT_ALLOWED}"
        extra: dict[str, Any] = {}
        if isinstance(exc, InputError):
            # Every problem with the request at once, each naming its field (as FastAPI's own
            # validation problems do); ``detail`` still says them all in one line.
            extra = {"errors": [{"field": field, "message": cut(message)}
                                for field, message in exc.field_errors]}
        elif isinstance(exc, AuthenticationError):
            extra = {"reason": exc.reason}
        elif isinstance(exc, NotAllowed):
            # The rules refused (deny or review): the decision without the desk's advice.
            extra = {"decision": {k: v for k, v in exc.decision.to_dict().items()
                                  if k != "advice"}}
        elif isinstance(exc, QueryRefusedError):
            # An agency reads this answer, not a desk officer: no "what to say" advice.
            if exc.decision is not None:
                extra = {"decision": {k: v for k, v in exc.decision.to_dict().items()
                                      if k != "advice"}}
            if exc.log_index is not None:
                extra["log_index"] = exc.log_index
            if exc.case_id is not None:  # a review's case, to re-run the query with
                extra["case_id"] = exc.case_id
        return Problem(status, exc.title, detail, TYPE_PREFIX + slug,
                       getattr(exc, "field", None), extra)
    # The message of an unexpected exception may hold internals; it goes to the log only.
    return Problem(500, "Internal error",
                   f"An unexpected error occurred and nothing was decided. {NOT_ALLOWED}",
                   TYPE_PREFIX + "internal")


MALFORMED_JSON: Final = Problem(400, "Malformed JSON", "The request body is not valid JSON.",
                                TYPE_PREFIX + "malformed-json")


def validation_problem(exc: RequestValidationError) -> Problem:
    """FastAPI's validation errors: 400 for a body that is not JSON, else the 422 problem of an
    :class:`InputError`, each error naming its field, all at once.

    >>> p = validation_problem(RequestValidationError([
    ...     {"loc": ("body", "date"), "msg": "is required"},
    ...     {"loc": ("query", "limit"), "msg": "must be 1 or more"}]))
    >>> p.status, p.field, p.detail, [e["field"] for e in p.extra["errors"]]
    (422, 'date', '2 problems: date: is required; limit: must be 1 or more', ['date', 'limit'])
    """
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return MALFORMED_JSON
    found = [InputError(str(e.get("msg", "")), field=_field(tuple(e.get("loc", ()))))
             for e in exc.errors()] or [InputError("invalid request")]
    return problem_for(found[0] if len(found) == 1 else FieldErrors(found))


def _field(loc: tuple[Any, ...]) -> str | None:
    """A validation error's place as the problem names it: ``principal.agency``, ``limit``."""
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]
    return ".".join(str(p) for p in loc) or None


def http_problem(exc: HTTPException, path: str) -> Problem:
    """Starlette's HTTP errors (404, 405, ...) as problems; FastAPI's 400 for a body it could
    not read (bytes that are not UTF-8) is the same problem as malformed JSON."""
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        return MALFORMED_JSON
    phrase = HTTPStatus(exc.status_code).phrase
    detail = cut(str(exc.detail))
    if exc.status_code == 404 and detail == phrase:
        detail = f"There is no page or endpoint at {path}."
    return Problem(exc.status_code, phrase, detail)


def challenge(exc: BaseException) -> dict[str, str]:
    """The ``WWW-Authenticate`` header every 401 carries (RFC 9110 11.6.1, RFC 6750 section 3):
    no error code when no key was sent, ``invalid_token`` when the key was not usable.

    >>> challenge(AuthenticationError("revoked", reason="revoked"))["WWW-Authenticate"]
    'Bearer realm="sanctuarygate", error="invalid_token"'
    """
    if isinstance(exc, TooManyFailuresError):
        return {"Retry-After": str(exc.retry_after)}
    if not isinstance(exc, AuthenticationError):
        return {}
    error = {"missing": "", "ambiguous": ', error="invalid_request"'}.get(
        exc.reason, ', error="invalid_token"')
    return {"WWW-Authenticate": f'Bearer realm="sanctuarygate"{error}'}


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The problem as ``application/problem+json``."""
    return JSONResponse(problem.to_dict(), status_code=problem.status, headers=headers,
                        media_type=PROBLEM_JSON)


def wants_html(request: Request) -> bool:
    """True for page requests (a browser or htmx), False for the JSON API."""
    if request.url.path.startswith("/api/"):
        return False
    return "HX-Request" in request.headers or "text/html" in request.headers.get("accept", "")


def install_problem_handlers(app: FastAPI, *, html: HtmlRenderer | None = None) -> None:
    """Answer every error of ``app`` as a problem (JSON, or HTML through ``html`` for pages)."""

    def respond(request: Request, problem: Problem,
                headers: Mapping[str, str] | None = None) -> Response:
        if html is not None and wants_html(request):
            response = html(request, problem)
            response.headers.update(headers or {})
            return response
        return problem_response(problem, headers)

    async def on_ours(request: Request, exc: Exception) -> Response:
        problem = problem_for(exc)
        if problem.server_side:
            log.error("%s %s: %s", request.method, request.url.path, problem.detail,
                      exc_info=exc)
        return respond(request, problem, challenge(exc) or None)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return respond(request, validation_problem(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return respond(request, http_problem(exc, request.url.path), exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Starlette re-raises after this answer, so the server logs the traceback.
        return respond(request, problem_for(exc))

    app.add_exception_handler(SanctuaryGateError, on_ours)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
