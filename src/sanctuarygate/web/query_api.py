"""The data gateway's HTTP API: ``POST /api/v1/query`` streams what the rules release,
``GET /api/v1/query/plan`` shows what would be released and why, without reading a row.

Every query needs an agency key. The work, and every log entry, is the gateway's
(``gateway/release.py``); these routes authenticate, parse, call it and answer. Terms travel in
the headers and in the trailer record.

>>> router.prefix
'/api/v1/query'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from sanctuarygate.errors import InputError
from sanctuarygate.gateway.plan import parse_spec
from sanctuarygate.gateway.release import Release, preview, release
from sanctuarygate.web.api import require_json
from sanctuarygate.web.auth import AgencyKey, VerifiedKey, require_own_agency
from sanctuarygate.web.openapi import JsonLines, json_body, problems, streams
from sanctuarygate.web.schemas import QueryBody
from sanctuarygate.web.state import GatewayDep

router = APIRouter(prefix="/api/v1/query", tags=["gateway"])
MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}

EXAMPLE: dict[str, Any] = {
    "dataset": "cpd-arrests", "fields": ["*"], "purpose": "criminal-investigation",
    "filters": [{"field": "charge", "op": "prefix", "value": "BURGLARY"}], "limit": 100,
}


class ReleaseResponse(StreamingResponse):
    """The release's chunks as the response body, and :meth:`Release.close` once the response
    is over, however it ends: a client that hangs up mid-stream cancels the sending (Starlette
    listens for the disconnect), and the close then records ``query-aborted`` with the rows
    sent. The close runs in a thread (it writes to the log), shielded from that cancellation."""

    def __init__(self, done: Release) -> None:
        super().__init__(done.chunks, media_type=MEDIA[done.format], headers=_headers(done))
        self.release = done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.release.close)


def _headers(done: Release) -> dict[str, str]:
    return {
        "X-Log-Index": str(done.log_index),
        "X-Sanctuarygate-Outcome": done.plan.decision.outcome,
        "X-Sanctuarygate-Terms": json.dumps(done.terms, separators=(",", ":")),
        "X-Sanctuarygate-Citations": "; ".join(done.plan.decision.citations),
        "X-Sanctuarygate-Withheld": ",".join(done.plan.withheld),
        "X-Watermark-Key": done.watermark_key_id,
        "Cache-Control": "no-store",
    }


async def body_bytes(request: Request) -> bytes:
    """The body as sent: the gateway reads it strictly (a key sent twice is refused, and on the
    record, not "the last one wins" as a JSON parser would have it)."""
    return await request.body()


def _agency_named(raw: bytes) -> Any:
    """The ``agency`` a body names, read leniently, only to refuse another agency's name (403)
    before anything else; the gateway reads the body again, strictly."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body.get("agency") if isinstance(body, Mapping) else None


@router.post("", summary="Query a dataset through the rules", response_class=JsonLines,
             responses={**streams("The released rows, then a trailer.", "text/csv"),
                        **problems(400, 404, 413, 415)},
             openapi_extra=json_body(QueryBody, EXAMPLE))
def run_query(request: Request, gateway: GatewayDep, key: VerifiedKey,
              _json: Annotated[None, Depends(require_json)],
              raw: Annotated[bytes, Depends(body_bytes)]) -> StreamingResponse:
    """Stream the released rows (JSON lines or CSV) with a watermark per row, ending with a
    trailer of terms; 403 with the decision when the rules refuse (and, when they leave it to
    a person, the ``case_id`` to re-run the same query with once a reviewer has decided);
    404/403 for a ``case_id`` that does not release this query; 422 (logged as rejected) when
    the body is not a query the catalog can run, or sends a key twice."""
    require_own_agency(request, key, _agency_named(raw))
    return ReleaseResponse(release(gateway, key, raw, via="POST /api/v1/query"))


@router.get("/plan", summary="What a query would release, and why")
def explain_query(
    gateway: GatewayDep, key: AgencyKey,
    dataset: Annotated[str, Query()],
    purpose: Annotated[str, Query()] = "unknown",
    fields: Annotated[str, Query(description="comma-separated, or *")] = "*",
    document: Annotated[str, Query(description="document kind")] = "none",
    verified: Annotated[str, Query(description="true, false or unknown")] = "false",
    onward: Annotated[str, Query(description="comma-separated agency ids")] = "",
    filters: Annotated[str, Query(description="JSON list of {field, op, value}")] = "[]",
) -> dict[str, Any]:
    """The plan for a query, without running it (no row is read)."""
    try:
        parsed_filters = json.loads(filters)
    except json.JSONDecodeError as exc:
        raise InputError(f"a JSON list of {{field, op, value}}: {exc}", field="filters") from None
    flag = {"true": True, "false": False}.get(verified, verified)
    body = {"dataset": dataset, "purpose": purpose,
            "fields": [f.strip() for f in fields.split(",") if f.strip()] or ["*"],
            "document": {"kind": document, "verified": flag},
            "onward_recipients": [a.strip() for a in onward.split(",") if a.strip()],
            "filters": parsed_filters}
    spec = parse_spec(body, gateway.decider.library.catalog)
    return preview(gateway, key, spec)
