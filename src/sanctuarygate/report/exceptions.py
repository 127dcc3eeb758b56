"""Exceptions granted (break-glass), each listed: what its log entry publishes, and its state.

Every ``exception`` entry of the counted log is one row, in log order, with the
``exception-approval`` entry that approved it (if any). Nothing is counted, so nothing is
suppressed: each row is an entry already public in the log, and it carries no fact about a
person (``docs/transparency.md``). Two of its fields are published only when they are what the
log format says they are, never free text that could name someone:

- the approver: only a pseudonymous staff id (``staff:s-0a1b2c3d``);
- the clause relied on: only when it is the citation of a rule that the log's decisions cite
  (an emergency power is written in the city's own words: it stays in the log entry, which
  the row names by its index).

Whether an exception has expired is judged at the newest ``time`` of the entries counted (the
last entry the checkpoint covers), so the same entries always give the same list.

>>> row = {"time": "2025-05-02T10:00:00Z", "expires": "2025-05-02T14:00:00Z", "case": 3,
...        "actor": "staff:s-0a1b2c3d", "rules_outcome": "deny", "outcome": "allow",
...        "clause": "MCC 2-173-020(b)", "needs_second": True, "approved": 9}
>>> (e,) = listed({7: row}, citations={"MCC 2-173-020(b)"},
...               as_of=dt.datetime(2025, 5, 3, tzinfo=dt.UTC))
>>> e.hours, e.state, e.second_approval, e.date
('4', 'expired', 9, '2025-05-02')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sanctuarygate.domain.staff import is_public_id

__all__ = ["STATES", "ListedException", "State", "listed"]

State = Literal["in-force", "awaiting-approval", "expired", "expired-unapproved"]
#: The states, in the order a reader meets them.
STATES: tuple[State, ...] = ("in-force", "awaiting-approval", "expired", "expired-unapproved")


@dataclass(frozen=True, slots=True)
class ListedException:
    """One exception as published."""

    index: int
    date: str
    case: int
    rules_outcome: str
    outcome: str
    #: The citation relied on; ``None``: not a rule's citation (its words are in the entry).
    clause: str | None
    hours: str
    #: The pseudonymous approver; ``None`` when the entry's actor is not one.
    approver: str | None
    second_required: bool
    #: The index of the ``exception-approval`` entry, when a second approver approved it.
    second_approval: int | None
    expires: str
    expired: bool
    state: State


def listed(exceptions: Mapping[int, Mapping[str, Any]], *, citations: Collection[str],
           as_of: dt.datetime | None) -> tuple[ListedException, ...]:
    """Each exception entry (by index, as ``tally`` keeps them), in log order."""
    return tuple(_row(index, exceptions[index], citations, as_of) for index in sorted(exceptions))


def _row(index: int, entry: Mapping[str, Any], citations: Collection[str],
         as_of: dt.datetime | None) -> ListedException:
    granted = dt.datetime.fromisoformat(entry["time"])
    expires = dt.datetime.fromisoformat(entry["expires"])
    expired = as_of is not None and as_of >= expires
    approved = entry.get("approved")
    applies = not entry["needs_second"] or approved is not None
    state: State = ("expired" if applies else "expired-unapproved") if expired else (
        "in-force" if applies else "awaiting-approval")
    actor = entry["actor"]
    pseudonym = isinstance(actor, str) and actor.startswith("staff:") \
        and is_public_id(actor.removeprefix("staff:"))
    clause = entry["clause"]
    return ListedException(
        index=index, date=granted.astimezone(dt.UTC).date().isoformat(), case=int(entry["case"]),
        rules_outcome=str(entry["rules_outcome"]), outcome=str(entry["outcome"]),
        clause=clause if isinstance(clause, str) and clause in citations else None,
        hours=_hours(expires - granted), approver=actor if pseudonym else None,
        second_required=bool(entry["needs_second"]), second_approval=approved,
        expires=expires.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        expired=expired, state=state)


def _hours(span: dt.timedelta) -> str:
    """Hours, whole when they are (``4``), else to a tenth (``2.5``)."""
    tenths = round(span.total_seconds() / 360)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"
