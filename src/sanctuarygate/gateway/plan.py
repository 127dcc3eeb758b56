"""Query planning: what a partner agency may see of a dataset, and why.

One decision for the dataset (``query-dataset``), one batch of decisions for its columns
(``read-field``); a column is released only when its own decision allows it and no
``mask-fields`` obligation covers one of its tags. Withheld columns are never selected. A filter
or sort on a withheld column is refused: it would leak the value.

The plan is computed before any row is read, and shown as-is by ``GET /api/v1/query/plan``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sanctuarygate.domain.dataset import Catalog, Dataset
from sanctuarygate.domain.decision import Decision, Obligation
from sanctuarygate.domain.request import Request, Resource, parse_document
from sanctuarygate.errors import (
    ConfigurationError,
    DatasetNotServedError,
    InputError,
    PolicyEvaluationError,
    SanctuaryGateError,
)
from sanctuarygate.gateway.filter import Filter, parse_filter
from sanctuarygate.policy.ask import ask
from sanctuarygate.policy.ask import dataset as dataset_resource
from sanctuarygate.policy.ask import field as field_resource
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary

DEFAULT_LIMIT = 1000
MAX_LIMIT = 1_000_000
FORMATS = ("jsonl", "csv")


class QueryRefusedError(SanctuaryGateError):
    """The rules do not allow the query; carries the decision (answered 403 with it)."""

    title = "The rules do not allow this query"

    def __init__(self, message: str, *, decision: Decision | None = None,
                 field: str | None = None, request: Request | None = None) -> None:
        super().__init__(message)
        self.decision = decision
        self.field = field
        #: The dataset request that was decided (set when the rules answered ``review``).
        self.request = request
        #: Where the refusal was logged (set by ``release.release`` once it is).
        self.log_index: int | None = None
        #: The case a ``review`` opened or joined, or the case a re-run named.
        self.case_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """A validated query: dataset, fields, filters, purpose, document, onward recipients."""

    dataset: str
    fields: tuple[str, ...]
    filters: tuple[Filter, ...]
    purpose: str
    document: Mapping[str, Any]
    onward_recipients: tuple[str, ...]
    limit: int
    sort: str | None = None
    descending: bool = False
    format: str = "jsonl"


def parse_spec(body: Any, catalog: Catalog) -> QuerySpec:
    """Validate a query body against the catalog; InputError names the bad field. Types are
    strict (``"descending": "false"`` is refused, not truthy; ``"limit": "5"`` and ``true``
    are not numbers) and the purpose is stripped once, so what is decided is what is logged.
    A body read from bytes should come through :func:`~sanctuarygate.gateway.body.load_query_body`
    (duplicate keys refused).

    >>> from sanctuarygate.policy.default import default_library
    >>> parse_spec({"dataset": "cpd-arrests", "fields": ["*"],
    ...             "purpose": "criminal-investigation"}, default_library().catalog).limit
    1000
    """
    if not isinstance(body, Mapping):
        raise InputError("a query is a JSON object")
    known = {"dataset", "fields", "filters", "purpose", "document", "onward_recipients", "limit",
             "sort", "descending", "format", "agency"}
    extra = sorted(set(body) - known)
    if extra:
        raise InputError(f"unexpected field(s): {', '.join(extra)}")
    name = body.get("dataset")
    if not isinstance(name, str):
        raise InputError("is required", field="dataset")
    ds = catalog.get(name, field="dataset")
    names = [n for n, _ in ds.fields]
    fields = body.get("fields", ["*"])
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise InputError('a list of field names, or ["*"]', field="fields")
    unknown = [f for f in fields if f != "*" and f not in names]
    if unknown:
        raise InputError(f"no such field(s) in {name}: {', '.join(unknown)}", field="fields")
    raw_filters = _given(body, "filters", [])
    if not isinstance(raw_filters, list) or len(raw_filters) > 20:
        raise InputError("a list of at most 20 filters", field="filters")
    types = ds.field_types
    filters = tuple(parse_filter(f, types, where=f"filters[{i}]") for i, f in enumerate(raw_filters))
    limit = body.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"a whole number from 1 to {MAX_LIMIT}", field="limit")
    sort = body.get("sort")
    if sort is not None and (not isinstance(sort, str) or sort not in names):
        raise InputError(f"no field {sort!r} to sort by", field="sort")
    fmt = body.get("format", "jsonl")
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise InputError(f"one of {', '.join(FORMATS)}", field="format")
    document = _given(body, "document", {"kind": "none"})
    if not isinstance(document, Mapping):
        raise InputError("must be {kind, verified}", field="document")
    onward = _given(body, "onward_recipients", [])
    if not isinstance(onward, list) or not all(isinstance(a, str) for a in onward):
        raise InputError("must be a list of agency ids", field="onward_recipients")
    purpose = body.get("purpose", "unknown")
    if not isinstance(purpose, str):
        raise InputError("must be text", field="purpose")
    descending = _given(body, "descending", False)
    if not isinstance(descending, bool):  # "false" is a string, and strings are truthy
        raise InputError("true or false (a JSON boolean)", field="descending")
    expanded = tuple(names) if "*" in fields else tuple(dict.fromkeys(fields))
    # The purpose is normalised here, once: what is decided is what is logged.
    return QuerySpec(name, expanded, filters, purpose.strip(), dict(document), tuple(onward),
                     limit, sort, descending, fmt)


def _given(body: Mapping[str, Any], name: str, default: Any) -> Any:
    """A body member, or the default when it is absent or null (not when it is ``{}``, ``0`` or
    ``""``: those are wrong values, refused as such)."""
    value = body.get(name)
    return default if value is None else value


#: Tags of columns that can tell a person's immigration status or national origin: never
#: released under a review, whatever a reviewer chooses (the rules deny them to every agency).
SENSITIVE_TAGS = frozenset({"immigration", "citizenship", "birthplace"})


@dataclass(frozen=True, slots=True)
class ReviewGrant:
    """What a reviewer released on a gateway case (``gateway/reviewed.py`` checks the case):
    the columns, the conditions that travel with them, the case and its review entry's index.

    ``columns=None`` is the widest a reviewer may choose: every column the rules leave open
    (used to show a reviewer the offer, never to release)."""

    case_id: int
    review_index: int | None
    columns: frozenset[str] | None
    conditions: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[Obligation, ...]:
        return tuple(Obligation(c, (), f"review:{self.review_index}") for c in self.conditions)


@dataclass(frozen=True, slots=True)
class FieldVerdict:
    name: str
    tags: tuple[str, ...]
    released: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.name, "tags": list(self.tags), "released": self.released,
                "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Plan:
    """What would be released and why; ``terms`` travel with the data."""

    spec: QuerySpec
    agency: str
    dataset: Dataset
    request: Request
    decision: Decision
    fields: tuple[FieldVerdict, ...] = ()
    terms: tuple[Obligation, ...] = field(default=())
    #: Row rules from the packs, applied as SQL WHERE (with the caller's filters, all ANDed).
    row_rules: tuple[RowRule, ...] = ()
    #: Set when the query is released under a reviewer's decision on a gateway case.
    review: ReviewGrant | None = None

    @property
    def released(self) -> tuple[str, ...]:
        wanted = set(self.spec.fields)
        return tuple(f.name for f in self.fields if f.released and f.name in wanted)

    @property
    def withheld(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if not f.released)

    @property
    def key_field(self) -> str:
        return self.dataset.fields[0][0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency, "dataset": self.dataset.id,
            "outcome": self.decision.outcome,
            "released": list(self.released), "withheld": list(self.withheld),
            "fields": [f.to_dict() for f in self.fields],
            "filters": [f.to_dict() for f in self.spec.filters],
            "row_rules": [r.to_dict() for r in self.row_rules],
            "terms": [o.to_dict() for o in self.terms],
            "citations": list(self.decision.citations),
            "decision": self.decision.to_dict(),
        }


def check_gateway_config(library: PolicyLibrary, profile: str, packs: Sequence[str]) -> None:
    """The gateway's profile and adopted packs exist; else ConfigurationError naming the key.

    >>> from sanctuarygate.policy.default import default_library
    >>> check_gateway_config(default_library(), "chicago", ["ocad-proposed-eo-2019"])
    >>> check_gateway_config(default_library(), "chicago", ["ocad"])
    Traceback (most recent call last):
    sanctuarygate.errors.ConfigurationError: SANCTUARYGATE_GATEWAY_PACKS: no pack 'ocad' ...
    """
    if profile not in library.profiles:
        raise ConfigurationError(f"SANCTUARYGATE_PROFILE: no profile {profile!r} "
                                 f"(known: {', '.join(library.profiles)})")
    for pid in packs:
        if pid not in library.packs:
            raise ConfigurationError(f"SANCTUARYGATE_GATEWAY_PACKS: no pack {pid!r} "
                                     f"(see `sanctuarygate policy packs`)")


#: Obligations the gateway applies itself, rather than passing on as terms with the data.
APPLIED = frozenset({"mask-fields", "rows-where"})


@dataclass(frozen=True, slots=True)
class RowRule:
    """A pack's row rule (``rows-where`` obligation): only rows matching ``filter`` are read."""

    filter: Filter
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.filter.to_dict(), "rule": self.rule}


