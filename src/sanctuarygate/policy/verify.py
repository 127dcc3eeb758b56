"""Invariants checked by exhaustive evaluation of a profile's finite request space.

The space is agencies x actions x resource classes x context values. Two reductions keep it
small without losing a case, and both are sound for Cedar:

* principals, datasets and fields are grouped into classes that no rule can tell apart: the
  same values of every attribute a policy reads (``principal.federal``, ``resource.keeper``;
  a string value that no policy names counts as "other"), the same relation (``==`` or ``in``)
  to every entity a policy names (``Agency::"ICE"``), and the same context flags that decide()
  derives from them; one representative per class is evaluated;
* string values (purpose, property kind, owner, use ...) take the values that some policy names,
  plus the purposes that decide() itself reads (civil-immigration-enforcement, unknown), plus one
  value that nothing names;
* onward recipients enter a decision only through three flags ("is any of them a
  civil-immigration agency", "can any of them refer cases to one", "is any of them under DHS"),
  each an "any of them": so one list per combination of flags that some list of directory
  agencies yields (the closure under "or" of what single agencies yield) covers every list.
  They are asked only for the actions in the scope of a policy that reads an ``onward_`` flag;
* the channel enters only as ``context.channel`` compared with literals, so the channels some
  policy names, plus none, cover every channel; they are asked only for the actions in the
  scope of a policy that reads ``context.channel`` (for the others no policy can tell channels
  apart).

Every request goes through :meth:`Decider.decide`, the same door as every other caller.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.agency import Agency
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import PolicyLoadError
from sanctuarygate.policy.decide import ONWARD_FLAGS, Decider, onward_flags
from sanctuarygate.policy.engine import EVERY_ATTRIBUTE, Pattern
from sanctuarygate.policy.library import EMPLOYER_LEVELS, PolicyLibrary, entities

#: The entity types a principal or a dataset resource can be related to by ``==`` or ``in``.
PRINCIPAL_TYPES = frozenset({"Agency", "Employee"})
RESOURCE_TYPES = frozenset({"Dataset", "Field"})
PERSON_FACTS = tuple(k for k, t in voc.RESOURCE_FACTS["Person"].items() if t is bool)


@dataclass(frozen=True, slots=True)
class Invariant:
    id: str
    statement: str
    never: frozenset[str]
    where: Mapping[str, Any]
    profiles: tuple[str, ...] | None = None
    start: dt.date | None = None
    until: dt.date | None = None

    def applies(self, profile: str, day: dt.date) -> bool:
        if self.profiles is not None and profile not in self.profiles:
            return False
        if self.start and day < self.start:
            return False
        return not (self.until and day >= self.until)


@dataclass(slots=True)
class InvariantResult:
    invariant: Invariant
    checked: int = 0
    counterexample: tuple[Request, Decision] | None = None
    skipped: bool = False


@dataclass(slots=True)
class VerifyReport:
    profile: str
    date: dt.date
    results: list[InvariantResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.counterexample is None for r in self.results)


def load_invariants(path: Path) -> list[Invariant]:
    """Read ``invariants.yaml``; malformed entries raise PolicyLoadError."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for raw in data.get("invariants") or ():
        try:
            never = frozenset(raw["never"])
            if not never <= set(voc.OUTCOMES):
                raise ValueError(f"never must list outcomes from {voc.OUTCOMES}")
            out.append(Invariant(
                id=raw["id"], statement=raw["statement"], never=never,
                where=raw.get("where") or {},
                profiles=tuple(raw["profiles"]) if raw.get("profiles") else None,
                start=raw.get("from"), until=raw.get("until")))
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyLoadError(f"bad invariant {raw!r}: {exc}", source=path.name) from exc
    return out


def verify(decider: Decider, invariants: Sequence[Invariant], profile: str,
           day: dt.date, extra_packs: Sequence[str] = ()) -> VerifyReport:
    """Check every invariant that is about ``profile`` on ``day``; stop each at its first
    counterexample. ``extra_packs`` are packs adopted on top of the profile (a city's gateway
    packs): every request is decided with them, as the gateway decides."""
    lib = decider.library
    lib.packs_for(profile, day, tuple(extra_packs))  # unknown profile or pack: clear error
    space = _Space(lib)
    report = VerifyReport(profile, day)
    for inv in invariants:
        res = InvariantResult(inv)
        report.results.append(res)
        if not inv.applies(profile, day):
            res.skipped = True
            continue
        for request in space.requests(inv.where, profile, day, tuple(extra_packs)):
            res.checked += 1
            decision = decider.decide(request)
            if decision.outcome in inv.never:
                res.counterexample = (request, decision)
                break
    return report


