"""Every kind of entry in the decision log, as a typed value, and the one way to write it.

A log entry is one of the classes registered in :data:`KINDS`; :func:`encode` turns it into the
bytes the log stores (canonical JSON: sorted keys, no whitespace, UTF-8; ``v`` and ``kind``
added from the class). Those bytes are the Merkle leaf: its hash is
``SHA-256(0x00 || bytes)`` (RFC 9162). ``docs/log-format.md`` documents each kind and field;
a test compares it with this module both ways.

The bytes of an entry already written never change: the same values always encode to the same
bytes. A kind that needs a new shape gets a new ``VERSION`` (and a class of its own for the old
one, kept for reading). Adding a kind is one class here, decorated with :func:`kind`, and its
section in ``docs/log-format.md``.

What an entry never holds: an immigration status or any fact about a person; a person
identifier other than as a keyed hash (``subject``, see ``audit.entry.person_hash``); a
filter's value; an agency key or a key's label.

>>> import datetime as dt
>>> at = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)
>>> encode(QueryCompleteEntry(query=7, rows=100))
b'{"kind":"query-complete","query":7,"rows":100,"v":1}'
>>> encode(KeyUseEntry(time=at, key_id="0a1b2c3d", agency="FBI", what="GET /x"))
b'{"agency":"FBI","key_id":"0a1b2c3d","kind":"key-use","time":"2025-11-03T09:30:00Z","v":1,"what":"GET /x"}'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

from sanctuarygate.domain.decision import Decision, Obligation, PackRef, RuleRef
from sanctuarygate.domain.request import Request

__all__ = [
    "KINDS",
    "AskedRequest",
    "AuthFailedEntry",
    "DecisionEntry",
    "ExceptionApprovalEntry",
    "ExceptionEntry",
    "FilterShape",
    "KeyIssueEntry",
    "KeyRevokeEntry",
    "KeyUseEntry",
    "LogEntry",
    "ObligationRef",
    "PackVersion",
    "QueryAbortedEntry",
    "QueryCompleteEntry",
    "QueryEntry",
    "QueryErrorEntry",
    "ReviewEntry",
    "RowRuleRef",
    "RuleCitation",
    "Term",
    "canonical_json",
    "encode",
    "entry_json",
    "kind",
    "stamp",
]

#: A value in a row rule: text, a whole number, a list of them, or nothing (``is-null``).
RowValue = str | int | tuple[str | int, ...] | None
#: What a rejected query's entry says for a dataset, purpose or document kind it cannot name
#: (absent, or not a word the catalog or vocabulary knows: it may be the offending value).
UNNAMED = "(unknown)"
#: Field metadata: leave the member out of the JSON when the value is None (else ``null``).
OMIT_NONE: Mapping[str, bool] = {"omit_none": True}


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant whitespace (RFC 8785 for the values we
    log: strings, integers, booleans, null, lists, objects; floats are refused).

    >>> canonical_json({"b": 1, "a": [True, "é"]})
    b'{"a":[true,"\\xc3\\xa9"],"b":1}'
    """

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


def stamp(at: dt.datetime) -> str:
    """A time as the log writes it: UTC, ISO 8601, ``Z``, microseconds only when not zero.

    >>> stamp(dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    '2025-01-02T03:04:05Z'
    """
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- parts shared by several kinds ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleCitation:
    """A deciding rule: its id and the clause of law it cites."""

    id: str
    citation: str

    @classmethod
    def of(cls, rule: RuleRef) -> RuleCitation:
        """The rule as the public log names it (a coarser reference where its own would reveal
        a fact about the person; see ``RuleRef.published``)."""
        return cls(*rule.published)


@dataclass(frozen=True, slots=True)
class PackVersion:
    """A policy pack in force for the decision: id, declared version, content digest."""

    id: str
    version: str
    digest: str

    @classmethod
    def of(cls, pack: PackRef) -> PackVersion:
        return cls(pack.id, pack.version, pack.digest)


