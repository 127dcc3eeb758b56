"""The data gateway's HTTP API: ``POST /api/v1/query`` streams what the rules release,
``GET /api/v1/query/plan`` shows what would be released and why, without reading a row.

Every query needs an agency key. The plan is decided before any row is read: one decision for
the dataset, one per column; withheld columns are never selected. The query, its decision and
the terms are logged (and the key use) before the first byte of data leaves; the row count is
logged when the stream ends. Terms travel in the headers and in the trailer record.

>>> router.prefix
'/api/v1/query'
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from sanctuarygate.audit.entry import canonical_json, query_entry
from sanctuarygate.errors import InputError
from sanctuarygate.gateway.plan import (
    Plan,
    QueryRefusedError,
    QuerySpec,
    check_gateway_config,
    parse_spec,
    plan_query,
)
from sanctuarygate.gateway.stream import encode, rows
from sanctuarygate.gateway.watermark import key_id, load_or_create_key
from sanctuarygate.settings import get_settings
from sanctuarygate.store.credential import KeyInfo, record_key_use, require_agency
from sanctuarygate.store.log import append
from sanctuarygate.web.api import DeciderDep, require_json
from sanctuarygate.web.auth import AgencyKey, VerifiedKey
from sanctuarygate.web.log_api import LogDep

router = APIRouter(prefix="/api/v1/query", tags=["gateway"])
logger = logging.getLogger("sanctuarygate.gateway")
MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}

EXAMPLE: dict[str, Any] = {
    "dataset": "cpd-arrests", "fields": ["*"], "purpose": "criminal-investigation",
    "filters": [{"field": "charge", "op": "prefix", "value": "BURGLARY"}], "limit": 100,
}


def get_records(request: Request) -> Engine:
    """The city's records database (read-only use), opened on first use."""
    provider: Callable[[], Engine] = request.app.state.records
    return provider()


RecordsDep = Annotated[Engine, Depends(get_records)]


def _plan(decider: Any, spec: QuerySpec, key: KeyInfo) -> Plan:
    settings = get_settings()
    check_gateway_config(decider.library, settings.profile, settings.gateway_pack_ids)
    return plan_query(decider, spec, agency=key.agency_id, profile=settings.profile,
                      day=dt.date.today(), extra_packs=settings.gateway_pack_ids)


def _entry(plan_or_refusal: Plan | QueryRefusedError, spec: QuerySpec, key: KeyInfo,
           watermark: str | None, status: str) -> bytes:
    if isinstance(plan_or_refusal, Plan):
        plan = plan_or_refusal
        decision, released, withheld = plan.decision, list(plan.released), list(plan.withheld)
        terms = [o.to_dict() for o in plan.terms]
        row_rules = [r.to_dict() for r in plan.row_rules]
    else:
        assert plan_or_refusal.decision is not None
        decision, released, withheld, terms = plan_or_refusal.decision, [], [], []
        row_rules = []
    return canonical_json(query_entry(
        agency=key.agency_id, key_id=key.key_id, dataset=spec.dataset, purpose=spec.purpose,
        document_kind=str(spec.document.get("kind", "none")),
        onward=list(spec.onward_recipients), released=released, withheld=withheld,
        filters=[f.to_dict() for f in spec.filters], decision=decision, terms=terms,
        watermark_key=watermark, at=dt.datetime.now(dt.UTC), status=status,
        row_rules=row_rules))


def _headers(plan: Plan, index: int, watermark: str) -> dict[str, str]:
    terms = [o.to_dict() for o in plan.terms]
    return {
        "X-Log-Index": str(index),
        "X-Sanctuarygate-Outcome": plan.decision.outcome,
        "X-Sanctuarygate-Terms": json.dumps(terms, separators=(",", ":")),
        "X-Sanctuarygate-Citations": "; ".join(plan.decision.citations),
        "X-Sanctuarygate-Withheld": ",".join(plan.withheld),
        "X-Watermark-Key": watermark,
        "Cache-Control": "no-store",
    }


@router.post("", summary="Query a dataset through the rules")
def run_query(decider: DeciderDep, log: LogDep, key: VerifiedKey,
              _json: Annotated[None, Depends(require_json)], records: RecordsDep,
              body: Annotated[dict[str, Any], Body(examples=[EXAMPLE])]) -> StreamingResponse:
    """Stream the released rows (JSON lines or CSV) with a watermark per row, ending with a
    trailer of terms; 403 with the decision when the rules refuse."""
    require_agency(key, body.get("agency"))
    spec = parse_spec(body, decider.library.catalog)
    try:
        plan = _plan(decider, spec, key)
    except QueryRefusedError as refusal:
        if refusal.decision is not None:
            with log.engine.begin() as conn:
                record_key_use(conn, key, what="POST /api/v1/query")
                refusal.log_index = append(conn, _entry(refusal, spec, key, None, "refused"))
        raise
    wm_key = load_or_create_key(get_settings().data_dir)
    wm_id = key_id(wm_key)
    with log.engine.begin() as conn:  # logged, durably, before any data leaves
        record_key_use(conn, key, what="POST /api/v1/query")
        index = append(conn, _entry(plan, spec, key, wm_id, "released"))

    def trailer(count: int) -> Mapping[str, Any]:
        with log.engine.begin() as conn:
            done = append(conn, canonical_json({"v": 1, "kind": "query-complete", "query": index,
                                                "rows": count}))
        return {"rows": count, "terms": [o.to_dict() for o in plan.terms],
                "citations": list(plan.decision.citations), "log_index": index,
                "completion_log_index": done, "watermark_key": wm_id}

    def on_error(exc: Exception, count: int) -> Mapping[str, Any]:
        logger.error("query %s failed after %d rows: %s", index, count, exc)
        try:
            with log.engine.begin() as conn:
                append(conn, canonical_json({"v": 1, "kind": "query-error", "query": index,
                                             "rows": count, "error": type(exc).__name__}))
        except Exception:  # the log itself may be what failed; the stream still says so
            logger.exception("could not log the failure of query %s", index)
        return {"error": "the stream stopped before the end; the rows above are complete",
                "rows_sent": count, "log_index": index}

    return StreamingResponse(encode(plan, rows(records, plan, wm_key), trailer, on_error),
                             media_type=MEDIA[spec.format], headers=_headers(plan, index, wm_id))


@router.get("/plan", summary="What a query would release, and why")
def explain_query(
    decider: DeciderDep, key: AgencyKey,
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
    spec = parse_spec(body, decider.library.catalog)
    try:
        return {"allowed": True, **_plan(decider, spec, key).to_dict()}
    except QueryRefusedError as refusal:
        if refusal.decision is None:
            raise
        return {"allowed": False, "reason": str(refusal), "field": refusal.field,
                "decision": refusal.decision.to_dict()}
