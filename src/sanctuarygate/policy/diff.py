"""The semantic difference between two policy sets of a profile, over its whole request space.

A side is a profile on a day, with packs adopted on top of it (a what-if). :func:`diff` finds
every request of the reduced space (:mod:`sanctuarygate.policy.space`, built from the rules of
*both* sides) whose outcome changes, grouped by action, agency family (the agency's top
ancestor in the directory), and outcome before -> after, each group with the rules that decided
on each side, how many requests of the space it holds, and one example request.
:func:`diff_by_enumeration` decides every request of that space on both sides, one by one; it
is the reference :func:`diff` is tested against. :func:`diff` gives the same report without
deciding each request, by this argument:

1. *Per action.* An action whose rules in force are the same on both sides has the same outcome
   for each of its requests on both sides (see :func:`~sanctuarygate.policy.verify.plan_checks`):
   it is skipped.
2. *An outcome is a function of the satisfied rules.* Every request of the space states no fact
   as ``unknown`` (the space asks ``unknown`` only for invariants that forbid ``review``; an
   action whose purposes include ``unknown`` is decided by enumeration instead), so decide()
   builds one Cedar request for it. Cedar's answer for a policy set is fixed by which of its
   policies are satisfied (a satisfied forbid: Deny, naming the satisfied forbids; else a
   satisfied permit: Allow, naming the satisfied permits; else Deny naming none), and decide()
   reads the outcome and the rules from that answer alone (the place's default, cited when no
   rule decides, is the profile's). So two requests that satisfy the same rules of a side have
   the same outcome and rules on it, and a request that satisfies the same rules on both sides
   (none of the rules only one side has) cannot change.
3. *Each rule is decided over its own space.* A rule is one policy; the reductions of the space
   apply to it alone: two values of a part of a request (principal, resource, purpose,
   document, onward recipients, channel, use, assistance, notice) in the same class of the
   rule's own view (:meth:`RequestSpace.classes`) are alike to it, whatever the other parts. So
   whether a request satisfies the rule depends only on its classes in the parts the rule tells
   apart, and one request per combination of those classes is asked (the other parts at their
   first value), against the rules of the same effect compiled together (so that the engine
   names every satisfied one: forbids apart from permits). An engine error raises, as
   decide() would. A rule whose conditions never name ``action`` (read from its own text, cut
   from its pack's and checked to parse as that rule) answers alike for every action its
   scope lists, since Cedar reads the action only there: its answers are kept by the class
   keys of every part, which depend on the value and the rule alone, and asked once.
4. *The space is then walked without the engine.* For each request of the product, the rules
   it satisfies on each side are read from those tables. Requests that satisfy the same rules
   on both sides are skipped (2); the others are grouped by (rules satisfied before, rules
   satisfied after), and one request per group is decided on each side by
   :meth:`Decider.decide_many`: every request of the group has its outcomes and rules (2).
   Counts, agencies and rules are summed per group; each change's example is its first request
   in the space's order, decided again on both sides.

So the report (changes, counts, agencies, rules, examples) is :func:`diff_by_enumeration`'s,
and the engine is asked about each rule's classes and each group, not each request (Chicago
across O2021-117, every action: 14,756 engine requests for 408,184 requests on each side).
``tests/policy/test_diff.py`` checks the two agree on several pairs of days and packs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.decision import Decision, Outcome
from sanctuarygate.domain.request import UNKNOWN, Request
from sanctuarygate.errors import PolicyEvaluationError, PolicyLoadError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.pack import Rule
from sanctuarygate.policy.space import NEVER_ALLOW, RequestSpace, View, make_request
from sanctuarygate.policy.verify import BATCH, batches


@dataclass(frozen=True, slots=True)
class Side:
    """A profile on a day, with packs adopted on top of it."""

    profile: str
    day: dt.date
    extra_packs: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return "+".join((f"{self.profile}@{self.day}", *self.extra_packs))

    def packs(self, lib: PolicyLibrary) -> tuple[str, ...]:
        return tuple(p.id for p in lib.packs_for(self.profile, self.day, self.extra_packs))


@dataclass(slots=True)
class Change:
    """A class of requests whose outcome changes the same way: how many requests of the space,
    which agencies asked, the rules that decided on each side, and one example."""

    action: str
    family: str
    before: Outcome
    after: Outcome
    count: int = 0
    agencies: set[str] = field(default_factory=set)
    rules_before: set[str] = field(default_factory=set)
    rules_after: set[str] = field(default_factory=set)
    example: tuple[Request, Decision, Decision] | None = None

    def to_dict(self) -> dict[str, Any]:
        assert self.example is not None
        request, a, b = self.example
        return {"action": self.action, "family": self.family, "before": self.before,
                "after": self.after, "requests": self.count, "agencies": sorted(self.agencies),
                "rules_before": sorted(self.rules_before), "rules_after": sorted(self.rules_after),
                "example": {"request": request.to_dict(),
                            "before": {"outcome": a.outcome, "rules": [r.id for r in a.rules]},
                            "after": {"outcome": b.outcome, "rules": [r.id for r in b.rules]}}}


@dataclass(slots=True)
class DiffReport:
    """What ``policy diff`` says: both sides, the packs of each, how many requests were
    decided on each side, and the changes (empty: the two sides answer alike)."""

    before: Side
    after: Side
    packs_before: tuple[str, ...]
    packs_after: tuple[str, ...]
    decided: int = 0
    #: Engine requests made (each side's decisions, and the rules' own tables).
    evaluated: int = 0
    changes: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"before": {"side": self.before.label, "packs": list(self.packs_before)},
                "after": {"side": self.after.label, "packs": list(self.packs_after)},
                "decided": self.decided, "evaluated": self.evaluated,
                "changes": [c.to_dict() for c in self.changes]}


def diff(decider: Decider, before: Side, after: Side,
         actions: Sequence[str] | None = None) -> DiffReport:
    """Every class of request of ``before.profile`` whose outcome differs between the sides
    (for ``actions`` only, if given), found as the module docstring explains. An unknown
    profile or pack raises InputError before any work.

    >>> from sanctuarygate.policy.default import default_decider
    >>> day = dt.date(2025, 1, 1)
    >>> diff(default_decider(), Side("illinois", day), Side("illinois", day)).changes
    []
    """
    lib = decider.library
    report, both, ids_a, ids_b = _start(lib, before, after)
    groups: dict[tuple[str, str, str, str], Change] = {}
    examples: dict[tuple[str, str, str, str], tuple[int, ...]] = {}
    key: tuple[str, str, str, str]
    texts = _RuleTexts(lib)
    known: dict[tuple[Any, ...], bool] = {}
    for action in sorted(actions or voc.ACTIONS):
        rules = both.rules_for(action)
        if {r.ref.id for r in rules if r.ref.id in ids_a} == {
                r.ref.id for r in rules if r.ref.id in ids_b}:
            continue
        dims = both.dimensions(action, before.profile, before.day, before.extra_packs)
        if UNKNOWN in dims[2]:  # one request may be several Cedar requests: enumerate
            _enumerate(decider, report, both, groups, action)
            continue
        tests = _tests(decider, both, texts, before, action, dims, rules, ids_a, ids_b, report,
                       known)
        found = _walk(tests, [len(d) for d in dims])
        report.decided += math.prod(len(d) for d in dims)
        firsts: dict[tuple[int, int], tuple[int, ...]] = {}
        for (mask_a, mask_b, _), (_, index) in found.items():
            firsts.setdefault((mask_a, mask_b), index)
        requests = [make_request(before.profile, before.day, action,
                                 [d[i] for d, i in zip(dims, index, strict=True)],
                                 before.extra_packs) for index in firsts.values()]
        decided = _both_sides(decider, after, requests)
        report.evaluated += 2 * len(requests)
        outcome = dict(zip(firsts, decided, strict=True))
        for (mask_a, mask_b, principal), (count, index) in found.items():
            a, b = outcome[(mask_a, mask_b)]
            if a.outcome == b.outcome:
                continue
            agency = dims[0][principal].id
            key = (action, _family(lib, agency), a.outcome, b.outcome)
            change = groups.get(key)
            if change is None:
                change = groups[key] = Change(action, key[1], a.outcome, b.outcome)
            change.count += count
            change.agencies.add(agency)
            change.rules_before.update(r.id for r in a.rules)
            change.rules_after.update(r.id for r in b.rules)
            if key not in examples or index < examples[key]:
                examples[key] = index
        keys = [k for k in examples if k[0] == action]
        shown = [make_request(before.profile, before.day, action,
                              [d[i] for d, i in zip(dims, examples[k], strict=True)],
                              before.extra_packs) for k in keys]
        report.evaluated += 2 * len(shown)
        for key, request, (a, b) in zip(keys, shown, _both_sides(decider, after, shown),
                                        strict=True):
            groups[key].example = (request, a, b)
    report.changes = sorted(groups.values(), key=lambda c: (c.action, c.family, c.before,
                                                            c.after))
    return report


def diff_by_enumeration(decider: Decider, before: Side, after: Side,
                        actions: Sequence[str] | None = None) -> DiffReport:
    """:func:`diff` by deciding every request of the space on both sides (slow: the reference
    it is checked against).

    >>> from sanctuarygate.policy.default import default_decider
    >>> day = dt.date(2025, 1, 1)
    >>> diff_by_enumeration(default_decider(), Side("illinois", day), Side("illinois", day),
    ...                     ["detain"]).changes
    []
    """
    report, both, ids_a, ids_b = _start(decider.library, before, after)
    groups: dict[tuple[str, str, str, str], Change] = {}
    for action in sorted(actions or voc.ACTIONS):
        rules = both.rules_for(action)
        if {r.ref.id for r in rules if r.ref.id in ids_a} != {
                r.ref.id for r in rules if r.ref.id in ids_b}:
            _enumerate(decider, report, both, groups, action)
    report.changes = sorted(groups.values(), key=lambda c: (c.action, c.family, c.before,
                                                            c.after))
    return report


def _start(lib: PolicyLibrary, before: Side, after: Side,
           ) -> tuple[DiffReport, RequestSpace, frozenset[str], frozenset[str]]:
    """The empty report, the space of both sides' rules, and each side's rule ids."""
    packs_a = lib.packs_for(before.profile, before.day, before.extra_packs)
    packs_b = lib.packs_for(after.profile, after.day, after.extra_packs)
    report = DiffReport(before, after, tuple(p.id for p in packs_a), tuple(p.id for p in packs_b))
    both = RequestSpace(lib, (*packs_a, *(p for p in packs_b if p not in packs_a)))
    return (report, both, frozenset(r.ref.id for p in packs_a for r in p.rules),
            frozenset(r.ref.id for p in packs_b for r in p.rules))


def _enumerate(decider: Decider, report: DiffReport, both: RequestSpace,
               groups: dict[tuple[str, str, str, str], Change], action: str) -> None:
    """Decide every request of the space for ``action`` on both sides; group the changes."""
    before, after = report.before, report.after
    requests = both.requests({"actions": [action]}, before.profile, before.day,
                             before.extra_packs, NEVER_ALLOW)
    for batch in batches(requests, BATCH):
        report.decided += len(batch)
        report.evaluated += 2 * len(batch)
        for request, (a, b) in zip(batch, _both_sides(decider, after, batch), strict=True):
            if a.outcome != b.outcome:
                _add(groups, decider.library, request, a, b)


def _both_sides(decider: Decider, after: Side,
                requests: Sequence[Request]) -> list[tuple[Decision, Decision]]:
    """Each request's decision as made (the first side) and on the other side, from one
    :meth:`Decider.decide_many` call (one engine batch per pack set)."""
    other = [replace(r, profile=after.profile, date=after.day, extra_packs=after.extra_packs)
             for r in requests]
    decided = decider.decide_many([*requests, *other])
    return list(zip(decided[:len(requests)], decided[len(requests):], strict=True))


@dataclass(slots=True)
class _Test:
    """Whether one rule is satisfied, over an action's space: the parts it tells apart, the
    class of each value of every part under its view, and its answer per combination of
    classes of those parts; its bit in each side's set of satisfied rules (0: not on it)."""

    bit_a: int
    bit_b: int
    parts: tuple[int, ...]
    classes: list[list[int]]
    table: dict[tuple[int, ...], bool] = field(default_factory=dict)


