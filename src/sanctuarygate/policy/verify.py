"""Invariants, checked by deciding every request of a profile's reduced request space, on
every day.

:mod:`sanctuarygate.policy.space` builds the space and explains why its reductions lose no
case. Every request is decided by :meth:`Decider.decide_many`, the batch twin of the one door:
the same decisions as :meth:`Decider.decide`.

Every day, soundly: an outcome depends on the day only through the packs in force (decide()
hands Cedar no date), and an invariant is about a day only through its ``from``/``until``. Both
change only at a pack's ``effective_from``/``effective_until`` (settings dates already
resolved) or an invariant's ``from``/``until``. Between two consecutive such boundaries, and
before the first, every day has the same packs and the same invariants, so one day stands for
its interval (today for today's interval, else its first day). An interval whose packs in force
and invariants are those of a day already checked is not checked again.

:func:`verify_profiles` is the whole of ``policy verify`` (the CLI parses its arguments, calls
it and prints): the days to check, the checks shared between them, run in this process or in
worker processes, and one :class:`DayReport` per profile and day.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.decision import Decision, Outcome
from sanctuarygate.domain.request import Request
from sanctuarygate.errors import PolicyLoadError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.space import WHERE_KEYS, RequestSpace

#: Requests decided in one :meth:`Decider.decide_many` batch.
BATCH = 10_000


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
            _check_where(raw.get("where") or {})
            out.append(Invariant(
                id=raw["id"], statement=raw["statement"], never=never,
                where=raw.get("where") or {},
                profiles=tuple(raw["profiles"]) if raw.get("profiles") else None,
                start=raw.get("from"), until=raw.get("until")))
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyLoadError(f"bad invariant {raw!r}: {exc}", source=path.name) from exc
    return out


@dataclass(frozen=True, slots=True)
class Check:
    """One piece of work: the requests for one action of some invariants, under one set of
    rules that can apply to that action. Every (profile, day) with those rules in force for the
    action shares it; its requests are made for the first such (profile, day)."""

    action: str
    rules: frozenset[str]
    profile: str
    day: dt.date
    extra_packs: tuple[str, ...]
    invariants: tuple[Invariant, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """A check's answer for one invariant: the requests asked (up to the counterexample, if
    one was found), and the counterexample. A Request that crossed from a worker process
    keeps that process's hash: :func:`reports` rebuilds it (``replace``) before any use."""

    checked: int
    counterexample: Request | None = None


@dataclass(slots=True)
class Plan:
    """The checks that cover every invariant about some (profile, day) pairs, and which check
    answers for each (profile, day, invariant, action)."""

    pairs: list[tuple[str, dt.date]]
    extra_packs: tuple[str, ...]
    invariants: list[Invariant]
    checks: list[Check] = field(default_factory=list)
    index: dict[tuple[str, dt.date, str, str], int] = field(default_factory=dict)


def plan_checks(lib: PolicyLibrary, invariants: Sequence[Invariant],
                pairs: Sequence[tuple[str, dt.date]], extra_packs: Sequence[str] = ()) -> Plan:
    """Split the work of checking ``invariants`` on every (profile, day) of ``pairs`` into
    checks, one per (action, rules in force that can apply to it).

    Sound: a rule whose scope does not hold the action never applies to its requests (Cedar
    does not evaluate its conditions), so the outcome of a request for the action depends on
    the day and the profile only through those rules, and so does the reduced space
    (:class:`~sanctuarygate.policy.space.RequestSpace` reduces by them alone).
    """
    extra = tuple(extra_packs)
    plan = Plan(list(pairs), extra, list(invariants))
    keys: dict[tuple[str, frozenset[str]], int] = {}
    members: list[list[Invariant]] = []
    for profile, day in plan.pairs:
        space = RequestSpace(lib, lib.packs_for(profile, day, extra))  # unknown ids: an error
        for inv in invariants:
            if not inv.applies(profile, day):
                continue
            for action in _actions(inv):
                rules = frozenset(r.ref.id for r in space.rules_for(action))
                at = keys.setdefault((action, rules), len(plan.checks))
                if at == len(plan.checks):
                    plan.checks.append(Check(action, rules, profile, day, extra, ()))
                    members.append([])
                if inv not in members[at]:
                    members[at].append(inv)
                plan.index[(profile, day, inv.id, action)] = at
    plan.checks = [replace(c, invariants=tuple(m)) for c, m in zip(plan.checks, members,
                                                                    strict=True)]
    return plan


