"""A case: a request the rules left to a person, and what that person decided.

Every ``review`` answer that is recorded (at the desk, through the API or the CLI) opens a
case in the review queue. A case holds who asked (the agency; a badge or name and a contact as
told), what was asked (the request's facts in the scenario-case format, which has no word for a
person's immigration status), the rules' decision and its log index, a state, timestamps and an
assignee. A reviewer decides it: allow, allow with conditions chosen from
:data:`REVIEW_CONDITIONS`, or deny, with a reason and the clause relied on. The states::

    open ──> in-review ──> decided ──> closed
      └───────────────────────┘ (a reviewer may decide an open case at once)

A reviewer decides only what the rules left open: when the packs give ``deny`` for the request
(:func:`check_review`), an allow is refused; that needs an exception, not a review.

Free text (a reason, a note, who asked) is checked by :func:`check_text`: words that state a
person's immigration status are refused, so that no case ever stores one.

>>> answer = ReviewAnswer("allow-with-conditions", ("no-onward-sharing",), "Warrant checked.",
...                       "5 ILCS 805/15(a)")
>>> check_review(answer, rules_outcome="review").outcome
'allow-with-conditions'
>>> check_review(answer, rules_outcome="deny")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sanctuarygate.domain.case.ReviewRefusedError: the rules give deny for this request: ...
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal

from sanctuarygate.domain.vocabulary import OBLIGATION_KINDS
from sanctuarygate.errors import InputError, SanctuaryGateError

ReviewOutcome = Literal["allow", "allow-with-conditions", "deny"]
REVIEW_OUTCOMES: Final[tuple[ReviewOutcome, ...]] = ("allow", "allow-with-conditions", "deny")

#: Conditions a reviewer may attach to an allow: the obligation kinds that need no values
#: (masking fields and row filters belong to gateway reviews, which name the columns).
REVIEW_CONDITIONS: Final = tuple(sorted(OBLIGATION_KINDS - {"mask-fields", "rows-where"}))

#: Where a case comes from.
SOURCES: Final = ("desk", "api", "cli", "gateway")

#: The key of a gateway case's ``decision`` that holds the query as the gateway described it
#: (``gateway/reviewed.py``) and, once a reviewer decides, the columns released (``released``).
GATEWAY_QUERY: Final = "query"

#: Longest free text kept (a reason, a note); a clause or who asked are shorter.
TEXT_MAX: Final = 2000
SHORT_MAX: Final = 200

#: Words that state (or ask about) a person's immigration status. No case stores them: free
#: text containing one is refused, and a test searches stored cases for every one.
STATUS_WORDS: Final = (
    "immigration status", "immigration_status", "undocumented", "illegal alien",
    "illegal immigrant", "alien", "unlawful presence", "unlawfully present", "out of status",
    "overstay",
    "deportable", "removable", "visa", "green card", "permanent resident", "lawful permanent",
    "citizenship", "non-citizen", "noncitizen", "daca", "tps", "asylum", "refugee",
    "a-number", "alien number", "parolee",
)
_STATUS = re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(w) for w in STATUS_WORDS)
                     + r")(?![a-z0-9])", re.IGNORECASE)


class CaseState(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in-review"
    DECIDED = "decided"
    CLOSED = "closed"


#: Each state and the states a case may move to from it.
NEXT_STATES: Final[dict[CaseState, frozenset[CaseState]]] = {
    CaseState.OPEN: frozenset({CaseState.IN_REVIEW, CaseState.DECIDED}),
    CaseState.IN_REVIEW: frozenset({CaseState.DECIDED, CaseState.OPEN}),
    CaseState.DECIDED: frozenset({CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
}


class UnknownCaseError(InputError):
    """A case id that names no case."""

    title = "Unknown case"

    def __init__(self, case_id: object, *, what: str = "case") -> None:
        super().__init__(f"no {what} {case_id!r}", field=what)
        self.case_id = case_id


def within(case: Case, sources: Iterable[str] | None) -> Case:
    """``case`` when it was opened from one of ``sources`` (None: from anywhere), else
    :class:`UnknownCaseError`: a case a member may not see is not told apart from no case.

    >>> within(Case(1, CaseState.OPEN, "gateway", *[None] * 4, {}, "review", {}, 1),
    ...        {"gateway"}).id
    1
    >>> within(Case(2, CaseState.OPEN, "desk", *[None] * 4, {}, "review", {}, 1), {"gateway"})
    Traceback (most recent call last):
    sanctuarygate.domain.case.UnknownCaseError: case: no case 2
    """
    if sources is not None and case.source not in set(sources):
        raise UnknownCaseError(case.id)
    return case


class ReviewRefusedError(SanctuaryGateError):
    """A review that may not be made: the case is not waiting for one, or it would turn a deny
    the rules give into an allow. Nothing was recorded."""

    title = "Review refused"


def check_text(value: str | None, name: str, *, limit: int = TEXT_MAX,
               required: bool = False) -> str | None:
    """Free text fit to keep in a case: trimmed, not too long, and never a person's status.

    >>> check_text("  Judge's signature checked ", "reason")
    "Judge's signature checked"
    >>> check_text("He is undocumented", "reason")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: reason: do not write a person's immigration status ...
    >>> check_text("", "note") is None
    True
    """
    text = (value or "").strip()
    if not text:
        if required:
            raise InputError("is required", field=name)
        return None
    if len(text) > limit:
        raise InputError(f"use at most {limit} characters", field=name)
    found = _STATUS.search(text)
    if found:
        raise InputError(f"do not write a person's immigration status ({found[0].lower()!r}); "
                         "nothing was kept", field=name)
    return text


def mentions_status(text: str) -> str | None:
    """The first status word in ``text`` (any case), or None.

    >>> mentions_status('{"purpose": "civil-immigration-enforcement"}') is None
    True
    """
    found = _STATUS.search(text)
    return found[0].lower() if found else None


@dataclass(frozen=True, slots=True)
class ReviewAnswer:
    """What a reviewer decides on a case; built by :func:`parse_review`."""

    outcome: ReviewOutcome
    conditions: tuple[str, ...]
    reason: str
    clause: str
    #: On a gateway case, the columns released (:func:`check_columns`); None on other cases.
    columns: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome, "conditions": list(self.conditions),
                               "reason": self.reason, "clause": self.clause}
        if self.columns is not None:
            out["columns"] = list(self.columns)
        return out


def parse_review(outcome: str, conditions: list[str] | tuple[str, ...], reason: str,
                 clause: str) -> ReviewAnswer:
    """A reviewer's answer from its parts (a form, a JSON body, CLI options); every problem
    is an :class:`InputError` naming its field. Conditions go with ``allow-with-conditions``
    only, and it needs at least one.

    >>> parse_review("allow", ["no-onward-sharing"], "ok", "X 1")
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: conditions: only an allow with conditions has conditions
    """
    if outcome not in REVIEW_OUTCOMES:
        raise InputError(f"{outcome!r} is not one of: {', '.join(REVIEW_OUTCOMES)}",
                         field="outcome")
    chosen = tuple(sorted({c.strip() for c in conditions if c.strip()}))
    unknown = [c for c in chosen if c not in REVIEW_CONDITIONS]
    if unknown:
        raise InputError(f"{unknown[0]!r} is not one of: {', '.join(REVIEW_CONDITIONS)}",
                         field="conditions")
    if outcome == "allow-with-conditions" and not chosen:
        raise InputError("choose at least one condition", field="conditions")
    if outcome != "allow-with-conditions" and chosen:
        raise InputError("only an allow with conditions has conditions", field="conditions")
    text = check_text(reason, "reason", required=True)
    cited = check_text(clause, "clause", limit=SHORT_MAX, required=True)
    assert text is not None and cited is not None
    return ReviewAnswer(outcome, chosen, text, cited)


def check_review(answer: ReviewAnswer, *, rules_outcome: str) -> ReviewAnswer:
    """``answer``, if the rules left it to a person: a deny the packs give stays a deny."""
    if rules_outcome == "deny" and answer.outcome != "deny":
        raise ReviewRefusedError(f"the rules give deny for this request: a review cannot turn "
                                 f"it into {answer.outcome} (that needs an exception)")
    return answer


def check_columns(answer: ReviewAnswer, columns: list[str] | tuple[str, ...] | None, *,
                  offered: tuple[str, ...] | None, needed: tuple[str, ...] = ()) -> ReviewAnswer:
    """``answer`` with the columns a reviewer releases on a gateway case (``offered``: the
    columns asked for that the rules leave open; None for a case that is not a gateway query).
    An allow releases at least one offered column, every column the query filters or sorts on
    (``needed``: else the filter would tell the value) and nothing else; a deny releases none.

    >>> a = ReviewAnswer("allow", (), "Checked.", "X 1")
    >>> check_columns(a, ["charge"], offered=("charge", "name")).columns
    ('charge',)
    >>> check_columns(a, ["citizenship"], offered=("charge",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: columns: 'citizenship' may not be released: ...
    """
    chosen = tuple(dict.fromkeys(c.strip() for c in columns or () if c.strip()))
    if offered is None:
        if chosen:
            raise InputError("only a gateway query's case releases columns", field="columns")
        return answer
    if answer.outcome == "deny":
        if chosen:
            raise InputError("a deny releases no column", field="columns")
        return ReviewAnswer(answer.outcome, answer.conditions, answer.reason, answer.clause, ())
    if not chosen:
        raise InputError("choose the columns to release (at least one of: "
                         f"{', '.join(offered) or 'none is offered'})", field="columns")
    wider = [c for c in chosen if c not in offered]
    if wider:
        raise InputError(f"{wider[0]!r} may not be released: choose among the columns asked "
                         f"for that the rules leave open ({', '.join(offered)})", field="columns")
    missing = [c for c in needed if c not in chosen]
    if missing:
        raise InputError(f"the query filters or sorts on {missing[0]!r}: release it too, or "
                         "deny", field="columns")
    ordered = tuple(c for c in offered if c in chosen)
    return ReviewAnswer(answer.outcome, answer.conditions, answer.reason, answer.clause, ordered)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One step in a case's history."""

    at: dt.datetime
    actor: str
    what: str
    log_index: int | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A case as stored (``store/case.py``); ``review`` is None until a reviewer decides."""

    id: int
    state: CaseState
    source: str
    opened_at: dt.datetime
    updated_at: dt.datetime
    opened_by: str
    agency: str
    request: dict[str, Any]
    outcome: str
    decision: dict[str, Any]
    log_index: int | None
    assignee: str | None = None
    asked_by: str | None = None
    contact: str | None = None
    person_ref: str | None = None
    notes: str | None = None
    decided_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    review: ReviewAnswer | None = None
    reviewed_by: str | None = None
    review_index: int | None = None
    events: tuple[CaseEvent, ...] = field(default=())

    @property
    def waiting(self) -> bool:
        """Whether the case waits for a reviewer."""
        return self.state in (CaseState.OPEN, CaseState.IN_REVIEW)

    @property
    def query(self) -> dict[str, Any] | None:
        """A gateway case's query (dataset, fields, filters by field and operator, the columns
        ``offered`` to a reviewer ...); None for any other case."""
        found = self.decision.get(GATEWAY_QUERY) if self.source == "gateway" else None
        return dict(found) if isinstance(found, dict) else None

    @property
    def offered(self) -> tuple[str, ...] | None:
        """The columns a reviewer may release on a gateway case; None for any other case."""
        query = self.query
        return None if query is None else tuple(query.get("offered") or ())

    @property
    def needed(self) -> tuple[str, ...]:
        """The columns a gateway case's query filters or sorts on."""
        query = self.query or {}
        named = [f.get("field") for f in query.get("filters") or ()] + [query.get("sort")]
        return tuple(dict.fromkeys(n for n in named if isinstance(n, str)))

    def to_dict(self) -> dict[str, Any]:
        """The case as the API and ``case show --json`` give it."""
        return {
            "id": self.id, "state": self.state.value, "source": self.source,
            "opened_at": _stamp(self.opened_at), "updated_at": _stamp(self.updated_at),
            "decided_at": _stamp(self.decided_at), "closed_at": _stamp(self.closed_at),
            "opened_by": self.opened_by, "assignee": self.assignee, "agency": self.agency,
            "asked_by": self.asked_by, "contact": self.contact, "person_ref": self.person_ref,
            "request": self.request, "outcome": self.outcome, "decision": self.decision,
            "log_index": self.log_index, "notes": self.notes,
            "review": None if self.review is None else {
                **self.review.to_dict(), "reviewed_by": self.reviewed_by,
                "log_index": self.review_index},
            "events": [{"at": _stamp(e.at), "actor": e.actor, "what": e.what,
                        "log_index": e.log_index, "note": e.note} for e in self.events],
        }


def _stamp(when: dt.datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:  # SQLite gives naive datetimes back; they were stored as UTC
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- accountable exceptions (break-glass) ---------------------------------------------------------

#: An exception holds for hours, not days.
EXCEPTION_MAX_HOURS: Final = 24


@dataclass(frozen=True, slots=True)
class ExceptionGrant:
    """An override a reviewer asks for in an emergency, on one case; built by
    :func:`parse_exception`."""

    outcome: ReviewOutcome
    conditions: tuple[str, ...]
    clause: str
    reason: str
    hours: int


def parse_exception(outcome: str, conditions: list[str] | tuple[str, ...], reason: str,
                    clause: str, hours: int | str) -> ExceptionGrant:
    """An exception from its parts: an answer as for a review (the clause may name an
    emergency power), and an expiry from 1 to :data:`EXCEPTION_MAX_HOURS` hours.

    >>> parse_exception("allow", [], "Flood: evacuation", "Emergency order 3", 4).hours
    4
    >>> parse_exception("allow", [], "x", "y", 72)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: hours: an exception holds 1 to 24 hours, ...
    """
    answer = parse_review(outcome, conditions, reason, clause)
    try:
        count = int(hours)
    except (TypeError, ValueError):
        raise InputError(f"{hours!r} is not a number of hours", field="hours") from None
    if not 1 <= count <= EXCEPTION_MAX_HOURS:
        raise InputError(f"an exception holds 1 to {EXCEPTION_MAX_HOURS} hours, not {count}",
                         field="hours")
    return ExceptionGrant(answer.outcome, answer.conditions, answer.clause, answer.reason, count)


def needs_second_approver(rules_outcome: str, outcome: str, *, required: bool = True) -> bool:
    """Whether an exception needs a second approver: when it turns the rules' deny into an
    allow (and the city's setting asks for it, as it does by default).

    >>> needs_second_approver("deny", "allow"), needs_second_approver("review", "allow")
    (True, False)
    """
    return required and rules_outcome == "deny" and outcome != "deny"


@dataclass(frozen=True, slots=True)
class CaseException:
    """An exception as stored: it applies once granted (and approved, when it needs a second
    approver) and until it expires."""

    id: int
    case_id: int
    outcome: str
    conditions: tuple[str, ...]
    clause: str
    reason: str
    rules_outcome: str
    granted_by: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    log_index: int
    needs_second: bool
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    approval_index: int | None = None

    def status(self, at: dt.datetime) -> Literal["awaiting-approval", "in-force", "expired"]:
        """Expired from ``expires_at`` on, whatever else; else in force unless a second approver
        is still needed.

        >>> t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        >>> e = CaseException(1, 1, "allow", (), "X", "r", "deny", "staff:s-1", t,
        ...                   t + dt.timedelta(hours=2), 5, needs_second=True)
        >>> e.status(t), e.status(t + dt.timedelta(hours=2))
        ('awaiting-approval', 'expired')
        """
        if _utc(at) >= _utc(self.expires_at):
            return "expired"
        if self.needs_second and self.approved_by is None:
            return "awaiting-approval"
        return "in-force"

    def check_approver(self, actor: str, at: dt.datetime) -> None:
        """Refuse (:class:`ReviewRefusedError`) an approval that may not be made: the exception
        does not wait for one (approved, expired, or needing none), or ``actor`` granted it."""
        if self.status(at) != "awaiting-approval":
            raise ReviewRefusedError(f"exception {self.id} is {self.status(at)}: it waits for "
                                     "no approval")
        if actor == self.granted_by:
            raise ReviewRefusedError("the second approver must be another person than the one "
                                     "who granted the exception")

    def applies(self, at: dt.datetime) -> bool:
        """Whether the exception applies at ``at``: in force, never once expired."""
        return self.status(at) == "in-force"

    def to_dict(self, at: dt.datetime) -> dict[str, Any]:
        return {"id": self.id, "case": self.case_id, "outcome": self.outcome,
                "conditions": list(self.conditions), "clause": self.clause,
                "reason": self.reason, "rules_outcome": self.rules_outcome,
                "granted_by": self.granted_by, "granted_at": _stamp(self.granted_at),
                "expires_at": _stamp(self.expires_at), "log_index": self.log_index,
                "needs_second": self.needs_second, "approved_by": self.approved_by,
                "approved_at": _stamp(self.approved_at),
                "approval_index": self.approval_index, "status": self.status(at)}


@dataclass(frozen=True, slots=True)
class AnswerInForce:
    """What a case's answer is at a moment: the rules', a reviewer's, or an exception's while it
    is in force (an expired or unapproved one never applies)."""

    source: Literal["rules", "review", "exception"]
    outcome: str
    conditions: tuple[str, ...] = ()
    clause: str = ""
    by: str | None = None
    until: dt.datetime | None = None
    #: The exception behind it, or one that waits for its second approver (shown, not applied).
    exception: CaseException | None = None
    pending: CaseException | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "outcome": self.outcome,
                "conditions": list(self.conditions), "clause": self.clause, "by": self.by,
                "until": _stamp(self.until),
                "exception": self.exception.id if self.exception else None,
                "awaiting_approval": self.pending.id if self.pending else None}


def answer_in_force(case: Case, exceptions: Iterable[CaseException],
                    at: dt.datetime) -> AnswerInForce:
    """The answer that holds for ``case`` at ``at``: the newest exception in force (granted
    last wins), else the reviewer's answer, else the rules' outcome. An exception waiting for
    its second approver is reported as pending and changes nothing; one that expired is gone.

    >>> t = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    >>> case = Case(7, CaseState.DECIDED, "desk", t, t, "staff:s-1", "ICE-ERO", {}, "deny", {},
    ...             3)
    >>> allow = CaseException(1, 7, "allow", (), "emergency", "r", "deny", "staff:s-2", t,
    ...                       t + dt.timedelta(hours=2), 9, needs_second=True,
    ...                       approved_by="staff:s-3")
    >>> [answer_in_force(case, [allow], t + dt.timedelta(hours=h)).source for h in (0, 2)]
    ['exception', 'rules']
    >>> import dataclasses
    >>> waiting = dataclasses.replace(allow, approved_by=None)
    >>> a = answer_in_force(case, [waiting], t)
    >>> (a.source, a.outcome, a.pending.id)
    ('rules', 'deny', 1)
    """
    live = [e for e in exceptions if e.case_id == case.id]
    in_force = [e for e in live if e.applies(at)]
    pending = next((e for e in sorted(live, key=lambda e: e.granted_at, reverse=True)
                    if e.status(at) == "awaiting-approval"), None)
    if in_force:
        newest = max(in_force, key=lambda e: (e.granted_at, e.id))
        return AnswerInForce("exception", newest.outcome, newest.conditions, newest.clause,
                             newest.approved_by or newest.granted_by, newest.expires_at,
                             exception=newest, pending=pending)
    if case.review is not None:
        return AnswerInForce("review", case.review.outcome, case.review.conditions,
                             case.review.clause, case.reviewed_by, pending=pending)
    return AnswerInForce("rules", case.outcome, pending=pending)


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