@dataclass(frozen=True, slots=True)
class ObligationRef:
    """A condition that came with a decision: its kind and values."""

    kind: str
    values: tuple[str, ...]

    @classmethod
    def of(cls, obligation: Obligation) -> ObligationRef:
        return cls(obligation.kind, tuple(obligation.values))


@dataclass(frozen=True, slots=True)
class Term:
    """A condition that travels with released data, and the rule that set it."""

    kind: str
    values: tuple[str, ...]
    rule: str

    @classmethod
    def of(cls, obligation: Obligation) -> Term:
        return cls(obligation.kind, tuple(obligation.values), obligation.rule)


@dataclass(frozen=True, slots=True)
class FilterShape:
    """A caller's filter, by field and operator only: its value never enters the log."""

    field: str
    op: str


@dataclass(frozen=True, slots=True)
class RowRuleRef:
    """A pack's row rule (public text, so logged whole): field, operator, value, rule id."""

    field: str
    op: str
    value: RowValue
    rule: str

    @classmethod
    def of(cls, rule: Mapping[str, Any]) -> RowRuleRef:
        """From ``{field, op, value, rule}`` (the gateway's ``RowRule.to_dict()``)."""
        value = rule.get("value")
        return cls(str(rule["field"]), str(rule["op"]),
                   tuple(value) if isinstance(value, list | tuple) else value, str(rule["rule"]))


@dataclass(frozen=True, slots=True)
class AskedRequest:
    """The class of a decided request: who asked for what, never a fact about a person."""

    profile: str
    date: str
    principal: Mapping[str, str]
    action: str
    resource_type: str
    purpose: str
    document_kind: str
    document_verified: bool | Literal["unknown"]
    onward_recipients: tuple[str, ...]
    resource_id: str | None = field(default=None, metadata=OMIT_NONE)
    resource_dataset: str | None = field(default=None, metadata=OMIT_NONE)
    resource_kind: str | None = field(default=None, metadata=OMIT_NONE)
    resource_owner: str | None = field(default=None, metadata=OMIT_NONE)
    extra_packs: tuple[str, ...] | None = field(default=None, metadata=OMIT_NONE)

    @classmethod
    def of(cls, request: Request) -> AskedRequest:
        """The logged class of ``request``: ids of datasets and places, never of people."""
        ctx = request.context
        ids: dict[str, str] = {}
        for name in ("id", "dataset", "kind", "owner"):
            value = request.resource.get(name)
            if request.resource.type != "Person" and isinstance(value, str):
                ids[f"resource_{name}"] = value
        return cls(
            profile=request.profile, date=request.date.isoformat(),
            principal={request.principal.kind: request.principal.id}, action=request.action,
            resource_type=request.resource.type, purpose=ctx.purpose,
            document_kind=ctx.document.kind, document_verified=ctx.document.verified,
            onward_recipients=tuple(ctx.onward_recipients),
            extra_packs=tuple(request.extra_packs) or None, **ids)


# --- the kinds ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """Base of every entry kind: ``KIND`` and ``VERSION`` become the ``kind`` and ``v`` members."""

    KIND: ClassVar[str]
    VERSION: ClassVar[int]


#: Every entry kind, by its ``kind`` member.
KINDS: dict[str, type[LogEntry]] = {}

_E = TypeVar("_E", bound=type[LogEntry])