def _tests(decider: Decider, both: RequestSpace, texts: _RuleTexts, side: Side, action: str,
           dims: Sequence[Sequence[Any]], rules: Sequence[Rule], ids_a: frozenset[str],
           ids_b: frozenset[str], report: DiffReport,
           known: dict[tuple[Any, ...], bool]) -> list[_Test]:
    """Each rule's table (step 3 of the module docstring): one engine request per combination
    of the classes it tells apart, shared by the rules of the same effect. A rule whose
    conditions never name ``action`` answers alike for every action its scope lists (or for
    every action, when its scope names none): its answers are kept in ``known`` by the class
    keys of every part, for the next action."""
    tests: list[_Test] = []
    asked: dict[str, dict[tuple[int, ...], int]] = {"forbid": {}, "permit": {}}
    wanted: list[tuple[_Test, str, str, list[tuple[Any, ...]]]] = []
    for bit, rule in enumerate(rules):
        keys = both.keys(View.of([rule]), dims)
        classes = [_numbered(k) for k in keys]
        parts = tuple(p for p, c in enumerate(classes) if len(set(c)) > 1)
        test = _Test(1 << bit if rule.ref.id in ids_a else 0,
                     1 << bit if rule.ref.id in ids_b else 0, parts, classes)
        tests.append(test)
        # Alike for every action its scope names (or for all, with no action in its scope).
        scope = rule.read.actions
        shared = (scope is None or scope <= voc.ACTIONS) and not texts.reads_action(rule.ref.id)
        firsts: list[dict[int, int]] = [{} for _ in parts]  # class -> its first value
        for first, p in zip(firsts, parts, strict=True):
            for i, c in enumerate(classes[p]):
                first.setdefault(c, i)
        pairs = []
        for combo in itertools.product(*(f.items() for f in firsts)):
            spot = [0] * len(dims)
            for p, (_, i) in zip(parts, combo, strict=True):
                spot[p] = i
            memo = ((rule.ref.id, *(k[i] for k, i in zip(keys, spot, strict=True)))
                    if shared else None)
            pairs.append((tuple(c for c, _ in combo), tuple(spot), memo))
            if memo not in known:
                slots = asked[rule.ref.effect]
                slots.setdefault(tuple(spot), len(slots))
        wanted.append((test, rule.ref.effect, rule.ref.id, pairs))
    satisfied: dict[str, list[frozenset[str]]] = {}
    for effect, slots in asked.items():
        ids = [r.ref.id for r in rules if r.ref.effect == effect]
        if not ids or not slots:
            continue
        cedar = []
        for at in slots:
            request = make_request(side.profile, side.day, action,
                                   [d[i] for d, i in zip(dims, at, strict=True)],
                                   side.extra_packs)
            _, (one,) = decider.engine_requests(request)
            cedar.append(one)
        results = decider.library.engine.evaluate(texts.compiled(ids), cedar)
        report.evaluated += len(cedar)
        for result in results:
            if result.errors:
                raise PolicyEvaluationError("the policy engine could not evaluate the request",
                                            errors=result.errors)
        satisfied[effect] = [frozenset(r.reasons) for r in results]
    for test, effect, rule_id, pairs in wanted:
        for key, index, memo in pairs:
            if memo in known:
                test.table[key] = known[memo]
                continue
            test.table[key] = rule_id in satisfied[effect][asked[effect][index]]
            if memo is not None:
                known[memo] = test.table[key]
    return tests


