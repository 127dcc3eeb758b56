"""Who may do what: the one table of staff actions and the roles that may take them.

Authentication (who is asking: a session, a staff token, an agency key) is elsewhere; this
module only answers "may this member do this?", for the web tier and the CLI alike. Every route
is listed in :data:`ROUTES` with the action that guards it, and ``docs/roles.md`` is this table
rendered (:func:`roles_table`); ``tests/web/test_signin.py`` checks both against the app.

>>> from sanctuarygate.domain.staff import StaffMember
>>> desk = StaffMember("s-0a1b2c3d", "jdoe", frozenset({Role.DESK}))
>>> may(desk, RECORD_DECISION), may(None, RECORD_DECISION)
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sanctuarygate.domain.staff import Role, StaffMember

#: Record a decision in the public log (the desk's "Decide and record", the API, the CLI).
RECORD_DECISION: Final = "record-decision"

#: Attach a copy of the document shown to a case (kept in the case, never in the public log).
ATTACH_DOCUMENT: Final = "attach-document"
#: Read the review queue and cases (lists, case pages, the API's case routes); the records
#: unit only the gateway's cases (:data:`SCOPES`).
READ_CASES: Final = "read-cases"
#: Decide a case the rules left to a person (a ``review`` log entry); the records unit only
#: the gateway's cases.
DECIDE_REVIEW: Final = "decide-review"
#: Read every exception granted (the exceptions list).
READ_EXCEPTIONS: Final = "read-exceptions"
#: Follow the answer to a case opened at the desk (the answer card's case status).
FOLLOW_CASE: Final = "follow-case"
#: Grant an accountable exception (break-glass) on a case, or approve one as second approver.
GRANT_EXCEPTION: Final = "grant-exception"
#: Replay the log's decisions under changed rules (a what-if; writes nothing).
RUN_REPLAY: Final = "run-replay"
#: Read residents' misuse reports (the city's property used by immigration enforcement).
READ_REPORTS: Final = "read-reports"
#: Mark a misuse report reviewed, or link it to a case.
REVIEW_REPORTS: Final = "review-reports"
#: Print a registered property's sign (PDF).
PRINT_SIGN: Final = "print-sign"

#: The actions that write the public log: every refused attempt at one is on the record too
#: (an ``auth-failed`` entry: ``web/signin_guard.refuse_write``, ``cli/token.py``).
WRITES_LOG: Final = frozenset({RECORD_DECISION, DECIDE_REVIEW, GRANT_EXCEPTION})

#: Each staff action and the roles that may take it.
ACTIONS: Final[dict[str, frozenset[Role]]] = {
    RECORD_DECISION: frozenset({Role.DESK, Role.REVIEWER}),
    ATTACH_DOCUMENT: frozenset({Role.DESK, Role.REVIEWER}),
    READ_CASES: frozenset({Role.REVIEWER, Role.AUDITOR, Role.RECORDS}),
    DECIDE_REVIEW: frozenset({Role.REVIEWER, Role.RECORDS}),
    READ_EXCEPTIONS: frozenset({Role.REVIEWER, Role.AUDITOR}),
    FOLLOW_CASE: frozenset({Role.DESK, Role.REVIEWER, Role.AUDITOR}),
    GRANT_EXCEPTION: frozenset({Role.REVIEWER}),
    RUN_REPLAY: frozenset({Role.REVIEWER, Role.AUDITOR}),
    READ_REPORTS: frozenset({Role.PROPERTY, Role.AUDITOR}),
    REVIEW_REPORTS: frozenset({Role.PROPERTY}),
    PRINT_SIGN: frozenset({Role.PROPERTY}),
}


#: Roles that take their actions on cases of some sources only: the records unit reads and
#: decides the gateway's queries, not what was asked at the desk (a role not listed here takes
#: its actions on every case).
SCOPES: Final[dict[Role, frozenset[str]]] = {Role.RECORDS: frozenset({"gateway"})}


def case_sources(member: StaffMember, action: str) -> frozenset[str] | None:
    """The sources of the cases ``member`` may take ``action`` on: None for every source, an
    empty set for none.

    >>> records = StaffMember("s-0a1b2c3d", "r", frozenset({Role.RECORDS}))
    >>> sorted(case_sources(records, DECIDE_REVIEW))
    ['gateway']
    >>> case_sources(StaffMember("s-0a1b2c3d", "r", frozenset({Role.RECORDS, Role.REVIEWER})),
    ...              DECIDE_REVIEW) is None
    True
    """
    held = member.roles & ACTIONS.get(action, frozenset()) if may(member, action) else set()
    if any(role not in SCOPES for role in held):
        return None
    return frozenset().union(*(SCOPES[role] for role in held))


def may_case(member: StaffMember | None, action: str, source: str) -> bool:
    """Whether ``member`` may take ``action`` on a case opened from ``source``.

    >>> records = StaffMember("s-0a1b2c3d", "r", frozenset({Role.RECORDS}))
    >>> may_case(records, DECIDE_REVIEW, "gateway"), may_case(records, DECIDE_REVIEW, "desk")
    (True, False)
    """
    if member is None or not may(member, action):
        return False
    sources = case_sources(member, action)
    return sources is None or source in sources


def may(member: StaffMember | None, action: str) -> bool:
    """Whether ``member`` (None: nobody signed in) may take ``action``; an unknown action is
    never allowed.

    >>> may(StaffMember("s-0a1b2c3d", "a", frozenset({Role.AUDITOR})), RECORD_DECISION)
    False
    """
    roles = ACTIONS.get(action, frozenset())
    return member is not None and not member.disabled and bool(member.roles & roles)


@dataclass(frozen=True, slots=True)
class Route:
    """A route as the roles table shows it: who may call it, and what needs a role."""

    method: str
    path: str
    #: The staff action that guards it (None: no staff role is needed).
    action: str | None
    #: Who may call it without a staff role, in words.
    anyone: str
    what: str


ROUTES: Final[tuple[Route, ...]] = (
    Route("GET", "/", None, "yes", "the desk form"),
    Route("POST", "/decide", RECORD_DECISION, "try only (not recorded)",
          "decide; record it in the public log (signed in, desk or reviewer)"),
    Route("GET", "/decide", None, "yes", "back to the desk form"),
    Route("GET", "/desk/agencies", None, "yes", "agency suggestions"),
    Route("GET", "/signin", None, "yes", "the sign-in form"),
    Route("POST", "/signin", None, "yes", "sign in (locks after 5 failures)"),
    Route("POST", "/signout", None, "yes", "sign out"),
    Route("GET", "/signin/oidc", None, "yes",
          "sign in through the city's identity provider (404 unless configured)"),
    Route("GET", "/signin/oidc/callback", None, "yes",
          "back from the identity provider: the ID token verified, a local account's session"),
    Route("GET", "/log/{index}", None, "yes", "a log entry, in words"),
    Route("GET", "/transparency", None, "yes",
          "what the city was asked and answered, counted at a signed checkpoint"),
    Route("GET", "/transparency/{name}.csv", None, "yes", "a transparency table, as CSV"),
    Route("GET", "/rules", None, "yes", "every place and every pack"),
    Route("GET", "/rules/{profile}", None, "yes", "what a place promises today, and since when"),
    Route("GET", "/rules/packs/{pack}", None, "yes", "a pack: its dates, sources and places"),
    Route("GET", "/residents", None, "yes",
          "what the city promises residents, their rights, where to get help (four languages)"),
    Route("GET", "/residents/{place}", None, "yes", "the same for another place"),
    Route("GET", "/property", None, "yes",
          "the city's property registry: a list and a map, by place, department and sign"),
    Route("GET", "/property/{property_id}", None, "yes", "one registered property"),
    Route("GET", "/property/{property_id}/sign.pdf", PRINT_SIGN, "no",
          "a property's printable sign (the order's text, QR codes)"),
    Route("GET", "/cases", READ_CASES, "no",
          "the review queue and cases, filtered (records: the gateway's cases only)"),
    Route("GET", "/cases/{case_id}", READ_CASES, "no",
          "a case: the facts, the rules on each side, its history, the review form"),
    Route("POST", "/cases/{case_id}/review", DECIDE_REVIEW, "no",
          "decide a review (a `review` log entry; never an allow the rules deny; records: "
          "the gateway's cases only)"),
    Route("POST", "/cases/{case_id}/close", DECIDE_REVIEW, "no", "close a decided case"),
    Route("GET", "/cases/{case_id}/document", READ_CASES, "no",
          "the copy of the document shown for a case (a download)"),
    Route("POST", "/cases/{case_id}/document", ATTACH_DOCUMENT, "no",
          "attach a copy of the document shown (PDF, JPEG or PNG; kept in the case only)"),
    Route("GET", "/cases/{case_id}/status", FOLLOW_CASE, "no",
          "the desk card's case status: waiting, or the reviewer's answer"),
    Route("POST", "/cases/{case_id}/exception", GRANT_EXCEPTION, "no",
          "grant an exception (break-glass; an `exception` log entry; hours, not days)"),
    Route("POST", "/exceptions/{exception_id}/approve", GRANT_EXCEPTION, "no",
          "approve an exception as second approver (another reviewer)"),
    Route("GET", "/exceptions", READ_EXCEPTIONS, "no", "every exception, in force or not"),
    Route("GET", "/replay", RUN_REPLAY, "no", "the what-if replay form"),
    Route("POST", "/replay", RUN_REPLAY, "no",
          "replay the log's decisions under changed rules (writes nothing)"),
    Route("POST", "/replay/pdf", RUN_REPLAY, "no", "the same replay as a council-ready PDF"),
    Route("GET", "/report", None, "yes", "the misuse report form (city property used by "
          "immigration enforcement)"),
    Route("POST", "/report", None, "yes", "send a misuse report (form token; rate-limited)"),
    Route("GET", "/reports", READ_REPORTS, "no", "misuse reports, by department and state"),
    Route("GET", "/reports/photos/{name}", READ_REPORTS, "no", "a misuse report's photo"),
    Route("POST", "/reports/{report_id}/review", REVIEW_REPORTS, "no",
          "mark a misuse report reviewed"),
    Route("POST", "/reports/{report_id}/case", REVIEW_REPORTS, "no",
          "link a misuse report to a case"),
    Route("GET", "/reports/counts.csv", None, "yes",
          "misuse reports by property and month (small counts suppressed)"),
    Route("POST", "/api/v1/decisions", RECORD_DECISION, "dry_run=true only (not recorded)",
          "decide; record it (staff token: Authorization: Bearer sgs_...)"),
    Route("GET", "/api/v1/cases", READ_CASES, "no", "cases, filtered (staff token)"),
    Route("GET", "/api/v1/cases/{case_id}", READ_CASES, "no", "a case (staff token)"),
    Route("POST", "/api/v1/cases/{case_id}/review", DECIDE_REVIEW, "no",
          "decide a review (staff token)"),
    Route("GET", "/api/v1/cases/{case_id}/document/copy", READ_CASES, "no",
          "the copy of the document shown (staff token)"),
    Route("PUT", "/api/v1/cases/{case_id}/document", ATTACH_DOCUMENT, "no",
          "attach a copy of the document shown (staff token; the body is the file)"),
    Route("POST", "/api/v1/cases/{case_id}/exceptions", GRANT_EXCEPTION, "no",
          "grant an exception (staff token)"),
    Route("POST", "/api/v1/exceptions/{exception_id}/approve", GRANT_EXCEPTION, "no",
          "approve an exception as second approver (staff token)"),
    Route("GET", "/api/v1/exceptions", READ_EXCEPTIONS, "no", "every exception (staff token)"),
    Route("GET", "/api/v1/agencies", None, "yes", "the agency directory"),
    Route("GET", "/api/v1/profiles", None, "yes", "places and their packs"),
    Route("GET", "/api/v1/log/checkpoint", None, "yes", "the public log"),
    Route("GET", "/api/v1/log/policy", None, "yes", "the public log"),
    Route("GET", "/api/v1/log/entries", None, "yes", "the public log"),
    Route("GET", "/api/v1/log/proof/inclusion", None, "yes", "the public log"),
    Route("GET", "/api/v1/log/proof/consistency", None, "yes", "the public log"),
    Route("POST", "/api/v1/query", None, "partner agency key only",
          "gateway query (an agency key, never a staff account)"),
    Route("GET", "/api/v1/query/plan", None, "partner agency key only",
          "what a query would release"),
    Route("GET", "/healthz", None, "yes", "readiness"),
)


def roles_table() -> str:
    """The roles x routes table, as Markdown (``docs/roles.md`` holds exactly this).

    >>> roles_table().splitlines()[0].startswith("| Route | Not signed in | desk |")
    True
    """
    roles = list(Role)
    head = ["Route", "Not signed in", *[r.value for r in roles], "What"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for route in ROUTES:
        if route.action is None:  # no staff role opens it: open to all, or to agencies only
            cells = ["yes" if route.anyone == "yes" else "no" for _ in roles]
        else:
            allowed = ACTIONS.get(route.action, frozenset())
            cells = ["yes" if role in allowed else route.anyone for role in roles]
        lines.append("| " + " | ".join([f"`{route.method} {route.path}`", route.anyone, *cells,
                                        route.what]) + " |")
    return "\n".join(lines) + "\n"
