"""The one door: ``decide(request) -> Decision``.

Every caller (CLI, desk page, HTTP API, and later the gateway, custody and property) comes
through :meth:`Decider.decide`. The steps:

1. check the request against the directory and catalog (unknown ids are errors, never defaults);
2. pick the packs in force for the place on the day (plus any what-if packs);
3. build the Cedar request; a fact stated as ``unknown`` is evaluated both ways;
4. read the outcome: a matching forbid is ``deny``; matching permits give ``allow`` (with
   their obligations, ``allow-with-conditions``) unless one says ``review``; no matching rule is
   ``review`` — never an allow. If the ``unknown`` branches disagree, the outcome is ``review``
   and names the facts. An engine error raises :class:`PolicyEvaluationError`.

Speed (see ``docs/benchmarks.md``): everything that depends only on the loaded library is worked
out once and kept by the decider — the packs in force per (place, day, what-if packs) with their
compiled handle and version refs, the checked principals, the field names of each dataset, and
the reading of an engine answer (outcome, rules, obligations, explanation, advice) per distinct
answer. None of this skips an evaluation: with ``cache_size=0`` every call still builds its Cedar
request(s) and asks the engine; only the ``Decision`` cache keyed by the whole request does not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from sanctuarygate.domain.advice import authority, explain
from sanctuarygate.domain.agency import Agency
from sanctuarygate.domain.decision import Decision, Obligation, Outcome, PackRef, RuleRef
from sanctuarygate.domain.request import UNKNOWN, Request
from sanctuarygate.domain.vocabulary import ACTION_RESOURCES, PURPOSES
from sanctuarygate.errors import InputError, NotAllowed, PolicyEvaluationError
from sanctuarygate.policy.engine import EngineResult
from sanctuarygate.policy.library import EMPLOYER_LEVELS, PolicyLibrary
from sanctuarygate.policy.pack import Pack

MAX_UNKNOWN_FACTS = 6
CIVIL_PURPOSES = frozenset({"civil-immigration-enforcement", "unknown"})
#: Bound on each of the decider's library-derived tables; a full table is emptied and refilled.
MEMO_LIMIT = 4096

#: The context flags derived from the onward recipients, each an "any of them".
ONWARD_FLAGS = ("onward_immigration", "onward_civil_immigration", "onward_referral", "onward_dhs")

#: A purpose stated as ``unknown`` is a fact not known: it is evaluated as each of these.
KNOWN_PURPOSES = tuple(sorted(PURPOSES - {UNKNOWN}))

_K = TypeVar("_K")
_V = TypeVar("_V")
_NO_ASSIGNMENT: Mapping[str, bool] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class _Branch:
    outcome: Outcome
    rules: tuple[RuleRef, ...]
    obligations: tuple[Obligation, ...]


@dataclass(slots=True)
class _InForce:
    """The packs in force for one (place, day, what-if packs), with their refs; the engine
    handle is compiled on first use, after a request has been checked."""

    packs: tuple[Pack, ...]
    refs: tuple[PackRef, ...]
    handle: object = None


@dataclass(slots=True)
class _Plan:
    """One request on its way to the engine: the packs in force, its unknown facts, its Cedar
    request(s); in a batch, their places among the batch's distinct Cedar requests."""

    in_force: _InForce
    unknown: tuple[str, ...]
    cedar: list[dict[str, Any]]
    slots: list[int] = field(default_factory=list)
    results: list[EngineResult] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Act:
    """What the advice fits besides the engine's answer: the act, whether it is about a person,
    and whether it comes as an emergency or with a verified court order."""

    action: str
    about_person: bool
    emergency: bool
    court_order: bool
    purpose_given: bool = True


@dataclass(frozen=True, slots=True)
class _Reading:
    """What one engine answer means: it depends on the answer, the unknown facts and whether
    the purpose is civil, never on who asked."""

    outcome: Outcome
    rules: tuple[RuleRef, ...]
    obligations: tuple[Obligation, ...]
    unresolved: tuple[str, ...]
    explanation: str
    advice: tuple[str, ...]