#: Queries through the gateway come over a standing data-sharing platform (vocabulary.CHANNELS).
CHANNEL = "data-platform"


def _asker(spec: QuerySpec, agency: str, profile: str, day: dt.date,
           extra_packs: Sequence[str]) -> Callable[[str, Resource], Request]:
    """Build the query's requests (``ask(action, about)``), the document read once: a bad one is
    an InputError naming its field (``context.document.kind``), as the request parser says."""
    document = parse_document(spec.document)

    def asked(action: str, about: Resource) -> Request:
        return ask(profile=profile, date=day, agency=agency, action=action, about=about,
                   purpose=spec.purpose, document=document.kind,
                   verified=document.verified if document.kind != "none" else None,
                   form=document.form, attachments=document.attachments,
                   onward_recipients=spec.onward_recipients, channel=CHANNEL,
                   extra_packs=extra_packs)

    return asked


def plan_query(decider: Decider, spec: QuerySpec, *, agency: str, profile: str,
               day: dt.date, extra_packs: Sequence[str] = (),
               review: ReviewGrant | None = None) -> Plan:
    """Decide the dataset and each column; raise QueryRefusedError when the dataset is not
    allowed or a filter/sort touches a withheld column. ``extra_packs`` are packs the city has
    adopted for its gateway on top of the profile (``SANCTUARYGATE_GATEWAY_PACKS``).

    With ``review`` (a reviewer's decision on this query's case), a dataset decision of
    ``review`` is answered by it: a column is released only when the reviewer released it, its
    own decision is ``allow`` or ``review`` (never ``deny``), no ``mask-fields`` covers it and
    it carries no :data:`SENSITIVE_TAGS`; the reviewer's conditions join the terms. A ``deny``
    is still refused."""
    ds = decider.library.catalog.get(spec.dataset, field="dataset")
    place = decider.library.profile(profile)
    if ds.keeper not in place.keepers:
        served = tuple(d.id for d in decider.library.catalog if d.keeper in place.keepers)
        raise DatasetNotServedError(ds.id, ds.keeper, profile, served)
    request = _asker(spec, agency, profile, day, extra_packs)
    asked = request("query-dataset", dataset_resource(ds.id))
    decision = decider.decide(asked)
    if decision.outcome == "review" and review is None:
        raise review_refusal(decision, asked, ds.keeper)
    if not decision.allowed and not (review is not None and decision.outcome == "review"):
        raise QueryRefusedError(f"{decision.outcome}: {decision.explanation}", decision=decision)
    masked = {t for o in decision.obligations if o.kind == "mask-fields" for t in o.values}
    rows_where = [o for o in decision.obligations if o.kind == "rows-where"]
    field_requests = [request("read-field", field_resource(ds.id, name)) for name, _ in ds.fields]
    verdicts = []
    terms: list[Obligation] = [o for o in decision.obligations if o.kind not in APPLIED]
    for (name, tags), d in zip(ds.fields, decider.decide_many(field_requests), strict=True):
        hidden = sorted(set(tags) & (masked | {t for o in d.obligations if o.kind == "mask-fields"
                                              for t in o.values}))
        refused = _not_reviewed(name, tags, d, review) if review is not None else (
            None if d.allowed else f"read-field: {d.outcome}")
        if refused:
            verdicts.append(FieldVerdict(name, tuple(sorted(tags)), False, refused))
        elif hidden:
            verdicts.append(FieldVerdict(name, tuple(sorted(tags)), False,
                                         f"masked ({', '.join(hidden)})"))
        else:
            verdicts.append(FieldVerdict(name, tuple(sorted(tags)), True, "released"))
            terms += [o for o in d.obligations if o.kind not in APPLIED and o not in terms]
            rows_where += [o for o in d.obligations if o.kind == "rows-where"]
    if review is not None:
        terms += [o for o in review.terms if o not in terms]
    plan = Plan(spec, agency, ds, asked, decision, tuple(verdicts), tuple(dict.fromkeys(terms)),
                tuple(dict.fromkeys(_row_rule(o, ds) for o in rows_where)), review)
    _refuse_leaks(plan)
    if not plan.released:
        raise QueryRefusedError("no field you asked for may be released", decision=decision,
                                field="fields")
    return plan