def _numbered(keys: Sequence[Any]) -> list[int]:
    """Class keys as small numbers, in order of first appearance."""
    ids: dict[Any, int] = {}
    return [ids.setdefault(k, len(ids)) for k in keys]


def _walk(tests: Sequence[_Test], sizes: Sequence[int],
          ) -> dict[tuple[int, int, int], list[Any]]:
    """Step 4 of the module docstring: every request of the product of parts of ``sizes``
    that satisfies different rules on the two sides, grouped by (rules satisfied before,
    rules satisfied after, principal): how many, and the first (its index in each part).

    Parts are walked in order, outermost first; a rule is read at the last part it tells
    apart, and what the rules read there add for each value of that part is worked out once
    per combination of the classes they see in the earlier parts."""
    found: dict[tuple[int, int, int], list[Any]] = {}
    if not all(sizes):
        return found
    start_a = start_b = 0
    for t in tests:
        if not t.parts and t.table[()]:
            start_a, start_b = start_a | t.bit_a, start_b | t.bit_b
    active = [d for d, n in enumerate(sizes) if n > 1]  # a part of one value is at index 0
    levels = []
    for d in active:
        here = [t for t in tests if t.parts and t.parts[-1] == d]
        # Each earlier part these rules read, by the classes they see in it together.
        earlier = [(p, _numbered([tuple(t.classes[p][i] for t in here if p in t.parts)
                                  for i in range(sizes[p])]))
                   for p in sorted({p for t in here for p in t.parts if p != d})]
        levels.append((d, here, earlier))
    memos: list[dict[tuple[int, ...], tuple[list[int], list[int]]]] = [{} for _ in active]
    index = [0] * len(sizes)

    def adds(level: int) -> tuple[list[int], list[int]]:
        """The bits each value of this level's part adds on each side, given the earlier
        parts (set in ``index``)."""
        d, here, earlier = levels[level]
        key = tuple([joint[index[p]] for p, joint in earlier])
        got = memos[level].get(key)
        if got is None:
            adds_a, adds_b = [], []
            for i in range(sizes[d]):
                index[d] = i
                a = b = 0
                for t in here:
                    if t.table[tuple([t.classes[p][index[p]] for p in t.parts])]:
                        a, b = a | t.bit_a, b | t.bit_b
                adds_a.append(a)
                adds_b.append(b)
            got = memos[level][key] = (adds_a, adds_b)
        return got

    def walk(level: int, mask_a: int, mask_b: int) -> None:
        d = active[level]
        adds_a, adds_b = adds(level)
        if level + 1 < len(active):
            for i in range(sizes[d]):
                index[d] = i
                walk(level + 1, mask_a | adds_a[i], mask_b | adds_b[i])
            return
        for i in range(sizes[d]):
            a, b = mask_a | adds_a[i], mask_b | adds_b[i]
            if a != b:
                index[d] = i
                entry = found.get((a, b, index[0]))
                if entry is None:
                    found[(a, b, index[0])] = [1, tuple(index)]
                else:
                    entry[0] += 1

    if active:
        walk(0, start_a, start_b)
    elif start_a != start_b:  # a space of one request
        found[(start_a, start_b, 0)] = [1, tuple(index)]
    return found