class Decider:
    """Decides requests against a :class:`PolicyLibrary`, caching answers to repeated requests.

    The library is fixed for the decider's life: what the decider works out from it once (packs
    in force, checked principals, readings of engine answers) is kept.

    >>> from sanctuarygate.policy.ask import ask, person
    >>> from sanctuarygate.policy.default import default_decider
    >>> d = default_decider().decide(ask(profile="illinois", date=dt.date(2024, 2, 1),
    ...     agency="ICE-ERO", action="honor-detainer", about=person(in_custody=True),
    ...     purpose="civil-immigration-enforcement", document="detainer", verified=True))
    >>> d.outcome, d.rules[0].citation
    ('deny', '5 ILCS 805/15(a)')
    """

    def __init__(self, library: PolicyLibrary, *, cache_size: int = 10_000,
                 without: frozenset[str] = frozenset()) -> None:
        self.library = library
        self.cache_size = cache_size
        #: Packs this decider never counts as in force (a what-if repeal: ``replay``).
        self.without = without
        self._cache: dict[Request, Decision] = {}
        self._in_force: dict[tuple[str, dt.date, tuple[str, ...]], _InForce] = {}
        self._principals: dict[tuple[str, str], tuple[str, bool]] = {}
        self._fields: dict[str, frozenset[str]] = {}
        self._readings: dict[tuple[Any, ...], _Reading] = {}

    def decide(self, request: Request) -> Decision:
        """Decide one request. Raises InputError for bad input, PolicyEvaluationError when the
        engine cannot decide; neither is ever an allow."""
        cached = self._cache.get(request)
        if cached is not None:
            return cached
        decision = self._decide(request)
        self._keep(request, decision)
        return decision

    def ensure(self, request: Request) -> Decision:
        """The raising twin of :meth:`decide`: the decision when it is an allow (with or
        without conditions, which the caller must then apply); otherwise (a deny, or a review
        that a person must make) raises :class:`NotAllowed` carrying the decision.

        >>> from sanctuarygate.policy.ask import ask, person
        >>> from sanctuarygate.policy.default import default_decider
        >>> asked = ask(profile="illinois", date=dt.date(2024, 2, 1), agency="ICE-ERO",
        ...             action="honor-detainer", about=person(in_custody=True),
        ...             purpose="civil-immigration-enforcement", document="detainer")
        >>> default_decider().ensure(asked)
        Traceback (most recent call last):
        ...
        sanctuarygate.errors.NotAllowed: not allowed (deny): ...
        """
        decision = self.decide(request)
        if not decision.allowed:
            raise NotAllowed(decision)
        return decision

    def decide_many(self, requests: Iterable[Request]) -> list[Decision]:
        """The batch twin of :meth:`decide`: the same decisions, in order, from one engine
        batch (cedarpy's ``is_authorized_batch``) per set of packs in force, whatever the
        places and days that have it. A request listed twice, and a Cedar request that
        several requests share (an ``unknown`` fact decided as a value another request
        states), are evaluated once. Raises what a loop over decide() would raise first.

        >>> from sanctuarygate.policy.ask import ask, person
        >>> from sanctuarygate.policy.default import default_decider
        >>> rs = [ask(profile="illinois", date=dt.date(2024, 2, 1), agency=a,
        ...           action="honor-detainer", about=person(in_custody=True))
        ...       for a in ("ICE", "FBI")]
        >>> [d.outcome for d in default_decider().decide_many(rs)]
        ['deny', 'deny']
        """
        batch = list(requests)
        decided: dict[Request, Decision] = {}
        plans: dict[Request, _Plan] = {}
        failure: Exception | None = None
        for request in batch:
            if request in decided or request in plans:
                continue
            cached = self._cache.get(request)
            if cached is not None:
                decided[request] = cached
                continue
            try:
                plans[request] = self._plan(request)
            except Exception as exc:  # raised after the requests before it, as decide() would
                failure = exc
                break
        self._evaluate(plans.values())
        for request, plan in plans.items():
            decision = self._conclude(request, plan.in_force, plan.unknown, plan.results)
            self._keep(request, decision)
            decided[request] = decision
        if failure is not None:
            raise failure
        return [decided[r] for r in batch]

    def _plan(self, request: Request) -> _Plan:
        """What :meth:`_decide` works out before asking the engine."""
        in_force = self._packs_in_force(request)
        unknown = request.unknown_facts()
        return _Plan(in_force, unknown, self._cedar_requests(request, unknown))

    def _evaluate(self, plans: Iterable[_Plan]) -> None:
        """Ask the engine once per set of packs in force, for every distinct Cedar request of
        the plans; give each plan its results."""
        # Keyed by the packs themselves: places and days with the same packs in force (Cedar
        # is handed no date or place) share one batch.
        groups: dict[tuple[str, ...], tuple[_InForce, list[dict[str, Any]], dict[str, int]]] = {}
        todo = list(plans)
        for plan in todo:
            key = tuple(p.id for p in plan.in_force.packs)
            _, unique, index = groups.setdefault(key, (plan.in_force, [], {}))
            for cedar in plan.cedar:
                slot = index.setdefault(json.dumps(cedar), len(unique))
                if slot == len(unique):
                    unique.append(cedar)
                plan.slots.append(slot)
        answers = {key: self.library.engine.evaluate(self._handle(in_force), unique)
                   for key, (in_force, unique, _) in groups.items()}
        for plan in todo:
            found = answers[tuple(p.id for p in plan.in_force.packs)]
            plan.results = [found[slot] for slot in plan.slots]

    def _handle(self, in_force: _InForce) -> object:
        if in_force.handle is None:
            in_force.handle = self.library.compiled(in_force.packs)
        return in_force.handle

    def _conclude(self, request: Request, in_force: _InForce, unknown: tuple[str, ...],
                  results: Sequence[EngineResult]) -> Decision:
        """The decision, from the engine's results for the request's Cedar request(s)."""
        civil = request.context.purpose in CIVIL_PURPOSES
        doc = request.context.document
        act = _Act(request.action, request.resource.type == "Person",
                   request.context.purpose == "emergency-assistance",
                   doc.kind == "court-order" and doc.verified is True,
                   request.context.purpose != UNKNOWN)
        key = (tuple([(r.decision, tuple(sorted(r.reasons)), tuple(r.errors)) for r in results]),
               unknown, civil, act)
        reading = self._readings.get(key)
        if reading is None:
            reading = self._read(results, unknown, civil, act)
            _remember(self._readings, key, reading)
        rules = reading.rules
        if reading.outcome == "review" and not rules and not reading.unresolved:
            # No rule in force covers the request: the place's default decided; cite it.
            default = self.library.profile(request.profile).default
            rules = (default,) if default is not None else ()
        return Decision(outcome=reading.outcome, rules=rules,
                        explanation=reading.explanation, advice=reading.advice,
                        obligations=reading.obligations, packs=in_force.refs,
                        unresolved_facts=reading.unresolved, profile=request.profile,
                        date=request.date.isoformat())

    def _keep(self, request: Request, decision: Decision) -> None:
        if self.cache_size:
            if len(self._cache) >= self.cache_size:
                # Web workers decide on several threads: another thread may have evicted
                # the same entry, or be resizing the dict; either way, evicting is best-effort.
                with contextlib.suppress(StopIteration, RuntimeError):
                    self._cache.pop(next(iter(self._cache)), None)
            self._cache[request] = decision

    def engine_requests(self, request: Request) -> tuple[tuple[Pack, ...], list[dict[str, Any]]]:
        """The packs in force and the Cedar request(s) that ``decide`` evaluates (one per
        combination of unknown facts). Used by ``explain`` views and the benchmark."""
        in_force = self._packs_in_force(request)
        return in_force.packs, self._cedar_requests(request, request.unknown_facts())

    # --- internals ------------------------------------------------------------------------
    def _decide(self, request: Request) -> Decision:
        plan = self._plan(request)
        results = self.library.engine.evaluate(self._handle(plan.in_force), plan.cedar)
        return self._conclude(request, plan.in_force, plan.unknown, results)

    def _read(self, results: Sequence[EngineResult], unknown: tuple[str, ...],
              civil: bool, act: _Act) -> _Reading:
        branches = [self._branch(r.decision, r.reasons, r.errors) for r in results]
        outcomes = {b.outcome for b in branches}
        rules = tuple(dict.fromkeys(r for b in branches for r in b.rules))
        if len(outcomes) == 1:
            outcome = branches[0].outcome
            obligations = tuple(dict.fromkeys(o for b in branches for o in b.obligations))
            unresolved: tuple[str, ...] = ()
        else:
            outcome, obligations, unresolved = "review", (), unknown
        deciding = next((r for r in rules if outcome != "deny" or r.effect == "forbid"), None)
        pack = self.library.packs.get(deciding.pack) if deciding else None
        text, advice = explain(outcome, [r.summary for r in rules], obligations, unresolved,
                               civil_purpose=civil, purpose_given=act.purpose_given,
                               action=act.action,
                               decided_by=authority(pack.kind, pack.jurisdiction) if pack
                               else "City policy",
                               about_person=act.about_person, emergency=act.emergency,
                               court_order=act.court_order)
        return _Reading(outcome, rules, obligations, unresolved, text, advice)

    def _branch(self, decision: str, reasons: tuple[str, ...], errors: tuple[str, ...]) -> _Branch:
        if errors or decision not in ("Allow", "Deny"):
            raise PolicyEvaluationError("the policy engine could not evaluate the request",
                                        errors=errors or (decision,))
        rank = self.library.rank
        try:
            # The engine names matching rules in no fixed order; list them in library order
            # (pack order, then file order) so the same request always reads the same.
            matched = [self.library.rules[r] for r in sorted(reasons, key=rank.__getitem__)]
        except KeyError as exc:
            raise PolicyEvaluationError(f"engine named an unknown rule {exc}") from None
        if decision == "Deny":
            forbids = tuple(m.ref for m in matched if m.ref.effect == "forbid")
            return _Branch("deny", forbids, ()) if forbids else _Branch("review", (), ())
        reviews = tuple(m.ref for m in matched if m.review)
        if reviews:
            return _Branch("review", reviews, ())
        obligations = tuple(o for m in matched for o in m.obligations)
        outcome: Outcome = "allow-with-conditions" if obligations else "allow"
        return _Branch(outcome, tuple(m.ref for m in matched), obligations)

    def _packs_in_force(self, request: Request) -> _InForce:
        key = (request.profile, request.date, request.extra_packs)
        found = self._in_force.get(key)
        if found is None:
            packs = self.library.packs_for(request.profile, request.date, request.extra_packs,
                                           self.without)
            found = _InForce(packs, tuple(p.ref for p in packs))
            _remember(self._in_force, key, found)
        return found

    def _cedar_requests(self, request: Request, unknown: tuple[str, ...]) -> list[dict[str, Any]]:
        principal, immigration_agency = self._principal(request)
        resource = self._resource(request)
        if len(unknown) > MAX_UNKNOWN_FACTS:
            raise InputError(f"at most {MAX_UNKNOWN_FACTS} facts may be unknown; "
                             f"got {len(unknown)}: {', '.join(unknown)}")
        action = {"type": "Action", "id": request.action}
        purposes = (KNOWN_PURPOSES if request.context.purpose == UNKNOWN
                    else (request.context.purpose,))
        bases = [self._context_base(request, immigration_agency, p) for p in purposes]
        booleans = [u for u in unknown if u != "purpose"]
        if not booleans and len(bases) == 1:
            return [{"principal": principal, "action": action, "resource": resource,
                     "context": _context(request, bases[0], _NO_ASSIGNMENT)}]
        out = []
        for base in bases:
            for values in itertools.product((True, False), repeat=len(booleans)):
                assignment = dict(zip(booleans, values, strict=True))
                out.append({"principal": principal, "action": action, "resource": resource,
                            "context": _context(request, base, assignment)})
        return out

    def _principal(self, request: Request) -> tuple[dict[str, str], bool]:
        """The principal's Cedar entity, and whether it is an immigration agency."""
        p = request.principal
        key = (p.kind, p.id)
        known = self._principals.get(key)
        if known is None:
            agency = self.library.directory.get(p.id, field=f"principal.{p.kind}")
            if p.kind == "employee":
                if agency.level not in EMPLOYER_LEVELS:
                    raise InputError(f"{p.id} is not a city, county or state department",
                                     field="principal.employee")
                known = ("Employee", False)
            else:
                known = ("Agency", p.kind == "agency" and agency.immigration_agency)
            _remember(self._principals, key, known)
        return {"type": known[0], "id": p.id}, known[1]

    def _resource(self, request: Request) -> dict[str, str]:
        res = request.resource
        allowed = ACTION_RESOURCES[request.action]
        if res.type not in allowed:
            raise InputError(f"{request.action} is about {' or '.join(sorted(allowed))}, "
                             f"not {res.type}", field="resource.type")
        ident = res.get("id")
        if res.type == "Dataset":
            if not isinstance(ident, str):
                raise InputError("a Dataset needs an id", field="resource.id")
            self.library.catalog.get(ident, field="resource.id")
            return {"type": "Dataset", "id": ident}
        if res.type == "Field":
            dataset = res.get("dataset")
            if not isinstance(dataset, str) or not isinstance(ident, str):
                raise InputError("a Field needs a dataset and an id", field="resource")
            names = self._fields.get(dataset)
            if names is None:
                fields = self.library.catalog.get(dataset, field="resource.dataset").fields
                names = frozenset(n for n, _ in fields)
                _remember(self._fields, dataset, names)
            if ident not in names:
                raise InputError(f"{dataset} has no field {ident!r}", field="resource.id")
            return {"type": "Field", "id": f"{dataset}.{ident}"}
        fallback = res.get("kind")
        if res.get("property_id") is not None and fallback is None:
            # A property named by its registry id is decided on the registry's facts, filled in
            # by domain.property.with_registry: without them it is not decided (fail closed).
            raise InputError("the property was not looked up in the city's property registry",
                             field="resource.property_id")
        name = ident if isinstance(ident, str) else fallback if isinstance(fallback, str) else None
        return {"type": res.type, "id": name or res.type.lower()}

    def _context_base(self, request: Request, immigration_agency: bool,
                      purpose: str) -> dict[str, Any]:
        ctx = request.context
        directory = self.library.directory
        recipients = [directory.get(a, field="context.onward_recipients")
                      for a in ctx.onward_recipients]
        civil = purpose in CIVIL_PURPOSES
        return {"purpose": purpose, "civil_purpose": civil,
                "immigration_agency": immigration_agency,
                "immigration_agent": immigration_agency or civil, **onward_flags(recipients),
                "channel": ctx.channel or "", "use": ctx.use or "",
                "assistance": ctx.assistance or ""}