def run_check(decider: Decider, check: Check) -> dict[str, Finding]:
    """Decide the check's requests, in batches; each invariant stops at its first
    counterexample, and a request asked for several invariants is decided once."""
    lib = decider.library
    space = RequestSpace(lib, lib.packs_for(check.profile, check.day, check.extra_packs))
    outcomes: dict[Request, Outcome] = {}
    found: dict[str, Finding] = {}
    for inv in check.invariants:
        where = {**inv.where, "actions": [check.action]}
        requests = space.requests(where, check.profile, check.day, check.extra_packs, inv.never)
        checked = 0
        counterexample: Request | None = None
        for batch in batches(requests, BATCH):
            new = [r for r in dict.fromkeys(batch) if r not in outcomes]
            outcomes.update(zip(new, (d.outcome for d in decider.decide_many(new)), strict=True))
            for request in batch:
                checked += 1
                if outcomes[request] in inv.never:
                    counterexample = request
                    break
            if counterexample is not None:
                break
        found[inv.id] = Finding(checked, counterexample)
    return found


def reports(decider: Decider, plan: Plan,
            findings: Sequence[Mapping[str, Finding]]) -> list[VerifyReport]:
    """One report per (profile, day) of the plan, from the findings of its checks (in the
    plan's order). A counterexample is decided again for the (profile, day) it is reported for.
    """
    out = []
    for profile, day in plan.pairs:
        report = VerifyReport(profile, day)
        for inv in plan.invariants:
            res = InvariantResult(inv)
            report.results.append(res)
            if not inv.applies(profile, day):
                res.skipped = True
                continue
            for action in _actions(inv):
                finding = findings[plan.index[(profile, day, inv.id, action)]][inv.id]
                res.checked += finding.checked
                if finding.counterexample is not None:
                    request = replace(finding.counterexample, profile=profile, date=day)
                    res.counterexample = (request, decider.decide(request))
                    break
        out.append(report)
    return out


def _check_where(where: Mapping[str, Any]) -> None:
    """A ``where`` the space does not understand would be checked over the wrong requests:
    an unknown key, or a word outside the vocabulary, is an error."""
    unknown = sorted(set(where) - WHERE_KEYS)
    if unknown:
        raise ValueError(f"where: unknown key(s) {unknown} (known: {sorted(WHERE_KEYS)})")
    for key, vocabulary in (("actions", voc.ACTIONS), ("purposes", voc.PURPOSES),
                            ("documents", voc.DOCUMENT_KINDS), ("channels", voc.CHANNELS)):
        bad = sorted(set(where.get(key) or ()) - vocabulary)
        if bad:
            raise ValueError(f"where.{key}: {bad} not in the vocabulary")
    if where.get("principal_kind") not in (None, "agency", "employee"):
        raise ValueError("where.principal_kind must be agency or employee")
    if where.get("document_verified") not in (None, True, False):
        raise ValueError("where.document_verified must be true or false")


def verify(decider: Decider, invariants: Sequence[Invariant], profile: str,
           day: dt.date, extra_packs: Sequence[str] = ()) -> VerifyReport:
    """Check every invariant that is about ``profile`` on ``day``; stop each at its first
    counterexample. ``extra_packs`` are packs adopted on top of the profile (a city's gateway
    packs): every request is decided with them, as the gateway decides.

    >>> from sanctuarygate.policy.default import default_decider
    >>> inv = Invariant("x", "No 287(g) agreement.", frozenset({"allow"}),
    ...                 {"actions": ["enter-agreement"], "resource": {"kind": "287g"}})
    >>> verify(default_decider(), [inv], "illinois", dt.date(2025, 1, 1)).ok
    True
    """
    plan = plan_checks(decider.library, invariants, [(profile, day)], extra_packs)
    return reports(decider, plan, [run_check(decider, c) for c in plan.checks])[0]


def _actions(inv: Invariant) -> list[str]:
    return list(inv.where.get("actions") or sorted(voc.ACTIONS))


