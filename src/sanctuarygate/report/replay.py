"""What-if replay: the logged decisions of a date range, decided again under changed rules.

:func:`replay` reads the decision log through the library, after verifying it (the latest
signed checkpoint must verify with the log's own keys, and the entries up to it must give its
root: a log that does not check out is a :class:`BundleError`, and nothing is replayed). Each
``decision`` entry whose request date is in the range (and profile is the one asked) is rebuilt
from its logged class (who asked for what, with which document and purpose: never a fact about
a person, which the log does not hold) and decided twice, in batches
(:meth:`Decider.decide_many`):

- **before**: under the packs in force on its day, as logged;
- **after**: under the changed set: ``add`` packs added (a proposal), ``remove`` packs repealed,
  and with ``as_of`` the packs in force on that day instead.

Requests that differ only in their date, on days with the same packs in force, are one class
and decided once (:func:`decide_classes`). Both sides are decided from the same rebuilt
request, so a move is the rule change's doing, not a fact the log leaves out; how many
*before* answers differ from the logged outcome (facts not logged, rules edited since) is
reported as ``differs_from_logged``. Nothing is written to the log. Entries recorded as a
what-if (``extra_packs``) are skipped and counted.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sanctuarygate.audit import merkle
from sanctuarygate.audit.bundle import BundleError
from sanctuarygate.audit.checkpoint import verify_checkpoint
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider

__all__ = ["Logged", "Replay", "logged_requests", "replay"]

#: Requests decided per engine batch.
BATCH = 5_000
#: Example requests kept per move (from outcome, to outcome).
EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Logged:
    """One logged decision to replay: its log index, logged outcome and rebuilt request."""

    index: int
    outcome: str
    request: Request
    asked: Mapping[str, Any]  # the logged class of the request, as logged (no personal data)


@dataclass(slots=True)
class Replay:
    """What would have changed. ``moved`` counts (before, after) outcome pairs that differ;
    ``by_agency_action`` the same by (agency, action, before, after); ``rules`` counts, for
    each rule, the moved requests it newly decides (``+ id``) or no longer decides (``- id``);
    ``examples`` holds a few logged request classes per move."""

    size: int = 0
    root_hash: str = ""
    origin: str = ""  # the log's name (its checkpoints' first line)
    replayed: int = 0
    skipped_what_if: int = 0
    differs_from_logged: int = 0
    unchanged: Counter[str] = field(default_factory=Counter)
    moved: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_agency_action: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``--json``)."""
        return {
            "log": {"origin": self.origin, "size": self.size, "root_hash": self.root_hash,
                    "verified": True},
            "replayed": self.replayed, "skipped_what_if": self.skipped_what_if,
            "differs_from_logged": self.differs_from_logged,
            "changed": sum(self.moved.values()),
            "unchanged": dict(sorted(self.unchanged.items())),
            "moved": [{"from": a, "to": b, "count": n} for (a, b), n in sorted(self.moved.items())],
            "by_agency_action": [{"agency": g, "action": act, "from": a, "to": b, "count": n}
                                 for (g, act, a, b), n in sorted(self.by_agency_action.items())],
            "rules": [{"rule": r[2:], "change": "added" if r[0] == "+" else "dropped",
                       "count": n} for r, n in sorted(self.rules.items())],
            "examples": [{"from": a, "to": b, "requests": reqs}
                         for (a, b), reqs in sorted(self.examples.items())],
        }


def verified_entries(log: DecisionLog) -> tuple[list[bytes], str]:
    """The log's entries up to its latest signed checkpoint (``DecisionLog.checkpoint``: one is
    signed for the current size when the log grew since; never an entry), once the checkpoint
    verifies with the log's keys and the entries give its root; and that root (base64).
    Raises :class:`BundleError` otherwise."""
    checkpoint = verify_checkpoint(log.checkpoint(), log.verifiers(), origin=log.origin)
    entries = [e.body.encode() for first in range(0, checkpoint.size, 10_000)
               for e in log.entries(first, min(first + 10_000, checkpoint.size))]
    tree = merkle.MemoryTree(entries)
    if tree.size != checkpoint.size or tree.root() != checkpoint.root_hash:
        raise BundleError(f"the log's entries do not give its signed checkpoint of "
                          f"{checkpoint.size} entries: refusing to replay it")
    return entries, base64.b64encode(checkpoint.root_hash).decode()


