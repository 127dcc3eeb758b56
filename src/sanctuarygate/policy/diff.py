"""The semantic difference between two policy sets of a profile, over its whole request space.

A side is a profile on a day, with packs adopted on top of it (a what-if). :func:`diff` decides
every request of the reduced space (:mod:`sanctuarygate.policy.space`) on both sides and keeps
those whose outcome changes, grouped by action, agency family (the agency's top ancestor in the
directory), and outcome before -> after, each group with the rules that decided on each side and
one example request.

Exhaustive, soundly: the space is built from the rules of *both* sides (two requests that no
rule of either side can tell apart have the same outcome on each side). Facts stated
``unknown`` are not asked: such a request is decided as the common outcome of its branches
(each a request stating a value), else ``review``, so its outcome can change only if some
branch's does, and that branch is asked. An action whose rules in
force are the same on both sides has the same outcome for each of its requests on both sides
(see :func:`~sanctuarygate.policy.verify.plan_checks`), so it is not decided. Requests are
decided in batches by :meth:`Decider.decide_many`, as ``policy verify`` decides them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.decision import Decision, Outcome
from sanctuarygate.domain.request import Request
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.space import NEVER_ALLOW, RequestSpace
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
    changes: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"before": {"side": self.before.label, "packs": list(self.packs_before)},
                "after": {"side": self.after.label, "packs": list(self.packs_after)},
                "decided": self.decided, "changes": [c.to_dict() for c in self.changes]}


def diff(decider: Decider, before: Side, after: Side,
         actions: Sequence[str] | None = None) -> DiffReport:
    """Every class of request of ``before.profile`` whose outcome differs between the sides
    (for ``actions`` only, if given). An unknown profile or pack raises InputError before any
    work.

    >>> from sanctuarygate.policy.default import default_decider
    >>> day = dt.date(2025, 1, 1)
    >>> diff(default_decider(), Side("illinois", day), Side("illinois", day)).changes
    []
    """
    lib = decider.library
    packs_a = lib.packs_for(before.profile, before.day, before.extra_packs)
    packs_b = lib.packs_for(after.profile, after.day, after.extra_packs)
    report = DiffReport(before, after, tuple(p.id for p in packs_a), tuple(p.id for p in packs_b))
    space_a, space_b = RequestSpace(lib, packs_a), RequestSpace(lib, packs_b)
    both = RequestSpace(lib, (*packs_a, *(p for p in packs_b if p not in packs_a)))
    groups: dict[tuple[str, str, str, str], Change] = {}
    for action in sorted(actions or voc.ACTIONS):
        if ({r.ref.id for r in space_a.rules_for(action)}
                == {r.ref.id for r in space_b.rules_for(action)}):
            continue
        requests = both.requests({"actions": [action]}, before.profile, before.day,
                                 before.extra_packs, NEVER_ALLOW)
        for batch in batches(requests, BATCH):
            other = [replace(r, profile=after.profile, date=after.day,
                             extra_packs=after.extra_packs) for r in batch]
            report.decided += len(batch)
            decided = decider.decide_many([*batch, *other])  # one engine batch per pack set
            for request, a, b in zip(batch, decided[:len(batch)], decided[len(batch):],
                                     strict=True):
                if a.outcome != b.outcome:
                    _add(groups, lib, request, a, b)
    report.changes = sorted(groups.values(), key=lambda c: (c.action, c.family, c.before,
                                                            c.after))
    return report


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
