"""Count log entries: the raw numbers behind the transparency tables (never published as is).

:func:`tally` reads each entry's bytes (canonical JSON, ``docs/log-format.md``) and counts:

- ``decision``: by month of its ``time`` x agency family of the principal x action x outcome;
  a ``deny`` also once under each distinct clause (``citation``) that decided it;
- ``query``: by family x dataset x status (``released`` / ``refused`` / ``rejected``: before
  the rules were asked; its dataset may be ``(unknown)``); ``query-complete``,
  ``query-error`` and ``query-aborted`` add their ``rows`` to the released rows of the query
  they name;
- ``key-issue``, ``key-use``, ``key-revoke``: by month x family x kind;
- ``review``: by month of its ``time`` x family of the request it answers (the ``decision``
  or refused ``query`` entry it names; ``other`` when it names none) x its outcome;
- ``exception``: kept whole, by index (each is listed, not counted: ``report/exceptions.py``),
  and ``exception-approval`` noted on the exception it names.

The newest ``time`` of any entry is kept (``latest``): the time an exception's expiry is
judged at, so that the same entries always give the same list.

An entry that says ``hypothetical`` (or, for a decision, asks with ``extra_packs``: a what-if)
is skipped and counted as such; it should never be in the log. An entry of another kind the
log defines (``audit.entries.KINDS``) is not part of these tables and is counted by kind in
``other``; one of a kind or version this code does not know (a newer log) is counted by kind in
``unknown``, never guessed at. A malformed entry is an :class:`InputError` naming its index.

>>> from sanctuarygate.domain.agency import Directory
>>> fam = Families(Directory.from_mapping({"agencies": [{"id": "FBI", "level": "federal"}]}))
>>> t = tally([b'{"agency":"FBI","key_id":"0a1b2c3d","kind":"key-issue",'
...            b'"time":"2025-03-01T10:00:00Z","v":1}'], fam)
>>> dict(t.keys)
{('2025-03', 'FBI', 'key-issue'): 1}
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sanctuarygate.audit.entries import KINDS
from sanctuarygate.domain.vocabulary import OUTCOMES
from sanctuarygate.errors import InputError
from sanctuarygate.report.entry import parse_entry
from sanctuarygate.report.family import OTHER, Families

__all__ = ["DECIDED", "KEY_KINDS", "NO_CLAUSE", "QUERY_STATUSES", "Tally", "tally"]

KEY_KINDS = ("key-issue", "key-use", "key-revoke")
QUERY_STATUSES = ("released", "refused", "rejected")
#: The clause row of a refusal whose entry names no deciding rule (a fail-closed deny).
NO_CLAUSE = "(no clause cited: refused because nothing allowed it)"
#: The versions of each kind this code reads.
READS = {"decision": 1, "query": 1, "query-complete": 1, "query-error": 1, "query-aborted": 1,
         "key-issue": 1, "key-use": 1, "key-revoke": 1, "review": 1, "exception": 1,
         "exception-approval": 1}
#: The outcomes a reviewer (or an exception) can give.
DECIDED = ("allow", "allow-with-conditions", "deny")
_TIME = re.compile(r"^(\d{4}-\d{2})-\d{2}T")


@dataclass(slots=True)
class Tally:
    """Raw counts from the log (small ones included: suppress before publishing)."""

    entries: int = 0
    decisions: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    refusals: Counter[tuple[str, str]] = field(default_factory=Counter)
    queries: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    rows: Counter[tuple[str, str]] = field(default_factory=Counter)
    keys: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    #: Reviews decided: (month, family, outcome).
    reviewed: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    #: The exception entries, by index, as parsed (approvals add ``"approved"``: the index
    #: of the approval entry).
    exceptions: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: The citations the log's decisions give (an exception's clause among them is a rule's).
    citations: set[str] = field(default_factory=set)
    #: The newest ``time`` of the entries counted.
    latest: dt.datetime | None = None
    hypothetical: int = 0
    other: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    months: set[str] = field(default_factory=set)
    #: The released queries so far (entry index: family, dataset), for the rows their
    #: completions add: what a tally continued with later entries needs.
    released: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: The family of each request a reviewer may answer (a decision sent to review, a refused
    #: query), by entry index, for the reviews that follow.
    reviewable: dict[int, str] = field(default_factory=dict)


def tally(entries: Iterable[bytes], families: Families, *, into: Tally | None = None) -> Tally:
    """Count every entry (see the module docstring).

    ``into``: a tally of the log's first ``into.entries`` entries, to continue with the ones
    after them (``entries`` starts at that index); it is updated in place and returned. The
    result is the tally of all of them, as if counted at once.
    """
    out = into if into is not None else Tally()
    queries = out.released
    for index, raw in enumerate(entries, start=out.entries):
        out.entries += 1
        entry = parse_entry(index, raw)
        kind, version = entry.get("kind"), entry.get("v")
        if isinstance(kind, str) and kind not in READS and kind in KINDS \
                and version == KINDS[kind].VERSION:
            out.other[kind] += 1
            continue
        if not isinstance(kind, str) or READS.get(kind) != version:
            out.unknown[f"{kind} v{version}"] += 1
            continue
        if entry.get("hypothetical") is True:
            out.hypothetical += 1
            continue
        try:
            _count(out, index, kind, entry, families, queries)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"log entry {index} ({kind}): malformed ({exc!r})") from None
    return out


def _count(out: Tally, index: int, kind: str, entry: Mapping[str, Any], families: Families,
           queries: dict[int, tuple[str, str]]) -> None:
    if kind == "decision":
        request = entry["request"]
        if request.get("extra_packs") or request.get("hypothetical") is True:
            out.hypothetical += 1
            return
        ((p_kind, p_id),) = request["principal"].items()
        family = families.of(_text(p_kind), _text(p_id))
        outcome = _text(entry["outcome"])
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        month = _month(entry["time"], out)
        out.decisions[(month, family, _text(request["action"]), outcome)] += 1
        out.citations.update(_text(rule["citation"]) for rule in entry["rules"])
        if outcome == "review":
            out.reviewable[index] = family
        if outcome == "deny":
            clauses = {_text(rule["citation"]) for rule in entry["rules"]} or {NO_CLAUSE}
            for clause in clauses:
                out.refusals[(clause, family)] += 1
    elif kind == "query":
        family = families.of("agency", _text(entry["agency"]))
        dataset, status = _text(entry["dataset"]), _text(entry["status"])
        if status not in QUERY_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        _month(entry["time"], out)
        out.queries[(family, dataset, status)] += 1
        if status == "released":
            queries[index] = (family, dataset)
        elif status == "refused":
            out.reviewable[index] = family
    elif kind in ("query-complete", "query-error", "query-aborted"):
        query, rows = entry["query"], entry["rows"]
        if type(rows) is not int or rows < 0 or query not in queries:
            raise ValueError(f"rows {rows!r} of query {query!r}: not a released query before it")
        out.rows[queries[query]] += rows
    elif kind == "review":
        month, outcome = _month(entry["time"], out), _text(entry["outcome"])
        if outcome not in DECIDED:
            raise ValueError(f"unknown outcome {outcome!r}")
        answers = entry["decision"]
        family = OTHER if answers is None else out.reviewable.get(_index(answers), OTHER)
        out.reviewed[(month, family, outcome)] += 1
    elif kind == "exception":
        _month(entry["time"], out)
        _month(entry["expires"], out, note=False)
        _index(entry["case"]), _text(entry["clause"]), _text(entry["actor"])
        if _text(entry["outcome"]) not in DECIDED or _text(entry["rules_outcome"]) not in \
                OUTCOMES or type(entry["needs_second"]) is not bool:
            raise ValueError("not an exception's outcomes or needs_second")
        out.exceptions[index] = dict(entry)
    elif kind == "exception-approval":
        _month(entry["time"], out)
        granted = out.exceptions.get(_index(entry["exception"]))
        if granted is None or "approved" in granted:
            raise ValueError(f"approves {entry['exception']!r}: not an exception before it "
                             "that was not approved already")
        granted["approved"] = index
    else:  # a key event
        month = _month(entry["time"], out)
        out.keys[(month, families.of("agency", _text(entry["agency"])), kind)] += 1


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected text, got {value!r}")
    return value


def _index(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise TypeError(f"expected an entry index, got {value!r}")
    return value


def _month(value: Any, out: Tally, *, note: bool = True) -> str:
    """The entry's month (``YYYY-MM``), noted in the tally's months and its latest time
    (unless ``note`` is false: a time that is not the entry's own, like an expiry)."""
    found = _TIME.match(_text(value))
    if found is None:
        raise ValueError(f"time {value!r} is not ISO 8601")
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"time {value!r} is not ISO 8601") from None
    if when.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone")
    if note:
        out.months.add(found[1])
        if out.latest is None or when > out.latest:
            out.latest = when
    return found[1]