@dataclass(frozen=True, slots=True)
class Interval:
    """Days from ``start`` (None: the beginning of time) until ``until`` (exclusive; None: no
    end)."""

    start: dt.date | None
    until: dt.date | None

    def __contains__(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.until is None
                                                              or day < self.until)

    def __str__(self) -> str:
        return f"{self.start or ''}..{self.until or ''}"


@dataclass(frozen=True, slots=True)
class CheckedDay:
    """A day checked for a profile, and every interval it stands for (see the module
    docstring); ``invariants`` is empty when no invariant is about those days."""

    day: dt.date
    intervals: tuple[Interval, ...]
    packs: tuple[str, ...]
    invariants: tuple[str, ...]


def checked_days(lib: PolicyLibrary, invariants: Sequence[Invariant], profile: str,
                 today: dt.date, extra_packs: Sequence[str] = ()) -> list[CheckedDay]:
    """The days that stand for every day, for ``profile``: one per distinct (packs in force,
    invariants about the day), in date order; those with no invariant come too, to be said.

    >>> from sanctuarygate.policy.default import default_library
    >>> inv = Invariant("x", "s", frozenset({"allow"}), {}, start=dt.date(2019, 6, 21))
    >>> days = checked_days(default_library(), [inv], "new-york-city", dt.date(2026, 12, 2))
    >>> [(str(d.day), [str(i) for i in d.intervals], d.invariants) for d in days]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('2014-11-13', ['..2014-11-14', '2014-11-14..2019-06-21'], ()),
     ('2026-12-02', ['2019-06-21..'], ('x',))]
    """
    extra = tuple(extra_packs)
    packs = [lib.packs[p] for p in lib.profile(profile).packs]
    about = [inv for inv in invariants if inv.profiles is None or profile in inv.profiles]
    bounds = sorted({d for p in packs for d in (p.effective_from, p.effective_until) if d}
                    | {d for inv in about for d in (inv.start, inv.until) if d})
    starts: list[dt.date | None] = [None, *bounds]
    intervals = [Interval(a, b) for a, b in zip(starts, [*bounds, None], strict=True)]
    found: dict[tuple[tuple[str, ...], tuple[str, ...]], CheckedDay] = {}
    for interval in intervals:
        if today in interval:
            day = today
        else:
            day = interval.start or (interval.until or today) - dt.timedelta(days=1)
        applying = tuple(inv.id for inv in about if inv.applies(profile, day))
        # Days with nothing to check go together, whatever their packs.
        key = (tuple(p.id for p in lib.packs_for(profile, day, extra)) if applying else (),
               applying)
        seen = found.get(key)
        found[key] = (CheckedDay(day, (interval,), *key) if seen is None else
                      CheckedDay(seen.day, (*seen.intervals, interval), *key))
    return sorted(found.values(), key=lambda d: d.day)


@dataclass(frozen=True, slots=True)
class DayReport:
    """What ``policy verify`` says for one profile and one checked day: the day, the intervals
    it stands for, and the report of its invariants (None when no invariant is about them)."""

    profile: str
    label: str
    checked: CheckedDay
    report: VerifyReport | None

    @property
    def ok(self) -> bool:
        return self.report is None or self.report.ok


#: Told after each (profile, invariant, action) is decided: the profile, the invariant, and
#: how many of the profile's (day, invariant, action) units are done out of how many.
Progress = Callable[[str, str, int, int], None]