def review_refusal(decision: Decision, asked: Request, keeper: str,
                   case_id: int | None = None) -> QueryRefusedError:
    """The refusal of a query the rules leave to a person; with the case it opened, what the
    agency does next (before the rules' explanation, which a problem's detail may cut)."""
    then = (f'This query is case {case_id}: once a reviewer has decided it, send the same query '
            f'again with "case_id": {case_id} to receive what the reviewer released. '
            if case_id is not None else "")
    refusal = QueryRefusedError(
        f"review: a person must decide this query, and the gateway releases nothing until "
        f"then. Ask the {keeper} records unit (a refused query's log_index identifies it). "
        f"{then}{decision.explanation}", decision=decision, request=asked)
    refusal.case_id = case_id
    return refusal


def _not_reviewed(name: str, tags: frozenset[str], decision: Decision,
                  review: ReviewGrant) -> str | None:
    """Why a column is not released under ``review`` (None: it may be)."""
    if decision.outcome not in ("allow", "allow-with-conditions", "review"):
        return f"read-field: {decision.outcome}"
    if tags & SENSITIVE_TAGS:
        return "sensitive: never released under a review"
    if review.columns is not None and name not in review.columns:
        return f"not released by the review of case {review.case_id}"
    return None


def offered_columns(decider: Decider, spec: QuerySpec, *, agency: str, profile: str,
                    day: dt.date, extra_packs: Sequence[str] = ()) -> tuple[str, ...]:
    """The columns of a query the rules left to a reviewer: those asked for that a review may
    release (see :func:`plan_query`); empty when none may be, or when the rules deny."""
    try:
        plan = plan_query(decider, spec, agency=agency, profile=profile, day=day,
                          extra_packs=extra_packs, review=ReviewGrant(0, None, None))
    except QueryRefusedError:
        return ()
    return plan.released


def _row_rule(obligation: Obligation, ds: Dataset) -> RowRule:
    """A pack's ``rows-where`` as a typed filter on the dataset. A field the dataset lacks, or a
    value its column cannot hold (``rows-where=issued_on ge someday``), is the pack's error:
    PolicyEvaluationError, nothing is released."""
    try:
        return RowRule(parse_filter(obligation.row_condition(), ds.field_types,
                                    where="rows-where"),
                       obligation.rule)
    except (ValueError, InputError) as exc:
        raise PolicyEvaluationError(f"rule {obligation.rule}: bad rows-where for {ds.id}: {exc}; "
                                    "nothing is released") from exc


def _refuse_leaks(plan: Plan) -> None:
    withheld = set(plan.withheld)
    touched: Sequence[tuple[str, str]] = [(f.field, f"filters[{i}]")
                                          for i, f in enumerate(plan.spec.filters)]
    if plan.spec.sort:
        touched = [*touched, (plan.spec.sort, "sort")]
    for name, where in touched:
        if name in withheld:
            raise QueryRefusedError(
                f"{where} uses the withheld field {name!r}: filtering or sorting on it would "
                "leak its value", decision=plan.decision, field=where)