def _context(request: Request, base: Mapping[str, Any],
             assignment: Mapping[str, bool]) -> dict[str, Any]:
    doc = request.context.document
    verified = assignment.get("document.verified", doc.verified)
    notice = request.context.truth_act_notice_given
    facts = {k: (assignment[f"resource.{k}"] if v == UNKNOWN else v)
             for k, v in request.resource.facts}
    return {**base,
            "document": {"kind": doc.kind, "verified": verified is True, "form": doc.form or "",
                         "attachments": list(doc.attachments)},
            "resource": facts,
            "truth_act_notice_given": assignment.get("truth_act_notice_given", notice) is True}


def _remember(table: dict[_K, _V], key: _K, value: _V) -> None:
    if len(table) >= MEMO_LIMIT:
        table.clear()
    table[key] = value


def onward_flags(recipients: Iterable[Agency]) -> dict[str, bool]:
    """What the rules see of a list of onward recipients: is any of them in a civil-immigration
    agency's tree (HSI included), is any an immigration agent other than a criminal-investigation
    unit, can any refer cases to one, is any under DHS (which shares data inside itself)."""
    agencies = list(recipients)
    return dict(zip(ONWARD_FLAGS, (any(a.immigration_agency for a in agencies),
                                   any(a.civil_immigration_agent for a in agencies),
                                   any(a.refers_to_immigration for a in agencies),
                                   any(a.is_under("DHS") for a in agencies)), strict=True))