class _RuleTexts:
    """Each rule's own Cedar text, cut from its pack's text (and checked: each piece parses
    as exactly that rule), and engine handles for sets of rules, compiled once."""

    def __init__(self, lib: PolicyLibrary) -> None:
        self.lib = lib
        self.texts: dict[str, str] = {}
        self.handles: dict[tuple[str, ...], object] = {}

    def compiled(self, ids: Sequence[str]) -> object:
        key = tuple(sorted(ids))
        handle = self.handles.get(key)
        if handle is None:
            handle = self.handles[key] = self.lib.engine.compile(
                "\n".join(self.text(i) for i in key))
        return handle

    def reads_action(self, rule_id: str) -> bool:
        """Whether the rule's conditions (after its scope) may name ``action``: the word
        outside strings and comments, or a text not shaped as expected (then: yes)."""
        bare = _LEXEME.sub(lambda m: '""' if m[0].startswith('"') else "", self.text(rule_id))
        found = _SCOPE.search(bare)
        return found is None or _ACTION.search(bare, found.end()) is not None

    def text(self, rule_id: str) -> str:
        if rule_id not in self.texts:
            pack = self.lib.packs[self.lib.rules[rule_id].ref.pack]
            pieces = _policies(pack.text)
            ids = [r.ref.id for r in pack.rules]
            for piece, want in zip(pieces, ids, strict=False):
                parsed = self.lib.engine.parse(piece, source=pack.id)
                if len(parsed) != 1 or parsed[0].annotations.get("id") != want:
                    raise PolicyLoadError(f"cannot cut out rule {want}", source=pack.id)
                self.texts[want] = piece
            if len(pieces) != len(ids):
                raise PolicyLoadError("cannot cut the pack into its rules", source=pack.id)
        return self.texts[rule_id]


