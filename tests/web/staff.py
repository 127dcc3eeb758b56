"""Staff accounts for the web tests: made in the app's log database, signed in as a browser
would (the form's CSRF token first)."""

from __future__ import annotations

import re
import secrets

from sanctuarygate.audit.default import default_log
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.store.staff import add_staff, issue_token

from .conftest import TestClient

PASSWORD = "correct horse battery staple"
_TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def new_member(*roles: str) -> StaffMember:
    """A new account with ``roles`` and the password :data:`PASSWORD` (a fresh name each time:
    the test database is shared by the session)."""
    with default_log().engine.begin() as conn:
        member, _ = add_staff(conn, f"t-{secrets.token_hex(4)}", roles, password=PASSWORD)
    return member


def token_of(*roles: str) -> tuple[StaffMember, str]:
    """A new account with ``roles`` and a staff token for it."""
    member = new_member(*roles)
    with default_log().engine.begin() as conn:
        return member, issue_token(conn, member.name, "test").token


def csrf(client: TestClient, path: str = "/") -> str:
    """The CSRF token of the client's session, as a page's form carries it."""
    found = _TOKEN_FIELD.search(client.get(path).text)
    assert found, f"no csrf_token field on {path}"
    return found.group(1)


def sign_in(client: TestClient, member: StaffMember, password: str = PASSWORD) -> str:
    """Sign ``client`` in as ``member``; returns the new session's CSRF token."""
    answer = client.post("/signin", data={"name": member.name, "password": password,
                                          "csrf_token": csrf(client, "/signin")},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf(client)


def with_csrf(client: TestClient) -> TestClient:
    """``client``, sending its session's CSRF token with every request (as htmx does, from
    ``hx-headers``)."""
    client.headers["X-CSRF-Token"] = csrf(client)
    return client


def as_desk_officer(client: TestClient) -> StaffMember:
    """Sign ``client`` in as a new desk officer (and send the new session's CSRF token)."""
    member = new_member("desk")
    client.headers["X-CSRF-Token"] = sign_in(client, member)
    return member
