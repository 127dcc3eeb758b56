"""Log entries: canonical JSON of what was decided, and keyed hashes for person identifiers.

An entry records the request's class (agency, action, resource type, purpose, document kind,
onward recipients), the outcome, the deciding rules with citations, the packs and versions, the
actor and the time. It never holds an immigration status or any fact about a person; a person
identifier (a case or booking number) appears only as an HMAC under a key kept outside the log.

>>> canonical_json({"b": 1, "a": [True, "é"]})
b'{"a":[true,"\\xc3\\xa9"],"b":1}'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request

ENTRY_VERSION = 1


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant whitespace (RFC 8785 for the values we
    log: strings, integers, booleans, lists, objects; floats are refused)."""

    def check(v: Any) -> None:
        if isinstance(v, float):
            raise TypeError("floats are not allowed in log entries")
        if isinstance(v, dict):
            for item in v.values():
                check(item)
        elif isinstance(v, list | tuple):
            for item in v:
                check(item)

    check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def person_hash(key: bytes, identifier: str) -> str:
    """Keyed hash of a person identifier: ``hmac-sha256:<hex>``; the key never enters the log.

    >>> person_hash(b"k" * 32, "booking 123")[:12]
    'hmac-sha256:'
    """
    digest = hmac.new(key, identifier.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def decision_entry(request: Request, decision: Decision, *, actor: str, at: dt.datetime,
                   subject: str | None = None) -> dict[str, Any]:
    """The entry for a decision. ``subject`` must already be a keyed hash (see person_hash).

    >>> from sanctuarygate.domain.request import parse_request
    >>> from sanctuarygate.domain.decision import Decision
    >>> r = parse_request({"profile": "illinois", "date": "2024-02-01",
    ...     "principal": {"agency": "ICE-ERO"}, "action": "honor-detainer",
    ...     "resource": {"type": "Person", "in_custody": True, "gang_database": True}})
    >>> e = decision_entry(r, Decision("deny"), actor="desk", at=dt.datetime(2024, 2, 1))
    >>> "gang_database" in canonical_json(e).decode(), e["outcome"]
    (False, 'deny')
    """
    if subject is not None and not subject.startswith("hmac-sha256:"):
        raise ValueError("a subject must be a keyed hash (person_hash), never a raw identifier")
    ctx = request.context
    asked: dict[str, Any] = {
        "profile": request.profile,
        "date": request.date.isoformat(),
        "principal": {request.principal.kind: request.principal.id},
        "action": request.action,
        "resource_type": request.resource.type,
        "purpose": ctx.purpose,
        "document_kind": ctx.document.kind,
        "document_verified": ctx.document.verified,
        "onward_recipients": list(ctx.onward_recipients),
    }
    for name in ("id", "dataset", "kind", "owner"):  # ids of datasets and places, never people
        value = request.resource.get(name)
        if request.resource.type != "Person" and isinstance(value, str):
            asked[f"resource_{name}"] = value
    if request.extra_packs:
        asked["extra_packs"] = list(request.extra_packs)
    entry: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "kind": "decision",
        "time": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "actor": actor,
        "request": asked,
        "outcome": decision.outcome,
        "rules": [{"id": r.id, "citation": r.citation} for r in decision.rules],
        "obligations": [{"kind": o.kind, "values": list(o.values)} for o in decision.obligations],
        "unresolved_facts": list(decision.unresolved_facts),
        "packs": [p.to_dict() for p in decision.packs],
    }
    if subject is not None:
        entry["subject"] = subject
    return entry


def query_entry(*, agency: str, key_id: str, dataset: str, purpose: str, document_kind: str,
                onward: list[str], released: list[str], withheld: list[str],
                filters: list[dict[str, Any]], decision: Decision, terms: list[dict[str, Any]],
                watermark_key: str | None, at: dt.datetime, status: str,
                row_rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The entry for a gateway query. Filters are logged by field and operator only: their
    values may name a person, and never enter the log. Row rules come from the packs (public
    text) and are logged whole.

    >>> from sanctuarygate.domain.decision import Decision
    >>> e = query_entry(agency="FBI", key_id="0a1b2c3d", dataset="cpd-arrests",
    ...     purpose="criminal-investigation", document_kind="none", onward=[],
    ...     released=["charge"], withheld=["citizenship"],
    ...     filters=[{"field": "name", "op": "eq", "value": "Jane Doe"}],
    ...     decision=Decision("allow"), terms=[], watermark_key="abc", at=dt.datetime(2025, 1, 1),
    ...     status="released")
    >>> "Jane" in canonical_json(e).decode(), e["filters"]
    (False, [{'field': 'name', 'op': 'eq'}])
    """
    return {
        "v": ENTRY_VERSION, "kind": "query", "status": status,
        "time": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "agency": agency, "key_id": key_id, "dataset": dataset, "purpose": purpose,
        "document_kind": document_kind, "onward_recipients": onward,
        "released": released, "withheld": withheld,
        "filters": [{"field": f["field"], "op": f["op"]} for f in filters],
        "row_rules": list(row_rules or ()),
        "outcome": decision.outcome,
        "rules": [{"id": r.id, "citation": r.citation} for r in decision.rules],
        "terms": terms, "watermark_key": watermark_key,
        "packs": [p.to_dict() for p in decision.packs],
    }
