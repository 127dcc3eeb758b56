"""A profile's finite request space, reduced so that no case is lost.

The space is agencies x actions x resources x context values. A request's outcome depends only
on the Cedar request(s) that :meth:`Decider.decide` builds from it and on the policies in force,
so two requests that no policy in force can tell apart have the same outcome, and one of them
stands for both. What a policy can tell apart is read from the engine's own parse of it
(:class:`~sanctuarygate.policy.engine.ParsedPolicy`: literals, entities, ``like`` patterns,
attributes read), never from its source text. The reductions, each sound for Cedar:

* per action: a policy whose action scope does not hold the action never applies to it (Cedar
  does not evaluate its conditions), so only the policies in force *for that action* count
  below (a scope over an action group, or over every action, counts for every action);
* a context value that none of these policies reads (``context.channel``, ``context.use``, the
  document, the onward flags, a resource fact ...) takes one value: every value gives the same
  Cedar answer. ``context`` used whole counts as reading everything;
* a string (purpose, document kind, channel, use, property kind, an unnamed agency attribute
  ...) is seen only through ``==``/``in``/``contains`` with the literals and entity ids the
  policies name, and through their ``like`` patterns: strings that are not named and match the
  same patterns are alike, and one of them is asked. (Not so when a policy compares two values
  neither of which it writes, ``principal.jurisdiction == resource.keeper``: then no string is
  folded.) ``civil-immigration-enforcement`` and
  ``unknown`` are always asked apart, since decide() derives ``civil_purpose`` and
  ``immigration_agent`` from them, and an ``unknown`` purpose may be decided as several;
* principals, datasets and fields are grouped into classes: the same relation (``==`` or
  ``in``) to every entity a policy names, the same (folded) values of every attribute a policy
  reads, the same kind (agency or employee), and for principals the same context values that
  decide() derives from them (``immigration_agency``; read from the Cedar request decide()
  builds, so a flag it derives later counts too); one representative per class is asked;
* onward recipients enter a decision only through the flags of :data:`ONWARD_FLAGS`, each an
  "any of them": one list per combination of flags that some list of directory agencies yields
  (the closure under "or" of what single agencies yield) covers every list;
* a fact stated as ``unknown`` (a boolean; the purpose too, when decide() takes an unknown
  purpose as a fact not known, see :meth:`Request.unknown_facts`) is decided as each value it
  could take and the outcome is the branches' common one, else ``review``: an allow (or a
  deny) for it is an allow (a deny) for each branch, and each branch is the Cedar request of a
  request that states that value, which is asked (or one alike to it). So ``unknown`` values
  are asked only for an invariant that forbids ``review``; an ``unknown`` purpose is asked
  too when none of the purposes decide() decides it as (read from the Cedar requests it
  builds for it) is among the invariant's purposes.

Exhaustive, at a cost: a Person's boolean facts are asked in every combination of those the
rules read (each not stated, true or false), and document attachments as every set of one
document kind per class the rules tell apart (a set is seen through the named kinds it holds and
whether it holds another), so the space grows as 3^k with the k facts an action's rules read.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, TypeAlias

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.agency import Agency
from sanctuarygate.domain.request import UNKNOWN, Context, Document, Principal, Request, Resource
from sanctuarygate.policy.decide import MAX_UNKNOWN_FACTS, ONWARD_FLAGS, Decider, onward_flags
from sanctuarygate.policy.engine import Pattern
from sanctuarygate.policy.library import EMPLOYER_LEVELS, PolicyLibrary, entities
from sanctuarygate.policy.pack import Pack, Rule

Tristate: TypeAlias = bool | Literal["unknown"]
PrincipalKind: TypeAlias = Literal["agency", "employee"]
#: The entity types a principal, or a dataset resource, can be related to by ``==`` or ``in``.
PRINCIPAL_TYPES = frozenset({"Agency", "Employee"})
DATASET_TYPES = frozenset({"Dataset", "Field"})
PERSON_FACTS = tuple(k for k, t in voc.RESOURCE_FACTS["Person"].items() if t is bool)
#: Purposes always asked apart (decide() derives flags from them).
KEPT_PURPOSES = ("civil-immigration-enforcement", UNKNOWN)
#: What an invariant's ``where`` may say (see ``packs/invariants.yaml``).
WHERE_KEYS = frozenset({"principal_in", "principal_not_in", "principal_kind", "actions",
                        "purposes", "documents", "channels", "resource", "law_enforcement_data",
                        "document_verified"})
#: The outcomes most invariants forbid.
NEVER_ALLOW = frozenset({"allow", "allow-with-conditions"})
#: The vocabulary of each string fact or context value that has one.
VOCABULARY: Mapping[str, frozenset[str]] = {
    "purpose": voc.PURPOSES, "channel": voc.CHANNELS, "use": voc.PROPERTY_USES,
    "assistance": voc.ASSISTANCE_KINDS, "document.kind": voc.DOCUMENT_KINDS,
    "Property.kind": voc.PROPERTY_KINDS, "Property.owner": voc.PROPERTY_OWNERS,
    "Agreement.kind": voc.AGREEMENT_KINDS}


@dataclass(frozen=True)
class View:
    """What the policies that can apply to one action name and read."""

    paths: frozenset[str]
    literals: frozenset[str]
    entities: frozenset[tuple[str, str]]
    patterns: frozenset[Pattern]
    principal_attrs: tuple[str, ...]
    resource_attrs: tuple[str, ...]
    #: Some policy compares two values neither of which it writes: no string is folded.
    exact: bool = False

    @classmethod
    def of(cls, rules: Sequence[Rule]) -> View:
        reads = [r.read for r in rules]
        return cls(frozenset(p for r in reads for p in r.context_paths),
                   frozenset(x for r in reads for x in r.literals),
                   frozenset(e for r in reads for e in r.entities),
                   frozenset(p for r in reads for p in r.patterns),
                   tuple(sorted({a for r in reads for a in r.principal_reads})),
                   tuple(sorted({a for r in reads for a in r.resource_reads})),
                   any(r.compares_values for r in reads))

    @cached_property
    def names(self) -> frozenset[str]:
        """Strings a policy can tell apart from others: literals and entity ids (a resource's
        entity id is its stated id or kind)."""
        return self.literals | {ident for _, ident in self.entities}

    def reads(self, path: str) -> bool:
        """Whether some policy reads ``context.<path>``, a part of it, or a whole it is in.

        >>> v = View(frozenset({"document.kind"}), *[frozenset()] * 3, (), ())
        >>> v.reads("document"), v.reads("document.kind"), v.reads("document.form")
        (True, True, False)
        """
        return any(p == "" or p == path or path.startswith(f"{p}.") or p.startswith(f"{path}.")
                   for p in self.paths)

    def fold(self, value: str) -> Any:
        """A string as the policies see it: itself if some policy names it, else only which
        ``like`` patterns it matches (every unnamed string matching the same ones is alike)."""
        if value in self.names or self.exact:
            return value
        return ("*", tuple(sorted((p for p in self.patterns if _matches(p, value)), key=repr)))

    def reduce(self, values: Sequence[str], keep: Sequence[str] = ()) -> list[str]:
        """One value per class the policies cannot tell apart, in the given order (``keep``:
        values asked apart anyway)."""
        classes: dict[Any, str] = {}
        for v in values:
            classes.setdefault(("keep", v) if v in keep else self.fold(v), v)
        return list(classes.values())

    def options(self, path: str, values: Sequence[str], absent: bool = True) -> list[str | None]:
        """The values of an optional string asked when some policy reads it (``None``, the
        absent value, first; a present value alike to the absent one, which decide() passes
        as ``""``, is not asked again); only ``None`` when no policy reads it."""
        if not self.reads(path):
            return [None] if absent else list(values[:1])
        present = self.reduce(values)
        if not absent:
            return list(present)
        return [None, *(v for v in present if self.fold(v) != self.fold(""))]

    def unnamed(self, stem: str) -> str:
        """A string no policy names nor matches by pattern (stands for every such string)."""
        candidates = (f"{stem}-{i}" for i in itertools.count())
        return next(c for c in candidates if c not in self.names and not any(
            _matches(p, c) for p in self.patterns))


class RequestSpace:
    """The requests to ask about a profile with the given packs in force, reduced as the
    module docstring explains.

    >>> from sanctuarygate.policy.default import default_library
    >>> lib, day = default_library(), dt.date(2025, 11, 1)
    >>> space = RequestSpace(lib, lib.packs_for("chicago", day))
    >>> next(space.requests({"actions": ["honor-detainer"]}, "chicago", day)).action
    'honor-detainer'
    >>> space.view("query-dataset").reads("channel"), space.view("detain").reads("channel")
    (True, False)
    """

    def __init__(self, lib: PolicyLibrary, packs: Sequence[Pack] | None = None) -> None:
        self.lib = lib
        self.rules = [r for p in (lib.packs.values() if packs is None else packs) for r in p.rules]
        self.onward = onward_lists(lib)
        self.attrs = {(e["uid"]["type"], e["uid"]["id"]): e["attrs"]
                      for e in entities(lib.directory, lib.catalog)}
        self._views: dict[str, View] = {}
        self._decider = Decider(lib, cache_size=0)
        self._probes: dict[tuple[str, str], dict[str, Any]] = {}

    def rules_for(self, action: str) -> list[Rule]:
        """The rules in force that can apply to ``action``: those whose scope names it, names
        an action group, or names no action."""
        return [r for r in self.rules if r.may_apply_to(action)]

    def view(self, action: str) -> View:
        """What the rules in force that can apply to ``action`` name and read."""
        found = self._views.get(action)
        if found is None:
            found = self._views[action] = View.of(self.rules_for(action))
        return found

    # --- principals ------------------------------------------------------------------------
    def principals(self, where: Mapping[str, Any], view: View) -> list[tuple[PrincipalKind, Agency]]:
        under = where.get("principal_in")
        excluded = where.get("principal_not_in") or ()
        kinds: list[PrincipalKind] = ([where["principal_kind"]] if where.get("principal_kind")
                                      else ["agency", "employee"])
        classes: dict[tuple[Any, ...], tuple[PrincipalKind, Agency]] = {}
        for agency in self.lib.directory:
            if under and not any(agency.is_under(u) for u in under):
                continue
            if any(agency.is_under(x) for x in excluded):
                continue
            above = [("Agency", a) for a in (agency.id, *agency.ancestors)]
            for kind in kinds:
                if kind == "employee" and agency.level not in EMPLOYER_LEVELS:
                    continue
                etype = "Agency" if kind == "agency" else "Employee"
                key = (kind, self._visible(view, etype, agency.id, view.principal_attrs),
                       self._derived(kind, agency.id, view),
                       _relations(view, etype, agency.id, above, PRINCIPAL_TYPES))
                classes.setdefault(key, (kind, agency))
        return list(classes.values())

    def _purposes_of_unknown(self, probe: Request) -> frozenset[str]:
        """The purposes decide() evaluates a request whose purpose is ``unknown`` as: read
        from the Cedar requests it builds (``{"unknown"}`` if it passes the word on)."""
        _, cedar = self._decider.engine_requests(probe)
        return frozenset(c["context"]["purpose"] for c in cedar)

    def _derived(self, kind: PrincipalKind, ident: str, view: View) -> tuple[Any, ...]:
        """The context values decide() derives from the principal (``immigration_agency``, and
        whatever else it may derive), as far as a policy reads them: read from the Cedar
        request decide() builds for a probe that differs from others only by its principal."""
        context = self._probes.get((kind, ident))
        if context is None:
            probe = Request(next(iter(self.lib.profiles)), dt.date(2000, 1, 1),
                            Principal(kind, ident), "detain", Resource("Person"),
                            Context(purpose="criminal-investigation"))
            _, (cedar, *_) = self._decider.engine_requests(probe)
            context = self._probes[(kind, ident)] = cedar["context"]
        return tuple((k, repr(v)) for k, v in sorted(context.items()) if view.reads(k))

    def _visible(self, view: View, etype: str, ident: str,
                 names: Sequence[str]) -> tuple[Any, ...]:
        """The attribute values a policy can see, strings folded."""
        attrs = self.attrs.get((etype, ident), {})
        out = []
        for name in names:
            value = attrs.get(name)
            if isinstance(value, str):
                value = view.fold(value)
            elif isinstance(value, list):
                value = tuple(sorted({view.fold(v) for v in value}, key=repr))
            out.append((name, value))
        return tuple(out)

    # --- resources -------------------------------------------------------------------------
    def resources(self, action: str, where: Mapping[str, Any], view: View,
                  booleans: tuple[Tristate, ...]) -> Iterator[Resource]:
        fixed = where.get("resource") or {}
        for rtype in sorted(voc.ACTION_RESOURCES[action]):
            seen: set[Resource] = set()
            for facts in self._facts(rtype, where, view, booleans):
                if rtype == "Person":  # a fixed fact joins every combination of the others
                    facts = {**facts, **{k: v for k, v in fixed.items() if k in PERSON_FACTS}}
                resource = Resource(rtype, tuple(sorted(facts.items())))
                if resource not in seen and all(facts.get(k) == v for k, v in fixed.items()):
                    seen.add(resource)
                    yield resource

    def _facts(self, rtype: str, where: Mapping[str, Any], view: View,
               booleans: tuple[Tristate, ...]) -> Iterator[dict[str, Any]]:
        if rtype == "Person":
            yield from self._person(view, booleans)
        elif rtype in DATASET_TYPES:
            yield from self._datasets(rtype, where, view)
        else:
            yield from self._other(rtype, where, view, booleans)

    def _person(self, view: View, booleans: tuple[Tristate, ...]) -> Iterator[dict[str, Any]]:
        """Every combination of the facts some policy reads, each not stated or stated with
        each value (a fact no policy reads is not stated)."""
        read = [f for f in PERSON_FACTS if view.reads(f"resource.{f}")]
        for values in itertools.product((None, *booleans), repeat=len(read)):
            yield {f: v for f, v in zip(read, values, strict=True) if v is not None}

    def _datasets(self, rtype: str, where: Mapping[str, Any],
                  view: View) -> Iterator[dict[str, Any]]:
        lib = self.lib
        seen: set[tuple[Any, ...]] = set()
        for ds in lib.catalog:
            if where.get("law_enforcement_data") and not lib.directory.get(ds.keeper).law_enforcement:
                continue
            items = ([(ds.id, {"id": ds.id})] if rtype == "Dataset" else
                     [(f"{ds.id}.{name}", {"dataset": ds.id, "id": name}) for name, _ in ds.fields])
            for uid, facts in items:
                parents = [("Dataset", ds.id)] if rtype == "Field" else []
                key = (_relations(view, rtype, uid, parents, DATASET_TYPES),
                       self._visible(view, rtype, uid, view.resource_attrs),
                       tuple((k, view.fold(v)) for k, v in sorted(facts.items())
                             if view.reads(f"resource.{k}")))
                if key not in seen:
                    seen.add(key)
                    yield facts

    def _other(self, rtype: str, where: Mapping[str, Any], view: View,
               booleans: tuple[Tristate, ...]) -> Iterator[dict[str, Any]]:
        """Property, Agreement, Facility, Service ...: every combination of the facts the
        policies read (a string by the classes the policies tell apart, ``None``: not stated).
        The entity id is the stated id, else the kind: it counts as read when a policy names
        an entity of this type."""
        by_id = any(t == rtype for t, _ in view.entities)
        fixed = where.get("resource") or {}
        choices: list[list[tuple[str, Any]]] = []
        for name, kind in sorted(voc.RESOURCE_FACTS[rtype].items()):
            read = view.reads(f"resource.{name}") or (by_id and name in ("id", "kind"))
            if name in fixed:
                values: list[Any] = [fixed[name]]
            elif not read:
                values = [None]
            elif kind is bool:
                values = [None, *booleans]
            else:
                vocab = VOCABULARY.get(f"{rtype}.{name}")
                free = [*sorted(view.names), view.unnamed(name)]  # any text is allowed
                values = [None, *view.reduce(free if vocab is None else sorted(vocab))]
            choices.append([(name, v) for v in values])
        for combo in itertools.product(*choices):
            facts = {k: v for k, v in combo if v is not None}
            yield facts

    # --- the requests ----------------------------------------------------------------------
    def requests(self, where: Mapping[str, Any], profile: str, day: dt.date,
                 extra_packs: tuple[str, ...] = (), never: frozenset[str] = NEVER_ALLOW,
                 ) -> Iterator[Request]:
        """Every request of the reduced space that matches ``where`` (an invariant's), for an
        invariant that forbids the outcomes ``never``."""
        booleans = _booleans(never)
        for action in where.get("actions") or sorted(voc.ACTIONS):
            dims = self._dimensions(action, where, booleans, (profile, day, extra_packs))
            for values in itertools.product(*dims):
                request = make_request(profile, day, action, values, extra_packs)
                # More unknown facts than decide() takes is an input error, not a request.
                if UNKNOWN not in booleans or len(request.unknown_facts()) <= MAX_UNKNOWN_FACTS:
                    yield request

    def dimensions(self, action: str, profile: str, day: dt.date,
                   extra_packs: tuple[str, ...] = (), never: frozenset[str] = NEVER_ALLOW,
                   ) -> list[list[Any]]:
        """The values of each part of a request for ``action`` (see :func:`make_request`):
        with ``never`` excluding ``review``, :meth:`requests` for the action yields exactly
        their product, in :func:`itertools.product` order.

        >>> from sanctuarygate.policy.default import default_library
        >>> lib, day = default_library(), dt.date(2025, 11, 1)
        >>> dims = RequestSpace(lib, lib.packs_for("chicago", day)).dimensions(
        ...     "detain", "chicago", day)
        >>> len(dims), dims[0][0].id, "unknown" in dims[2]
        (9, 'DHS', False)
        """
        return self._dimensions(action, {"actions": [action]}, _booleans(never),
                                (profile, day, extra_packs))

    def classes(self, view: View, dims: Sequence[Sequence[Any]]) -> list[list[int]]:
        """For each part of :meth:`dimensions`, the class of each value under ``view`` (the
        view of any set of rules, e.g. one rule): values of a part in the same class are
        alike to every rule of the view, whatever the other parts, by the reductions the
        module docstring explains (each class key is the one this space reduces by)."""
        out = []
        for keys in self.keys(view, dims):
            ids: dict[Any, int] = {}
            out.append([ids.setdefault(k, len(ids)) for k in keys])
        return out

    def keys(self, view: View, dims: Sequence[Sequence[Any]]) -> list[list[Any]]:
        """The class key of each value of each part under ``view`` (see :meth:`classes`): it
        depends on the value and the view alone, not on the action or the other values."""
        return [[self._key(view, part, v) for v in values] for part, values in enumerate(dims)]

    def _key(self, view: View, part: int, value: Any) -> Any:
        """What the rules of ``view`` can see of one value of a part of a request."""
        if "" in view.paths:  # context used whole: every value is its own class
            return value
        if part == 0:
            return self._principal_key(view, value)
        if part == 1:
            return self._resource_key(view, value)
        if part == 2:
            if not any(view.reads(p) for p in ("purpose", "civil_purpose", "immigration_agent")):
                return None
            return ("keep", value) if value in KEPT_PURPOSES else view.fold(value)
        if part == 3:
            doc: Document = value
            if not view.reads("document"):
                return None
            return (view.fold(doc.kind) if view.reads("document.kind") else None,
                    doc.verified if view.reads("document.verified") else None,
                    view.fold(doc.form or "") if view.reads("document.form") else None,
                    frozenset(map(view.fold, doc.attachments))
                    if view.reads("document.attachments") else None)
        if part == 4:
            flags = onward_flags([self.lib.directory.get(a) for a in value])
            return tuple(flags[f] for f in ONWARD_FLAGS if view.reads(f))
        if part in (5, 6, 7):
            name = ("channel", "use", "assistance")[part - 5]
            return view.fold(value or "") if view.reads(name) else None
        return value if view.reads("truth_act_notice_given") else None

    def _principal_key(self, view: View, principal: Principal) -> Any:
        """The class key :meth:`principals` groups principals by."""
        agency = self.lib.directory.get(principal.id)
        etype = "Agency" if principal.kind == "agency" else "Employee"
        above = [("Agency", a) for a in (agency.id, *agency.ancestors)]
        return (principal.kind, self._visible(view, etype, agency.id, view.principal_attrs),
                self._derived(principal.kind, agency.id, view),
                _relations(view, etype, agency.id, above, PRINCIPAL_TYPES))

    def _resource_key(self, view: View, resource: Resource) -> Any:
        """The class key the resource parts are reduced by (:meth:`_facts`)."""
        rtype, facts = resource.type, dict(resource.facts)
        if rtype == "Person":
            return rtype, tuple((k, v) for k, v in resource.facts
                                if view.reads(f"resource.{k}"))
        if rtype in DATASET_TYPES:
            parents: list[tuple[str, str]] = []
            if rtype == "Dataset":
                uid = str(facts["id"])
            else:
                uid = f"{facts['dataset']}.{facts['id']}"
                parents = [("Dataset", str(facts["dataset"]))]
            return (rtype, _relations(view, rtype, uid, parents, DATASET_TYPES),
                    self._visible(view, rtype, uid, view.resource_attrs),
                    tuple((k, view.fold(v) if isinstance(v, str) else v)
                          for k, v in sorted(facts.items()) if view.reads(f"resource.{k}")))
        by_id = any(t == rtype for t, _ in view.entities)
        return rtype, tuple(
            (name, view.fold(v) if isinstance(v, str) else v)
            for name in sorted(voc.RESOURCE_FACTS[rtype])
            if view.reads(f"resource.{name}") or (by_id and name in ("id", "kind"))
            for v in (facts.get(name),))

    def count(self, where: Mapping[str, Any], profile: str, day: dt.date,
              extra_packs: tuple[str, ...] = (), never: frozenset[str] = NEVER_ALLOW) -> int:
        """How many requests :meth:`requests` yields, without making them."""
        booleans = _booleans(never)
        return sum(math.prod(map(len, self._dimensions(action, where, booleans,
                                                       (profile, day, extra_packs))))
                   for action in where.get("actions") or sorted(voc.ACTIONS))

    def _dimensions(self, action: str, where: Mapping[str, Any], booleans: tuple[Tristate, ...],
                    asked: tuple[str, dt.date, tuple[str, ...]]) -> list[list[Any]]:
        """The values of each part of a request for ``action`` (asked for a profile, day and
        extra packs): principals, resources, purposes, documents, onward lists, channels,
        uses, assistance, notices."""
        view = self.view(action)
        principals = [Principal(kind, agency.id) for kind, agency in self.principals(where, view)]
        resources = list(self.resources(action, where, view, booleans))
        purposes = list(where.get("purposes") or sorted(voc.PURPOSES))
        if UNKNOWN in purposes and UNKNOWN not in booleans and principals and resources:
            profile, day, extra = asked
            branches = self._purposes_of_unknown(Request(
                profile, day, principals[0], action, resources[0], Context(purpose=UNKNOWN),
                extra))
            if UNKNOWN not in branches and branches & set(purposes):
                purposes.remove(UNKNOWN)
        if any(view.reads(p) for p in ("purpose", "civil_purpose", "immigration_agent")):
            purposes = view.reduce(purposes, keep=KEPT_PURPOSES)
        else:  # one purpose, a known one if there is one
            purposes = [next((p for p in purposes if p != UNKNOWN), purposes[0])]
        onward = ([tuple(sorted(x)) for x in self.onward]
                  if any(view.reads(f) for f in ONWARD_FLAGS) else [()])
        channels = view.options("channel", where.get("channels") or sorted(voc.CHANNELS),
                                absent=not where.get("channels"))
        notices: list[Tristate | None] = (
            [None, *booleans] if view.reads("truth_act_notice_given") else [None])
        return [principals, resources, purposes, list(self._documents(where, view, booleans)),
                onward, channels, view.options("use", sorted(voc.PROPERTY_USES)),
                view.options("assistance", sorted(voc.ASSISTANCE_KINDS)), notices]

    def _documents(self, where: Mapping[str, Any], view: View,
                   booleans: tuple[Tristate, ...]) -> Iterator[Document]:
        kinds = where.get("documents") or sorted(voc.DOCUMENT_KINDS)
        # An invariant about verified (or unverified) documents only: a "none" document is
        # never verified.
        wanted = where.get("document_verified")
        if wanted is True:
            kinds = [k for k in kinds if k != "none"]
        verified: tuple[Tristate, ...] = (
            (booleans if wanted is None else (wanted,)) if view.reads("document.verified")
            else (True if wanted is None else wanted,))  # one value, if no rule reads it
        if not view.reads("document"):
            kind = next((k for k in kinds if k != "none"), kinds[0]) if kinds else None
            if kind is not None:
                yield Document(kind, kind != "none" and verified[0])
            return
        if view.reads("document.kind"):
            kinds = view.reduce(kinds)
        else:  # one kind, one that can be verified if there is one
            kinds = [next((k for k in kinds if k != "none"), kinds[0])] if kinds else []
        forms: list[str | None] = [None]
        if view.reads("document.form"):
            forms += [n for n in sorted(view.names) if n and n == n.upper().strip()]
            forms.append(view.unnamed("FORM"))
        attachments: list[tuple[str, ...]] = [()]
        if view.reads("document.attachments"):
            # A set is seen through the named kinds it holds and whether it holds another:
            # every set of one kind per class covers every set.
            classes = view.reduce(sorted(voc.DOCUMENT_KINDS))
            attachments = [tuple(sorted(c)) for n in range(len(classes) + 1)
                           for c in itertools.combinations(classes, n)]
        for kind in kinds:
            for v, form, extra in itertools.product(
                    (False,) if kind == "none" else verified, forms, attachments):
                yield Document(kind, v, form, extra)


def make_request(profile: str, day: dt.date, action: str, values: Sequence[Any],
                 extra_packs: tuple[str, ...] = ()) -> Request:
    """The request of one value of each part of :meth:`RequestSpace.dimensions`: principal,
    resource, purpose, document, onward recipients, channel, use, assistance, notice."""
    principal, resource, purpose, doc, recipients, channel, use, assist, notice = values
    return Request(profile, day, principal, action, resource, Context(
        purpose=purpose, document=doc, onward_recipients=recipients, channel=channel, use=use,
        assistance=assist, truth_act_notice_given=notice), extra_packs)


def _booleans(never: frozenset[str]) -> tuple[Tristate, ...]:
    """The values asked for a boolean fact (see the module docstring on ``unknown``)."""
    return (True, False, UNKNOWN) if "review" in never else (True, False)


def _relations(view: View, etype: str, ident: str, parents: Sequence[tuple[str, str]],
               types: frozenset[str]) -> frozenset[tuple[str, str, bool]]:
    """How an entity stands to every entity some policy names: (type, id, equal) for each
    named entity it is ``in`` (itself included, as Cedar's ``in`` does)."""
    out = set()
    for ntype, nid in view.entities:
        if ntype not in types:
            continue
        equal = (ntype, nid) == (etype, ident)
        if equal or (ntype, nid) in parents:
            out.add((ntype, nid, equal))
    return frozenset(out)


def _matches(pattern: Pattern, text: str) -> bool:
    """Cedar's ``like``: ``None`` in the pattern matches any run of characters.

    >>> _matches(("C", "P", None), "CPD"), _matches(("C", None, "D"), "CPS")
    (True, False)
    """
    regex = "".join(".*" if piece is None else re.escape(piece) for piece in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


def onward_lists(lib: PolicyLibrary) -> list[list[str]]:
    """One list of onward recipients per combination of the flags decide() derives, for every
    combination some list of directory agencies yields; the empty list first.

    >>> from sanctuarygate.policy.default import default_library
    >>> lists = onward_lists(default_library())
    >>> lists[0], ['DHS'] in lists
    ([], True)
    """
    def flags(agencies: list[Agency]) -> tuple[bool, ...]:
        return tuple(onward_flags(agencies).values())

    lists: dict[tuple[bool, ...], list[str]] = {flags([]): []}
    for agency in lib.directory:
        lists.setdefault(flags([agency]), [agency.id])
    grown = True
    while grown:  # close under "any of them": a list's flags are the "or" of its members'
        grown = False
        for (a, la), (b, lb) in itertools.product(list(lists.items()), repeat=2):
            key = tuple(x or y for x, y in zip(a, b, strict=True))
            if key not in lists:
                lists[key] = [*la, *lb]
                grown = True
    return list(lists.values())