def kind(cls: _E) -> _E:
    """Register an entry kind (a frozen dataclass subclass of :class:`LogEntry`)."""
    if cls.KIND in KINDS:
        raise ValueError(f"entry kind {cls.KIND!r} is defined twice")
    KINDS[cls.KIND] = cls
    return cls


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionEntry(LogEntry):
    """A decision (``decide``): the request's class, the outcome, the deciding rules."""

    KIND = "decision"
    VERSION = 1

    time: dt.datetime
    actor: str
    request: AskedRequest
    outcome: str
    rules: tuple[RuleCitation, ...]
    obligations: tuple[ObligationRef, ...]
    unresolved_facts: tuple[str, ...]
    packs: tuple[PackVersion, ...]
    subject: str | None = field(default=None, metadata=OMIT_NONE)

    def __post_init__(self) -> None:
        if self.subject is not None and not self.subject.startswith("hmac-sha256:"):
            raise ValueError("a subject must be a keyed hash (person_hash), never a raw identifier")

    @classmethod
    def of(cls, request: Request, decision: Decision, *, actor: str, at: dt.datetime,
           subject: str | None = None) -> DecisionEntry:
        """The entry for ``decision`` on ``request``; ``subject`` must already be a keyed hash.

        >>> from sanctuarygate.domain.request import parse_request
        >>> r = parse_request({"profile": "illinois", "date": "2024-02-01",
        ...     "principal": {"agency": "ICE-ERO"}, "action": "honor-detainer",
        ...     "resource": {"type": "Person", "in_custody": True, "gang_database": True}})
        >>> e = DecisionEntry.of(r, Decision("deny"), actor="desk", at=dt.datetime(2024, 2, 1))
        >>> "gang_database" in encode(e).decode(), e.outcome
        (False, 'deny')
        """
        return cls(
            time=at, actor=actor, request=AskedRequest.of(request), outcome=decision.outcome,
            rules=tuple(dict.fromkeys(RuleCitation.of(r) for r in decision.rules)),
            obligations=tuple(ObligationRef.of(o) for o in decision.obligations),
            unresolved_facts=tuple(decision.unresolved_facts),
            packs=tuple(PackVersion.of(p) for p in decision.packs), subject=subject)


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class QueryEntry(LogEntry):
    """A gateway query, released or refused, with its decision and the terms of the release;
    or rejected before the rules were asked (``rejected``: the error's class and the field it
    names, never the offending value).

    Written before the first row leaves; filters by field and operator only.
    """

    KIND = "query"
    VERSION = 1

    status: Literal["released", "refused", "rejected"]
    time: dt.datetime
    agency: str
    key_id: str
    dataset: str
    purpose: str
    document_kind: str
    onward_recipients: tuple[str, ...]
    released: tuple[str, ...]
    withheld: tuple[str, ...]
    filters: tuple[FilterShape, ...]
    row_rules: tuple[RowRuleRef, ...]
    outcome: str
    rules: tuple[RuleCitation, ...]
    terms: tuple[Term, ...]
    watermark_key: str | None
    packs: tuple[PackVersion, ...]
    #: A rejected query's error class (``UnknownDatasetError``) and the field it names.
    error: str | None = field(default=None, metadata=OMIT_NONE)
    error_field: str | None = field(default=None, metadata=OMIT_NONE)
    #: A query released under a reviewer's decision: its case and the ``review`` entry's index.
    case: int | None = field(default=None, metadata=OMIT_NONE)
    review: int | None = field(default=None, metadata=OMIT_NONE)

    @classmethod
    def rejected(cls, *, at: dt.datetime, agency: str, key_id: str, error: str,
                 error_field: str | None = None, dataset: str = UNNAMED, purpose: str = UNNAMED,
                 document_kind: str = UNNAMED, case: int | None = None) -> QueryEntry:
        """The entry for a query rejected before the rules were asked (a 422: a dataset not
        served or unknown, a bad body, an unknown agency). The caller passes only values known
        to be words of the vocabulary or ids of the catalog; anything else is ``UNNAMED``.

        >>> e = QueryEntry.rejected(at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), agency="ICE-ERO",
        ...     key_id="0a1b2c3d", error="UnknownDatasetError", error_field="dataset")
        >>> e.status, e.outcome, e.dataset, e.released
        ('rejected', 'rejected', '(unknown)', ())
        """
        return cls(status="rejected", time=at, agency=agency, key_id=key_id, dataset=dataset,
                   purpose=purpose, document_kind=document_kind, onward_recipients=(),
                   released=(), withheld=(), filters=(), row_rules=(), outcome="rejected",
                   rules=(), terms=(), watermark_key=None, packs=(), error=error,
                   error_field=error_field, case=case)

    @classmethod
    def of(cls, *, status: Literal["released", "refused"], at: dt.datetime, agency: str,
           key_id: str, dataset: str, purpose: str, document_kind: str,
           onward_recipients: Sequence[str], released: Sequence[str], withheld: Sequence[str],
           filters: Sequence[Mapping[str, Any]], row_rules: Sequence[Mapping[str, Any]],
           decision: Decision, terms: Sequence[Obligation],
           watermark_key: str | None, case: int | None = None,
           review: int | None = None) -> QueryEntry:
        """The entry for a query. ``filters`` are kept by field and operator only: their values
        may name a person. Row rules come from the packs (public text) and are kept whole.

        >>> e = QueryEntry.of(status="released", at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        ...     agency="FBI", key_id="0a1b2c3d", dataset="cpd-arrests",
        ...     purpose="criminal-investigation", document_kind="none", onward_recipients=[],
        ...     released=["charge"], withheld=["citizenship"],
        ...     filters=[{"field": "name", "op": "eq", "value": "Jane Doe"}], row_rules=[],
        ...     decision=Decision("allow"), terms=[], watermark_key="abc")
        >>> "Jane" in encode(e).decode(), e.filters
        (False, (FilterShape(field='name', op='eq'),))
        """
        return cls(
            status=status, time=at, agency=agency, key_id=key_id, dataset=dataset,
            purpose=purpose, document_kind=document_kind,
            onward_recipients=tuple(onward_recipients), released=tuple(released),
            withheld=tuple(withheld),
            filters=tuple(FilterShape(str(f["field"]), str(f["op"])) for f in filters),
            row_rules=tuple(RowRuleRef.of(r) for r in row_rules), outcome=decision.outcome,
            rules=tuple(dict.fromkeys(RuleCitation.of(r) for r in decision.rules)),
            terms=tuple(Term.of(o) for o in terms), watermark_key=watermark_key,
            packs=tuple(PackVersion.of(p) for p in decision.packs), case=case, review=review)


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class QueryCompleteEntry(LogEntry):
    """The end of a released query's stream: every row went out."""

    KIND = "query-complete"
    VERSION = 1

    query: int
    rows: int


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class QueryErrorEntry(LogEntry):
    """A released query's stream that stopped before the end (the rows before it went out)."""

    KIND = "query-error"
    VERSION = 1

    query: int
    rows: int
    error: str


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class QueryAbortedEntry(LogEntry):
    """A released query's stream that the client closed before the end (it hung up): ``rows``
    were handed to the connection by then (the client may have received fewer).

    >>> encode(QueryAbortedEntry(query=7, rows=1000))
    b'{"kind":"query-aborted","query":7,"rows":1000,"v":1}'
    """

    KIND = "query-aborted"
    VERSION = 1

    query: int
    rows: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _KeyEntry(LogEntry):
    """An agency key's id and agency, never the key and never its label (it may name a person)."""

    time: dt.datetime
    key_id: str
    agency: str


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyIssueEntry(_KeyEntry):
    """An agency API key was issued."""

    KIND = "key-issue"
    VERSION = 1


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRevokeEntry(_KeyEntry):
    """An agency API key was revoked."""

    KIND = "key-revoke"
    VERSION = 1


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class KeyUseEntry(_KeyEntry):
    """An agency API key was used, and for what (a method and path, or a CLI command)."""

    KIND = "key-use"
    VERSION = 1

    what: str


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class AuthFailedEntry(LogEntry):
    """An agency key that did not authenticate, or a refused attempt to write the log with a
    staff credential: why (``missing``, ``malformed``, ``unknown``, ``revoked``,
    ``wrong-agency``, ``ambiguous``, ``disabled``, ``role``), the key or token id when one could
    be read from what was sent (never the secret), and what it was sent for. Never the
    client's address.

    >>> at = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)
    >>> encode(AuthFailedEntry(time=at, reason="missing", what="GET /x"))
    b'{"kind":"auth-failed","reason":"missing","time":"2025-11-03T09:30:00Z","v":1,"what":"GET /x"}'
    """

    KIND = "auth-failed"
    VERSION = 1

    time: dt.datetime
    reason: str
    what: str
    key_id: str | None = field(default=None, metadata=OMIT_NONE)


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class LogKeyEntry(LogEntry):
    """The log's signing key changes: recorded, and covered by a checkpoint the old key signs,
    before the new key signs anything. An auditor who pinned the old key follows the chain."""

    KIND = "log-key"
    VERSION = 1

    time: dt.datetime
    old_key: str
    new_key: str


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewEntry(LogEntry):
    """A reviewer decided a case the rules left to a person (``review``): linked to the
    decision entry it answers, its actor the reviewer's pseudonymous id. The reason stays in the
    city's case file; the entry names the clause relied on, a citation of a rule in force.

    >>> at = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)
    >>> e = ReviewEntry(time=at, actor="staff:s-0a1b2c3d", case=3, decision=41, outcome="deny",
    ...                 conditions=(), clause="5 ILCS 805/15(a)")
    >>> entry_json(e)["decision"], entry_json(e)["kind"]
    (41, 'review')
    """

    KIND = "review"
    VERSION = 1

    time: dt.datetime
    actor: str
    case: int
    decision: int | None
    outcome: str
    conditions: tuple[str, ...]
    clause: str
    #: On a gateway query's case, the columns the reviewer released (names only).
    columns: tuple[str, ...] | None = field(default=None, metadata=OMIT_NONE)


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionEntry(LogEntry):
    """An accountable exception (break-glass) on one case: a named approver overrides the
    answer in an emergency, for hours, on a clause or emergency power. When it turns the rules'
    deny into an allow it applies only once a second approver's ``exception-approval`` entry
    follows (``needs_second``). The written reason stays in the city's case file."""

    KIND = "exception"
    VERSION = 1

    time: dt.datetime
    actor: str
    case: int
    decision: int | None
    rules_outcome: str
    outcome: str
    conditions: tuple[str, ...]
    clause: str
    expires: dt.datetime
    needs_second: bool