def logged_requests(entries: Sequence[bytes], *, profile: str, start: dt.date,
                    end: dt.date) -> tuple[list[Logged], int]:
    """The decision entries of ``profile`` whose request date is from ``start`` to ``end``
    (both included), rebuilt; and how many of them were what-ifs (skipped)."""
    out: list[Logged] = []
    what_if = 0
    # A class is read once: entries that differ only in their date share it.
    classes: dict[str, Request] = {}
    for index, body in enumerate(entries):
        if b'"kind":"decision"' not in body:
            continue
        entry = json.loads(body)
        if entry.get("kind") != "decision" or entry.get("v") != 1:
            continue
        asked = entry["request"]
        if asked.get("profile") != profile:
            continue
        day = dt.date.fromisoformat(asked["date"])
        if not start <= day <= end:
            continue
        if asked.get("extra_packs") or entry.get("hypothetical"):
            what_if += 1
            continue
        key = json.dumps({k: v for k, v in asked.items() if k != "date"}, sort_keys=True)
        known = classes.get(key)
        if known is None:
            known = classes[key] = _rebuild(asked)
        request = Request(known.profile, day, known.principal, known.action, known.resource,
                          known.context, known.extra_packs)
        out.append(Logged(index, entry["outcome"], request, asked))
    return out, what_if


def _rebuild(asked: Mapping[str, Any]) -> Request:
    """The request of a logged class: the facts about a person are not logged, so not stated."""
    resource: dict[str, Any] = {"type": asked["resource_type"]}
    for name in ("id", "dataset", "kind", "owner"):
        if asked.get(f"resource_{name}") is not None:
            resource[name] = asked[f"resource_{name}"]
    return parse_request({
        "profile": asked["profile"], "date": asked["date"], "principal": dict(asked["principal"]),
        "action": asked["action"], "resource": resource,
        "context": {"purpose": asked["purpose"],
                    "document": {"kind": asked["document_kind"],
                                 "verified": asked["document_verified"]},
                    "onward_recipients": list(asked["onward_recipients"])}})


def replay(log: DecisionLog, decider: Decider, *, profile: str, start: dt.date, end: dt.date,
           add: Sequence[str] = (), remove: Sequence[str] = (), as_of: dt.date | None = None,
           batch: int = BATCH, max_days: int | None = None,
           max_decisions: int | None = None) -> Replay:
    """Replay the log's decisions of ``profile`` from ``start`` to ``end`` under the changed
    rules (see the module docstring). Raises :class:`InputError` for a bad range, an unknown
    profile or pack, or no change at all; :class:`BundleError` when the log does not verify.

    ``max_days`` and ``max_decisions`` bound the work (the staff page's settings): a range of
    more days, or one holding more logged decisions, is an :class:`InputError` asking for a
    shorter range, before any decision is made (never a report of part of the range)."""
    library = decider.library
    library.profile(profile)  # an unknown profile is an InputError
    if start > end:
        raise InputError(f"the first day {start} is after the last day {end}", field="--from")
    days = (end - start).days + 1
    if max_days is not None and days > max_days:
        raise InputError(f"{days} days from {start} to {end}: at most {max_days} days are "
                         f"replayed at once; choose a shorter range", field="--to")
    if not (add or remove or as_of):
        raise InputError("nothing to replay against: add a pack, take one out or choose another "
                         "day's law (--add-pack, --remove-pack, --as-of)")
    for pid in (*add, *remove):
        if pid not in library.packs:
            raise InputError(f"unknown pack {pid!r}", field="--add-pack" if pid in add
                             else "--remove-pack")
    entries, root = verified_entries(log)
    logged, what_if = logged_requests(entries, profile=profile, start=start, end=end)
    if max_decisions is not None and len(logged) > max_decisions:
        raise InputError(f"{len(logged)} logged decisions from {start} to {end}: at most "
                         f"{max_decisions} are replayed at once; choose a shorter range",
                         field="--to")
    after_decider = Decider(library, cache_size=0, without=frozenset(remove))
    out = Replay(size=len(entries), root_hash=root, origin=log.origin, skipped_what_if=what_if)
    before = decide_classes(decider, [item.request for item in logged], batch)
    after = decide_classes(after_decider,
                           [changed_request(item.request, add, as_of) for item in logged], batch)
    for item, old, new in zip(logged, before, after, strict=True):
        _count(out, item, old, new)
    return out


