"""The staff pages a signed-in member may open, for the page header's second row of links.

A desk officer sees none of these; a reviewer the review queue, the exceptions and the replay;
the records unit the queue (the gateway's cases); a facility manager the misuse reports; an
auditor everything they read. Who may open what is :mod:`sanctuarygate.web.signin_roles`; the
links only say it (each page checks the role itself).

``staff_pages`` is a template variable (a function, so that the member is read from the
database only when a page shows the header and someone is signed in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from sanctuarygate.domain.advice import N_
from sanctuarygate.web import session
from sanctuarygate.web.signin import current_member
from sanctuarygate.web.signin_roles import (
    READ_CASES,
    READ_EXCEPTIONS,
    READ_REPORTS,
    RUN_REPLAY,
    may,
)


@dataclass(frozen=True, slots=True)
class StaffPage:
    """A staff page as the header links it."""

    action: str
    path: str
    label: str
    id: str


STAFF_PAGES: tuple[StaffPage, ...] = (
    StaffPage(READ_CASES, "/cases", N_("Review queue"), "nav-cases"),
    StaffPage(READ_EXCEPTIONS, "/exceptions", N_("Exceptions"), "nav-exceptions"),
    StaffPage(RUN_REPLAY, "/replay", N_("What-if replay"), "nav-replay"),
    StaffPage(READ_REPORTS, "/reports", N_("Misuse reports"), "nav-reports"),
)


def staff_context(request: Request) -> dict[str, Callable[[], list[StaffPage]]]:
    """Template variables: ``staff_pages()``, the pages the signed-in member may open."""

    def pages() -> list[StaffPage]:
        if session.signed_in_id(request) is None:
            return []
        member = current_member(request)
        return [page for page in STAFF_PAGES if may(member, page.action)]

    return {"staff_pages": pages}