def verify_profiles(lib: PolicyLibrary, invariants: Sequence[Invariant],
                    profiles: Sequence[str], *, today: dt.date, day: dt.date | None = None,
                    extra_packs: Sequence[str] = (), jobs: int = 1,
                    load: Callable[[], PolicyLibrary] | None = None,
                    progress: Progress | None = None) -> list[DayReport]:
    """Check ``invariants`` for each profile (with ``extra_packs`` adopted on top of it) on
    ``day``, or on every day (:func:`checked_days`, ``today`` standing for its interval).

    The work is split into checks shared by every (profile, day) with the same rules for an
    action (:func:`plan_checks`). With ``jobs`` > 1 and ``load`` (how a worker process loads
    the same library: a module-level function), the checks run in that many processes, the
    largest first; else here, one after another. An unknown profile or pack raises before any
    work.

    >>> from sanctuarygate.policy.default import default_library
    >>> inv = Invariant("x", "No 287(g) agreement.", frozenset({"allow"}),
    ...                 {"actions": ["enter-agreement"], "resource": {"kind": "287g"}})
    >>> [(d.label, str(d.checked.day), d.ok) for d in verify_profiles(
    ...     default_library(), [inv], ["illinois"], today=dt.date(2026, 12, 2),
    ...     day=dt.date(2025, 1, 1), extra_packs=["ocad-proposed-eo-2019"])]
    [('illinois+ocad-proposed-eo-2019', '2025-01-01', True)]
    """
    extra = tuple(extra_packs)
    days: list[tuple[str, CheckedDay]] = []
    for name in profiles:
        lib.packs_for(name, today, extra)  # an unknown profile or pack: a clear error, no work
        if day is None:
            days += [(name, d) for d in checked_days(lib, invariants, name, today, extra)]
        else:
            days.append((name, CheckedDay(day, (), tuple(p.id for p in lib.packs_for(
                name, day, extra)), tuple(i.id for i in invariants if i.applies(name, day)))))
    plan = plan_checks(lib, invariants, [(n, d.day) for n, d in days if d.invariants], extra)
    findings = _run(lib, plan, jobs if load is not None else 1, load, _Tally(plan, progress))
    by_pair = iter(reports(Decider(lib, cache_size=0), plan, findings))
    return [DayReport(name, "+".join((name, *extra)), checked,
                      next(by_pair) if checked.invariants else None) for name, checked in days]


class _Tally:
    """Tells ``progress`` of each (profile, invariant) done, as the checks finish."""

    def __init__(self, plan: Plan, progress: Progress | None) -> None:
        self.progress = progress
        self.units: dict[int, list[tuple[str, str]]] = {}
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        for (profile, _day, inv, _action), at in plan.index.items():
            self.units.setdefault(at, []).append((profile, inv))
            self.totals[profile] = self.totals.get(profile, 0) + 1
        for profile, total in self.totals.items():  # every profile's bar from the start
            if progress is not None:
                progress(profile, "", 0, total)

    def finished(self, at: int) -> None:
        if self.progress is None:
            return
        for profile, inv in self.units.get(at, ()):
            self.done[profile] = self.done.get(profile, 0) + 1
            self.progress(profile, inv, self.done[profile], self.totals[profile])


def _run(lib: PolicyLibrary, plan: Plan, jobs: int, load: Callable[[], PolicyLibrary] | None,
         tally: _Tally) -> list[dict[str, Finding]]:
    """Every check's findings, in the plan's order."""
    checks = plan.checks
    jobs = min(jobs or os.cpu_count() or 1, len(checks) or 1)
    if jobs == 1 or load is None:
        decider = Decider(lib, cache_size=0)
        out = []
        for at, check in enumerate(checks):
            out.append(run_check(decider, check))
            tally.finished(at)
        return out
    found: dict[int, dict[str, Finding]] = {}
    spawn = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    with ProcessPoolExecutor(jobs, mp_context=spawn) as pool:
        # The largest first, so that no process is left alone with a long one at the end.
        sizes = _sizes(lib, checks)
        order = sorted(range(len(checks)), key=lambda i: -sizes[i])
        futures: dict[Future[dict[str, Finding]], int] = {
            pool.submit(_run_in_worker, load, checks[i]): i for i in order}
        for future in as_completed(futures):
            found[futures[future]] = future.result()
            tally.finished(futures[future])
    return [found[i] for i in range(len(checks))]


def _run_in_worker(load: Callable[[], PolicyLibrary], check: Check) -> dict[str, Finding]:
    """One check, in a worker process."""
    return run_check(Decider(load(), cache_size=0), check)


def _sizes(lib: PolicyLibrary, checks: Sequence[Check]) -> list[int]:
    """How many requests each check asks at most (to start the largest first)."""
    spaces: dict[tuple[str, dt.date], RequestSpace] = {}
    out = []
    for c in checks:
        space = spaces.get((c.profile, c.day))
        if space is None:
            space = spaces[(c.profile, c.day)] = RequestSpace(
                lib, lib.packs_for(c.profile, c.day, c.extra_packs))
        out.append(sum(space.count({**inv.where, "actions": [c.action]}, c.profile, c.day,
                                   c.extra_packs, inv.never) for inv in c.invariants))
    return out


def batches(items: Iterable[Request], size: int) -> Iterator[list[Request]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
