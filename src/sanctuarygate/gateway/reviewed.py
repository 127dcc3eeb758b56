"""Gateway queries a person decides: the case a ``review`` opens, and the release it allows.

A query the rules answer ``review`` is refused (403) and opens a case in the review queue
(source ``gateway``), or joins the case still waiting for the same agency, dataset and query.
The case keeps the query as :func:`described` gives it: the dataset, the columns asked for,
the filters by field and operator, the purpose, document and onward recipients, the columns a
reviewer may release (``plan.offered_columns``) and a keyed hash of the whole query (filter
values included, which may name a person: only their hash is kept).

A reviewer releases some of the offered columns, under conditions. The agency re-runs the same
query with ``"case_id"``; :func:`grant_for` checks the case and gives the
:class:`~sanctuarygate.gateway.plan.ReviewGrant` the planner releases under. Anything else is
refused and releases nothing: a case of another agency or unknown (404), another query, a case
not decided yet, denied, closed (closing withdraws a release) or decided more than ``hours``
ago (403).

>>> described_digest = digest({"dataset": "cpd-arrests", "limit": 5}, b"k" * 32)
>>> len(described_digest), described_digest == digest({"limit": 5, "dataset": "cpd-arrests"},
...                                                     b"k" * 32)
(64, True)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from sanctuarygate.domain.case import GATEWAY_QUERY, Case, CaseState, UnknownCaseError
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request
from sanctuarygate.errors import InputError
from sanctuarygate.gateway.plan import QueryRefusedError, QuerySpec, ReviewGrant
from sanctuarygate.review.queue import case_decision
from sanctuarygate.store import case as store

__all__ = ["ReviewReleaseRefusedError", "UnknownGatewayCaseError", "case_id_of", "described",
           "digest", "grant_for", "open_or_join", "spec_body"]

class UnknownGatewayCaseError(UnknownCaseError):
    """A case id that names no gateway case of the asking agency (404): another agency's case
    is not told apart from no case at all."""

    def __init__(self, case_id: object, agency: str = "this agency") -> None:
        InputError.__init__(self, f"no case {case_id} among {agency}'s gateway queries",
                            field="case_id")
        self.case_id = case_id


class ReviewReleaseRefusedError(QueryRefusedError):
    """A re-run under a case that does not allow it (another query, undecided, denied,
    expired): 403, logged, nothing released."""

    title = "The review does not release this query"


def case_id_of(body: Any) -> tuple[Any, int | None]:
    """The body without its ``case_id``, and the case id (None when absent). A case id that
    is not a whole number above 0 is an InputError naming ``case_id``.

    >>> case_id_of({"dataset": "d", "case_id": 7})
    ({'dataset': 'd'}, 7)
    >>> case_id_of({"case_id": "7"})
    Traceback (most recent call last):
    sanctuarygate.errors.InputError: case_id: a case number (a whole number above 0)
    """
    if not isinstance(body, Mapping) or "case_id" not in body:
        return body, None
    value = body["case_id"]
    if value is None:  # as the other members: null is "not given"
        return {k: v for k, v in body.items() if k != "case_id"}, None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError("a case number (a whole number above 0)", field="case_id")
    return {k: v for k, v in body.items() if k != "case_id"}, value


def spec_body(spec: QuerySpec) -> dict[str, Any]:
    """What makes a query the same query: everything but its format (JSON lines or CSV), with
    the filters' values."""
    return {"dataset": spec.dataset, "fields": list(spec.fields),
            "filters": [f.to_dict() for f in spec.filters], "purpose": spec.purpose,
            "document": dict(spec.document), "onward_recipients": list(spec.onward_recipients),
            "limit": spec.limit, "sort": spec.sort, "descending": spec.descending}


def digest(body: Mapping[str, Any], key: bytes) -> str:
    """A keyed hash (HMAC-SHA256, the city's person key) of a query body, keys sorted."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def described(spec: QuerySpec, offered: Sequence[str], key: bytes) -> dict[str, Any]:
    """The query as its case keeps it (no filter value: only the hash covers them)."""
    return {"dataset": spec.dataset, "fields": list(spec.fields),
            "filters": [{"field": f.field, "op": f.op} for f in spec.filters],
            "sort": spec.sort, "limit": spec.limit, "purpose": spec.purpose,
            "document_kind": str(spec.document.get("kind", "none")),
            "onward_recipients": list(spec.onward_recipients), "offered": list(offered),
            "digest": digest(spec_body(spec), key)}


def open_or_join(conn: Connection, *, spec: QuerySpec, request: Request, decision: Decision,
                 agency: str, offered: Sequence[str], key: bytes, log_index: int,
                 actor: str) -> int:
    """The case of a query answered ``review`` (its refused entry is ``log_index``, written in
    this transaction): the waiting case of the same agency and query, which it joins, or a new
    one (source ``gateway``)."""
    about = described(spec, offered, key)
    found = store.find_gateway_case(conn, agency=agency, digest=about["digest"])
    if found is not None:
        return store.join_case(conn, found, log_index=log_index, actor=actor)
    return store.open_case(conn, request.to_dict(),
                           {**case_decision(decision), GATEWAY_QUERY: about}, agency=agency,
                           log_index=log_index, source="gateway", actor=actor)


def grant_for(conn: Connection, case_id: int, *, agency: str, spec: QuerySpec, key: bytes,
              now: dt.datetime, hours: int) -> ReviewGrant:
    """The release a decided gateway case allows for this agency's query, or the refusal:
    :class:`UnknownGatewayCaseError` (404) for no such case of this agency's gateway queries,
    :class:`ReviewReleaseRefusedError` (403) for anything else that is not an allow in force
    for exactly this query."""
    try:
        case = store.get_case(conn, case_id)
    except UnknownCaseError:
        case = None
    if case is None or case.source != "gateway" or case.agency != agency:
        raise UnknownGatewayCaseError(case_id, agency)
    asked = case.query or {}
    if not hmac.compare_digest(str(asked.get("digest", "")), digest(spec_body(spec), key)):
        raise _refused(case, "this query is not the one reviewed in it (the dataset, fields, "
                       "filters, sort, limit, purpose, document and onward recipients must be "
                       "the same)")
    review = case.review
    if case.state is CaseState.CLOSED:  # closing a decided case withdraws what it released
        raise _refused(case, "it is closed")
    if review is None or case.state is not CaseState.DECIDED:
        raise _refused(case, "no reviewer has decided it yet; try again once it is decided")
    if review.outcome == "deny":
        raise _refused(case, "the reviewer denied the query")
    decided = case.decided_at
    if decided is None:
        raise _refused(case, "it has no decision time")
    decided = decided.replace(tzinfo=dt.UTC) if decided.tzinfo is None else decided
    expiry = decided + dt.timedelta(hours=hours)
    if now >= expiry:
        raise _refused(case, f"its review expired at {expiry:%Y-%m-%d %H:%M} UTC "
                       f"({hours} hours after the decision); query again for a new review")
    columns = review.columns or ()
    if not columns:
        raise _refused(case, "the review released no column")
    return ReviewGrant(case.id, case.review_index, frozenset(columns), review.conditions)


def _refused(case: Case, why: str) -> ReviewReleaseRefusedError:
    exc = ReviewReleaseRefusedError(f"case {case.id}: {why}. Nothing was released.",
                                    field="case_id")
    exc.case_id = case.id
    return exc
