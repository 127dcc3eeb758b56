"""A gateway query as one library operation: an authenticated agency key and a parsed query in,
a plan and a row stream out, every log entry written inside.

The HTTP route (``POST /api/v1/query``) and the CLI (``sanctuarygate query``) both call
:func:`release`; ``GET /api/v1/query/plan`` and ``sanctuarygate query --plan`` call
:func:`preview`. In order, :func:`release`:

1. plans the query: one decision for the dataset, one per column (``plan.plan_query``);
2. refused by the rules: records the key use and a ``query`` entry with status ``refused`` in
   one transaction, then raises :class:`~sanctuarygate.gateway.plan.QueryRefusedError` carrying
   the decision and the entry's ``log_index``;
3. allowed: records the key use and a ``query`` entry with status ``released`` (the terms, the
   watermark key's id) in one transaction, durably, before any row is read;
4. returns a :class:`Release` whose ``chunks`` stream the released rows (JSON lines or CSV, a
   watermark per row) and end with a trailer record after logging ``query-complete``, or with an
   error record after logging ``query-error``; a stream closed before its end (the client hung
   up: the caller calls :meth:`Release.close`) logs ``query-aborted`` with the rows sent.

A query the rules answer ``review`` opens (or joins) a case in the review queue in the
transaction of its refused entry, and the refusal carries the case id
(``gateway/reviewed.py``). The agency re-runs the same query with ``"case_id"``: once a reviewer
has released columns on it, and within ``Gateway.review_release_hours`` of that decision, the
query is planned under the review (exactly the columns released, the reviewer's conditions
among the terms) and its ``released`` entry names the case and the review entry. A case id that
does not allow this query is refused (404: no such case of this agency; 403: another query,
not decided, denied, expired), logged as a rejected query naming the case, nothing released.

A query rejected before the rules are asked (an unknown or unserved dataset, a bad body or
filter, an unknown agency: the errors answered 422) is on the record too: :func:`release` takes
the raw body, and records the key use and a ``query`` entry with status ``rejected`` (the
error's class and field, never the offending value) in one transaction, then re-raises.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from sanctuarygate.audit.entries import (
    QueryAbortedEntry,
    QueryCompleteEntry,
    QueryEntry,
    QueryErrorEntry,
)
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.pseudonym import load_or_create_person_key
from sanctuarygate.audit.record import record
from sanctuarygate.domain.case import UnknownCaseError
from sanctuarygate.domain.vocabulary import DOCUMENT_KINDS, PURPOSES
from sanctuarygate.errors import InputError, SanctuaryGateError
from sanctuarygate.gateway.body import load_query_body
from sanctuarygate.gateway.keys import record_key_use
from sanctuarygate.gateway.ledger import writer as ledger_writer
from sanctuarygate.gateway.plan import (
    Plan,
    QueryRefusedError,
    QuerySpec,
    ReviewGrant,
    check_gateway_config,
    offered_columns,
    parse_spec,
    plan_query,
    review_refusal,
)
from sanctuarygate.gateway.reviewed import (
    ReviewReleaseRefusedError,
    case_id_of,
    grant_for,
    open_or_join,
)
from sanctuarygate.gateway.stream import encode, rows
from sanctuarygate.gateway.watermark import key_id, load_or_create_key
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import city_today
from sanctuarygate.store.credential import KeyInfo

__all__ = ["Gateway", "Release", "preview", "release"]

logger = logging.getLogger("sanctuarygate.gateway")


@dataclass(frozen=True, slots=True)
class Gateway:
    """What every query needs besides the query: the rules, the log, the records database, the
    place (``profile``), the packs the city adopted for its gateway, and the data directory
    holding the watermark key.

    >>> Gateway.__dataclass_fields__.keys() >= {"decider", "log", "records", "profile"}
    True
    """

    decider: Decider
    log: DecisionLog
    records: Engine
    profile: str
    data_dir: Path
    packs: tuple[str, ...] = ()
    #: The city's time zone (``Settings.timezone``): its date is the day a query is decided for.
    timezone: str = "America/Chicago"
    #: How long a reviewer's release on a gateway case holds (``Settings.review_release_hours``).
    review_release_hours: int = 72

    def watermark_key(self) -> bytes:
        """The watermark key (``keys/watermark.key`` in the data directory), created once."""
        return load_or_create_key(self.data_dir)


@dataclass(slots=True)
class Release:
    """An allowed query, logged: its plan, the ``query`` entry's index, the watermark key's
    public id, and the stream (iterate ``chunks`` once; the last chunk is the trailer, or an
    error record). Once the stream has ended, ``ended`` says how: ``complete``, ``error`` or
    ``aborted``, and ``end_log_index`` is the index of the entry that says so (None if it could
    not be written). Whoever sends the chunks calls :meth:`close` when done, in a ``finally``."""

    plan: Plan
    log_index: int
    watermark_key_id: str
    chunks: Iterator[bytes] = field(repr=False, default_factory=lambda: iter(()))
    ended: Literal["complete", "error", "aborted"] | None = None
    end_log_index: int | None = None
    #: Records ``query-aborted`` with the rows sent (set by :func:`release`).
    on_abort: Callable[[int], None] | None = field(repr=False, default=None)

    def close(self) -> None:
        """End the stream where it is: after the trailer or error record, nothing; before it
        (the client hung up, the output closed), ``query-aborted`` is logged with the rows
        handed over, also when no chunk was ever asked for (0 rows). Idempotent."""
        closing = getattr(self.chunks, "close", None)
        if closing is not None:
            closing()  # GeneratorExit inside the encoder, which records the abort
        if self.ended is None and self.on_abort is not None:
            self.on_abort(0)  # never started, or closed before its first row

    @property
    def format(self) -> str:
        """``jsonl`` or ``csv``."""
        return self.plan.spec.format

    @property
    def terms(self) -> list[dict[str, Any]]:
        """The conditions that travel with the data, as the trailer lists them."""
        return [o.to_dict() for o in self.plan.terms]


def _plan(gw: Gateway, spec: QuerySpec, key: KeyInfo, day: dt.date | None,
          review: ReviewGrant | None = None) -> Plan:
    check_gateway_config(gw.decider.library, gw.profile, gw.packs)
    return plan_query(gw.decider, spec, agency=key.agency_id, profile=gw.profile,
                      day=day or city_today(gw.timezone), extra_packs=gw.packs, review=review)


def _entry(plan_or_refusal: Plan | QueryRefusedError, spec: QuerySpec, key: KeyInfo,
           watermark: str | None, status: Literal["released", "refused"]) -> QueryEntry:
    case = review = None
    if isinstance(plan_or_refusal, Plan):
        plan = plan_or_refusal
        decision, released, withheld = plan.decision, plan.released, plan.withheld
        terms, row_rules = plan.terms, [r.to_dict() for r in plan.row_rules]
        if plan.review is not None:
            case, review = plan.review.case_id, plan.review.review_index
    else:
        assert plan_or_refusal.decision is not None
        decision, released, withheld, terms, row_rules = plan_or_refusal.decision, (), (), (), []
    return QueryEntry.of(
        status=status, at=dt.datetime.now(dt.UTC), agency=key.agency_id, key_id=key.key_id,
        dataset=spec.dataset, purpose=spec.purpose,
        document_kind=str(spec.document.get("kind", "none")),
        onward_recipients=spec.onward_recipients, released=released, withheld=withheld,
        filters=[f.to_dict() for f in spec.filters], row_rules=row_rules, decision=decision,
        terms=terms, watermark_key=watermark, case=case, review=review)


def _named(body: Mapping[str, Any] | QuerySpec | Any, gw: Gateway) -> dict[str, str]:
    """What a rejected query's entry may say of it: the dataset, purpose and document kind,
    each only when the catalog or vocabulary knows it (else it may be the offending value)."""
    if isinstance(body, QuerySpec):
        got: dict[str, Any] = {"dataset": body.dataset, "purpose": body.purpose,
                               "document_kind": body.document.get("kind")}
    elif isinstance(body, Mapping):
        document = body.get("document")
        got = {"dataset": body.get("dataset"), "purpose": body.get("purpose", "unknown"),
               "document_kind": (document.get("kind") if isinstance(document, Mapping)
                                 else "none" if document is None else None)}
    else:
        return {}
    known = {"dataset": {d.id for d in gw.decider.library.catalog}, "purpose": PURPOSES,
             "document_kind": DOCUMENT_KINDS}
    return {name: value for name, value in got.items()
            if isinstance(value, str) and value in known[name]}


def _reject(gw: Gateway, key: KeyInfo, body: Mapping[str, Any] | QuerySpec | Any,
            exc: SanctuaryGateError, via: str, case: int | None = None) -> int:
    """Record the key use and a ``rejected`` query entry for ``exc`` (one transaction); its
    index."""
    entry = QueryEntry.rejected(at=dt.datetime.now(dt.UTC), agency=key.agency_id,
                                key_id=key.key_id, error=type(exc).__name__,
                                error_field=getattr(exc, "field", None), case=case,
                                **_named(body, gw))
    with gw.log.engine.begin() as conn:
        record_key_use(conn, key, what=via)
        return record(conn, entry)


def release(gw: Gateway, key: KeyInfo, query: QuerySpec | Mapping[str, Any] | Any, *, via: str,
            day: dt.date | None = None, case_id: int | None = None,
            now: dt.datetime | None = None) -> Release:
    """Plan, log and stream a query (see the module docstring); ``via`` says how the key was
    used (``"POST /api/v1/query"``, ``"cli: sanctuarygate query"``) in its ``key-use`` entry.

    ``query`` is the body as the agency sent it (parsed here, against the catalog; as bytes,
    read strictly first: a key sent twice is rejected, ``gateway.body``), or a
    :class:`QuerySpec` already parsed. A body's ``case_id`` (or the ``case_id`` argument) asks
    for the release a reviewer decided on that case; ``now`` is the time its expiry is checked
    against (the current time unless given).

    Raises QueryRefusedError (logged: refused by the rules, with ``log_index`` set, and
    ``case_id`` when the rules answered ``review``; or rejected before them),
    ReviewReleaseRefusedError and UnknownCaseError for a case id that does not release this
    query (logged as rejected), InputError and its subclasses (logged as rejected),
    ConfigurationError (a profile or adopted pack that does not exist; nothing released,
    nothing logged).
    """
    try:
        body = load_query_body(query) if isinstance(query, bytes) else query
        if not isinstance(body, QuerySpec):
            body, named_case = case_id_of(body)
            case_id = named_case if named_case is not None else case_id
        spec = body if isinstance(body, QuerySpec) else parse_spec(body,
                                                                   gw.decider.library.catalog)
    except InputError as exc:
        _reject(gw, key, query, exc, via)
        raise
    grant = None
    if case_id is not None:
        try:
            with gw.log.engine.connect() as conn:
                grant = grant_for(conn, case_id, agency=key.agency_id, spec=spec,
                                  key=load_or_create_person_key(gw.data_dir),
                                  now=now or dt.datetime.now(dt.UTC),
                                  hours=gw.review_release_hours)
        except (ReviewReleaseRefusedError, UnknownCaseError) as exc:
            index = _reject(gw, key, spec, exc, via, case=case_id)
            if isinstance(exc, QueryRefusedError):
                exc.log_index = index
            raise
    try:
        plan = _plan(gw, spec, key, day, grant)
    except QueryRefusedError as refusal:
        if refusal.decision is None:
            _reject(gw, key, spec, refusal, via)
            raise
        reviewing = (refusal.decision.outcome == "review" and grant is None
                     and refusal.request is not None)
        offered = (offered_columns(gw.decider, spec, agency=key.agency_id, profile=gw.profile,
                                   day=day or city_today(gw.timezone), extra_packs=gw.packs)
                   if reviewing else ())
        with gw.log.engine.begin() as conn:
            record_key_use(conn, key, what=via)
            refusal.log_index = record(conn, _entry(refusal, spec, key, None, "refused"))
            if reviewing:
                assert refusal.request is not None
                refusal.case_id = open_or_join(
                    conn, spec=spec, request=refusal.request,
                    decision=refusal.decision, agency=key.agency_id, offered=offered,
                    key=load_or_create_person_key(gw.data_dir), log_index=refusal.log_index,
                    actor=f"key:{key.key_id}")
        if refusal.case_id is not None and refusal.request is not None:
            keeper = gw.decider.library.catalog.get(spec.dataset).keeper
            opened = review_refusal(refusal.decision, refusal.request, keeper, refusal.case_id)
            opened.log_index = refusal.log_index
            raise opened from None
        raise
    except InputError as exc:
        _reject(gw, key, spec, exc, via)
        raise
    wm_key = gw.watermark_key()
    wm_id = key_id(wm_key)
    with gw.log.engine.begin() as conn:  # logged, durably, before any data leaves
        record_key_use(conn, key, what=via)
        index = record(conn, _entry(plan, spec, key, wm_id, "released"))

    out = Release(plan, index, wm_id)

    def trailer(count: int) -> Mapping[str, Any]:
        done: int | None = None
        try:
            with gw.log.engine.begin() as conn:
                done = record(conn, QueryCompleteEntry(query=index, rows=count))
        except Exception:  # every row went out; the trailer still says so, without an index
            logger.exception("could not log the completion of query %s", index)
        out.ended, out.end_log_index = "complete", done
        return {"rows": count, "terms": [o.to_dict() for o in plan.terms],
                "citations": list(plan.decision.citations), "log_index": index,
                "completion_log_index": done, "watermark_key": wm_id}

    def on_error(exc: Exception, count: int) -> Mapping[str, Any]:
        logger.error("query %s failed after %d rows: %s", index, count, exc)
        out.ended = "error"
        try:
            with gw.log.engine.begin() as conn:
                out.end_log_index = record(conn, QueryErrorEntry(query=index, rows=count,
                                                                 error=type(exc).__name__))
        except Exception:  # the log itself may be what failed; the stream still says so
            logger.exception("could not log the failure of query %s", index)
        return {"error": "the stream stopped before the end; the rows above are complete",
                "rows_sent": count, "log_index": index}

    def aborted(count: int) -> None:
        if out.ended is not None:
            return
        out.ended = "aborted"
        logger.info("query %s: the client closed the stream after %d rows", index, count)
        try:
            with gw.log.engine.begin() as conn:
                out.end_log_index = record(conn, QueryAbortedEntry(query=index, rows=count))
        except Exception:
            logger.exception("could not log the abort of query %s", index)

    out.on_abort = aborted
    # Each fetch's row keys go to the city's private release ledger before the fetch is sent.
    ledger = ledger_writer(gw.log.engine, query=index, plan=plan, key=key, wm_key=wm_key)
    out.chunks = encode(plan, rows(gw.records, plan, wm_key, ledger), trailer, on_error, aborted)
    return out


def preview(gw: Gateway, key: KeyInfo, spec: QuerySpec, *, via: str | None = None,
            day: dt.date | None = None) -> dict[str, Any]:
    """What :func:`release` would release and why, reading no row and logging no query:
    ``{"allowed": true, ...the plan}`` or ``{"allowed": false, "reason", "field", "decision"}``.

    With ``via``, the key's use is recorded first (the HTTP route records it as it
    authenticates). A refusal the rules did not make (no decision) is raised, as by release.
    """
    if via is not None:
        with gw.log.engine.begin() as conn:
            record_key_use(conn, key, what=via)
    try:
        return {"allowed": True, **_plan(gw, spec, key, day).to_dict()}
    except QueryRefusedError as refusal:
        if refusal.decision is None:
            raise
        return {"allowed": False, "reason": str(refusal), "field": refusal.field,
                "decision": refusal.decision.to_dict()}