def decide_classes(decider: Decider, requests: Sequence[Request], batch: int) -> list[Decision]:
    """Decisions for ``requests``, in order, deciding each class once: requests that differ
    only in their date, on days with the same packs in force, get the same answer (Cedar is
    handed no date), so one of them is decided (``decide_many``, ``batch`` at a time) and its
    decision stands for all (its ``date`` field is the first one's; outcome and rules are what
    replay reads)."""
    packs: dict[tuple[str, dt.date, tuple[str, ...]], tuple[str, ...]] = {}
    slots: dict[tuple[Any, ...], int] = {}
    firsts: list[Request] = []
    where: list[int] = []
    for r in requests:
        day = (r.profile, r.date, r.extra_packs)
        ids = packs.get(day)
        if ids is None:
            ids = tuple(p.id for p in decider.library.packs_for(*day, decider.without))
            packs[day] = ids
        key = (ids, r.profile, r.principal, r.action, r.resource, r.context, r.extra_packs)
        slot = slots.setdefault(key, len(firsts))
        if slot == len(firsts):
            firsts.append(r)
        where.append(slot)
    decided: list[Decision] = []
    for first in range(0, len(firsts), batch):
        decided += decider.decide_many(firsts[first:first + batch])
    return [decided[slot] for slot in where]


def changed_request(request: Request, add: Sequence[str], as_of: dt.date | None) -> Request:
    """The request as the changed rules see it: ``add`` packs added, the day ``as_of``."""
    extra = tuple(dict.fromkeys((*request.extra_packs, *add)))
    return Request(request.profile, as_of or request.date, request.principal, request.action,
                   request.resource, request.context, extra)


def _count(out: Replay, item: Logged, old: Decision, new: Decision) -> None:
    out.replayed += 1
    if old.outcome != item.outcome:
        out.differs_from_logged += 1
    if old.outcome == new.outcome:
        out.unchanged[old.outcome] += 1
        return
    move = (old.outcome, new.outcome)
    out.moved[move] += 1
    out.by_agency_action[(item.request.principal.id, item.request.action, *move)] += 1
    before = {r.id for r in old.rules}
    now = {r.id for r in new.rules}
    for rid in now - before:
        out.rules[f"+ {rid}"] += 1
    for rid in before - now:
        out.rules[f"- {rid}"] += 1
    kept = out.examples.setdefault(move, [])
    if len(kept) < EXAMPLES:
        kept.append({"log_index": item.index, "request": dict(item.asked)})


def render_replay(result: Replay) -> str:
    """The report as plain text."""
    lines = [f"Replayed {result.replayed} logged decisions (log of {result.size} entries, "
             f"verified; nothing written).",
             f"Changed: {sum(result.moved.values())}; unchanged: {sum(result.unchanged.values())}"
             f"; what-ifs skipped: {result.skipped_what_if}; re-decided differently from the "
             f"logged outcome before any change: {result.differs_from_logged}."]
    if result.moved:
        lines += ["", "Moved between outcomes:"]
        lines += [f"  {a} -> {b}: {n}" for (a, b), n in sorted(result.moved.items())]
        lines += ["", "By agency and action:"]
        lines += [f"  {g} {act}: {a} -> {b}: {n}"
                  for (g, act, a, b), n in sorted(result.by_agency_action.items())]
        lines += ["", "Rules responsible (+ newly decides, - no longer decides):"]
        lines += [f"  {r}: {n}" for r, n in sorted(result.rules.items())]
        lines += ["", "Examples (logged request classes, no personal data):"]
        for (a, b), reqs in sorted(result.examples.items()):
            for ex in reqs:
                lines.append(f"  {a} -> {b}: entry {ex['log_index']}: "
                             + json.dumps(ex["request"], sort_keys=True))
    return "\n".join(lines) + "\n"