#: A string literal (kept as ``""``) or a comment (dropped), whichever starts first.
_LEXEME = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*', re.DOTALL)
#: A policy's effect and scope: Cedar's scope holds no parentheses of its own.
_SCOPE = re.compile(r"\b(?:permit|forbid)\s*\([^()]*\)")
_ACTION = re.compile(r"\baction\b")


def _policies(text: str) -> list[str]:
    r"""Cedar policy text cut after each ``;`` outside strings and ``//`` comments.

    >>> _policies('// a; b\n@id("x;") permit(principal, action, resource);\n\n')
    ['// a; b\n@id("x;") permit(principal, action, resource);']
    """
    out, start, i, n = [], 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif ch == ";":
            out.append(text[start:i + 1].strip())
            start = i + 1
        i += 1
    return out


def _add(groups: dict[tuple[str, str, str, str], Change], lib: PolicyLibrary,
         request: Request, a: Decision, b: Decision) -> None:
    agency = request.principal.id
    family = _family(lib, agency)
    key = (request.action, family, a.outcome, b.outcome)
    change = groups.get(key)
    if change is None:
        change = groups[key] = Change(request.action, family, a.outcome, b.outcome,
                                      example=(request, a, b))
    change.count += 1
    change.agencies.add(agency)
    change.rules_before.update(r.id for r in a.rules)
    change.rules_after.update(r.id for r in b.rules)


def _family(lib: PolicyLibrary, agency: str) -> str:
    """An agency's top ancestor in the directory (DHS for ICE-ERO), or itself."""
    if agency not in lib.directory:
        return agency
    found = lib.directory.get(agency)
    return found.ancestors[0] if found.ancestors else found.id


def sides(profile: str, day: dt.date, vs_day: dt.date | None,
          extra_packs: Sequence[str]) -> tuple[Side, Side]:
    """The two sides the CLI compares: ``profile`` on ``day``, against ``vs_day`` (default:
    the same day) with ``extra_packs`` adopted."""
    return Side(profile, day), Side(profile, vs_day or day, tuple(extra_packs))