@kind
@dataclass(frozen=True, slots=True, kw_only=True)
class ExceptionApprovalEntry(LogEntry):
    """A second approver, another person than the one who granted it, approves an exception
    (the index of its ``exception`` entry)."""

    KIND = "exception-approval"
    VERSION = 1

    time: dt.datetime
    actor: str
    case: int
    exception: int


# --- the one serialisation ------------------------------------------------------------------------

#: Per class: (name, omit when None) of each field, in order; built on first use.
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}
_SCALARS = frozenset({str, int, bool, type(None)})


def _fields(cls: type) -> tuple[tuple[str, bool], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"a log entry cannot hold a {cls.__name__}")
        found = _FIELDS[cls] = tuple((f.name, bool(f.metadata.get("omit_none")))
                                     for f in dataclasses.fields(cls))
    return found


def _json(value: Any) -> Any:
    """A part of an entry as a JSON value: text, integers, booleans and null as they are,
    tuples as lists, times stamped, parts as objects; anything else (a float) is refused."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is tuple or kind is list:
        return [_json(v) for v in value]
    if kind is dt.datetime:
        return stamp(value)
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, str | int):  # a subclass (an enum member): as json writes it
        return value
    return _object(value)


def _object(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, omit_none in _fields(type(value)):
        item = getattr(value, name)
        if item is None and omit_none:
            continue
        out[name] = _json(item)
    return out


def entry_json(entry: LogEntry) -> dict[str, Any]:
    """The entry as a JSON object: its fields, ``v`` and ``kind``.

    >>> entry_json(QueryErrorEntry(query=3, rows=0, error="OperationalError"))["v"]
    1
    """
    if type(entry).KIND not in KINDS or KINDS[type(entry).KIND] is not type(entry):
        raise TypeError(f"{type(entry).__name__} is not a registered entry kind")
    return {"v": entry.VERSION, "kind": entry.KIND, **_object(entry)}


#: ``canonical_json`` without its float check: ``entry_json`` refuses floats already.
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def encode(entry: LogEntry) -> bytes:
    """The bytes the log stores for ``entry`` (the Merkle leaf's data): canonical JSON, as
    :func:`canonical_json` writes it. A float anywhere in it is refused (TypeError)."""
    return _dumps(entry_json(entry)).encode()