class _Space:
    """Enumerates the request space, reduced as the module docstring explains."""

    def __init__(self, lib: PolicyLibrary) -> None:
        self.lib = lib
        rules = lib.rules.values()
        # What the policies name and read, from the engine's own parse of them (so a comment,
        # an annotation or another spacing of ``Agency::"ICE"`` changes nothing).
        self.named_entities = frozenset(e for r in rules for e in r.entities)
        self.literals = lib.named_literals
        self.patterns = frozenset(p for r in rules for p in r.patterns)
        #: Strings a policy can tell apart from others: literals, and entity ids (a resource's
        #: entity id is its stated id or kind).
        self.names = self.literals | {ident for _, ident in self.named_entities}
        self.principal_attrs = tuple(sorted({a for r in rules for a in r.principal_reads}))
        self.resource_attrs = tuple(sorted({a for r in rules for a in r.resource_reads}))
        #: No channel (``context.channel`` is ""), then one channel per class the policies tell
        #: apart from it and from each other.
        self.channels: list[str | None] = [None, *(
            c for c in self.reduce(sorted(voc.CHANNELS)) if self._fold(c) != self._fold(""))]
        #: Actions whose answer may depend on the channel, or on the onward recipients.
        self.channel_actions = self._scope({"channel"})
        self.onward_actions = self._scope(set(ONWARD_FLAGS))
        self.onward = onward_lists(lib)
        self.attrs = {(e["uid"]["type"], e["uid"]["id"]): e["attrs"]
                      for e in entities(lib.directory, lib.catalog)}

    def _scope(self, reads: set[str]) -> frozenset[str]:
        """The actions of every rule that reads one of these context attributes (a rule over an
        action group, or over every action, counts as all actions)."""
        scopes = [r.actions for r in self.lib.rules.values()
                  if reads & r.context_reads or EVERY_ATTRIBUTE in r.context_reads]
        if all(s is not None and s <= voc.ACTIONS for s in scopes):
            return frozenset(a for s in scopes if s for a in s)
        return frozenset(voc.ACTIONS)

    def _fold(self, value: str) -> Any:
        """A string as the policies see it: itself if some policy names it, else only which
        ``like`` patterns it matches (every unnamed string matching the same ones is alike)."""
        if value in self.names:
            return value
        return ("*", tuple(sorted((p for p in self.patterns if _matches(p, value)), key=repr)))

    def _visible(self, etype: str, ident: str, names: Sequence[str]) -> tuple[Any, ...]:
        """The attribute values a policy can see, strings that no policy names folded."""
        attrs = self.attrs.get((etype, ident), {})
        out = []
        for name in names:
            value = attrs.get(name)
            if isinstance(value, str):
                value = self._fold(value)
            elif isinstance(value, list):
                value = tuple(sorted({self._fold(v) for v in value}, key=repr))
            out.append((name, value))
        return tuple(out)

    def _relations(self, etype: str, ident: str, parents: Sequence[tuple[str, str]],
                   types: frozenset[str]) -> frozenset[tuple[str, str, bool]]:
        """How an entity stands to every entity some policy names: (type, id, equal) for each
        named entity it is ``in`` (itself included, as Cedar's ``in`` does)."""
        out = set()
        for ntype, nid in self.named_entities:
            if ntype not in types:
                continue
            equal = (ntype, nid) == (etype, ident)
            if equal or (ntype, nid) in parents:
                out.add((ntype, nid, equal))
        return frozenset(out)

    def principals(self, where: Mapping[str, Any]) -> list[tuple[str, Agency]]:
        under = where.get("principal_in")
        excluded = where.get("principal_not_in") or ()
        kinds = [where["principal_kind"]] if where.get("principal_kind") else ["agency", "employee"]
        classes: dict[tuple[Any, ...], tuple[str, Agency]] = {}
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
                key = (kind, self._visible(etype, agency.id, self.principal_attrs),
                       agency.immigration_agency,
                       self._relations(etype, agency.id, above, PRINCIPAL_TYPES))
                classes.setdefault(key, (kind, agency))
        return list(classes.values())

    def reduce(self, values: Sequence[str], keep: Sequence[str] = ()) -> list[str]:
        """One value per class the policies cannot tell apart (``keep``: values to ask anyway)."""
        classes: dict[Any, str] = {}
        for v in values:
            classes.setdefault(v if v in keep else self._fold(v), v)
        return sorted(classes.values(), key=list(values).index)

    def resources(self, action: str, where: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        fixed = where.get("resource") or {}
        le_only = where.get("law_enforcement_data")
        for rtype in sorted(voc.ACTION_RESOURCES[action]):
            for facts in self._facts(rtype, le_only):
                if all(facts.get(k) == v for k, v in fixed.items()):
                    yield {"type": rtype, **facts}

    def _facts(self, rtype: str, le_only: bool | None) -> Iterator[dict[str, Any]]:
        lib = self.lib
        if rtype == "Person":
            yield {}
            yield {"in_custody": False}
            for name in PERSON_FACTS:
                yield {name: True}
            yield dict.fromkeys(PERSON_FACTS, True)
        elif rtype in ("Dataset", "Field"):
            seen: set[tuple[Any, ...]] = set()
            for ds in lib.catalog:
                if le_only and not lib.directory.get(ds.keeper).law_enforcement:
                    continue
                items = ([(ds.id, {"id": ds.id})] if rtype == "Dataset" else
                         [(f"{ds.id}.{name}", {"dataset": ds.id, "id": name}) for name, _ in ds.fields])
                for uid, facts in items:
                    parents = [("Dataset", ds.id)] if rtype == "Field" else []
                    key = (self._relations(rtype, uid, parents, RESOURCE_TYPES),
                           self._visible(rtype, uid, self.resource_attrs))
                    if key not in seen:
                        seen.add(key)
                        yield facts
        elif rtype == "Property":
            kinds = self.reduce(sorted(voc.PROPERTY_KINDS))
            owners = self.reduce(sorted(voc.PROPERTY_OWNERS))
            for kind, owner, leased in itertools.product(kinds, owners, (None, True, False)):
                prop: dict[str, Any] = {"kind": kind, "owner": owner}
                if leased is not None:
                    prop["leased"] = leased
                yield prop
        elif rtype == "Agreement":
            for kind in sorted(voc.AGREEMENT_KINDS):
                yield {"kind": kind}
        else:
            yield {"id": "facility"}

    def requests(self, where: Mapping[str, Any], profile: str, day: dt.date,
                 extra_packs: tuple[str, ...] = ()) -> Iterator[Request]:
        actions = where.get("actions") or sorted(voc.ACTIONS)
        purposes = where.get("purposes") or self.reduce(
            sorted(voc.PURPOSES), keep=("civil-immigration-enforcement", "unknown"))
        kinds = where.get("documents") or sorted(voc.DOCUMENT_KINDS)
        documents = [{"kind": k, "verified": v} for k in kinds
                     for v in ((False,) if k == "none" else (True, False))]
        for (kind, agency), action in itertools.product(self.principals(where), actions):
            onward = self.onward if action in self.onward_actions else [[]]
            channels = where.get("channels") or (
                self.channels if action in self.channel_actions else [None])
            uses: list[str | None] = (self.reduce(sorted(voc.PROPERTY_USES))  # type: ignore[assignment]
                                      if action == "use-property" else [None])
            notices: list[bool | None] = [None, True] if action == "grant-access" else [None]
            attach: list[list[str]] = ([[], ["judicial-warrant"]] if action == "honor-detainer"
                                       else [[]])
            for resource in self.resources(action, where):
                for purpose, doc, recipients, use, notice, extra, channel in itertools.product(
                        purposes, documents, onward, uses, notices, attach, channels):
                    context: dict[str, Any] = {"purpose": purpose,
                                               "document": {**doc, "attachments": extra},
                                               "onward_recipients": recipients}
                    if channel:
                        context["channel"] = channel
                    if use:
                        context["use"] = use
                    if notice is not None:
                        context["truth_act_notice_given"] = notice
                    yield parse_request({"profile": profile, "date": day,
                                         "principal": {kind: agency.id}, "action": action,
                                         "resource": resource, "context": context,
                                         "extra_packs": list(extra_packs)})


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
