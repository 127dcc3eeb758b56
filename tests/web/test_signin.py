"""Staff sign-in on the pages: passwords, lock-out, CSRF, idle expiry, sign-out, and the desk's
record / try; the roles table in docs/roles.md against the routes' guards."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import get_settings
from sanctuarygate.store.staff import MAX_FAILURES, disable_staff
from sanctuarygate.web.app import create_app
from sanctuarygate.web.case_guard import StaffPage, StaffToken
from sanctuarygate.web.session import COOKIE, SessionSettings
from sanctuarygate.web.signin_guard import ApiGuard, DeskGuard
from sanctuarygate.web.signin_roles import ROUTES, roles_table

from .conftest import TestClient
from .staff import PASSWORD, as_desk_officer, csrf, new_member, sign_in, with_csrf

HTMX = {"HX-Request": "true"}
SPANISH = {"accept-language": "es"}
def today() -> dict[str, Any]:
    """Today's request, built when asked: a suite that runs past midnight asks about the new day."""
    return {"profile": "illinois", "date": get_settings().today().isoformat(), "agency": "ICE-ERO",
             "action": "honor-detainer", "in_custody": "true",
             "purpose": "civil-immigration-enforcement", "document_kind": "detainer",
             "verified": "true"}
ROLES_DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


class Clock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _signin(client: TestClient, name: str, password: str, **headers: str) -> object:
    return client.post("/signin", data={"name": name, "password": password,
                                        "csrf_token": csrf(client, "/signin")},
                       headers=headers, follow_redirects=False)


# --- Sign-in and sign-out -------------------------------------------------------------------
def test_a_good_password_signs_in_and_the_cookie_is_guarded(client: TestClient) -> None:
    member = new_member("desk")
    answer = client.post("/signin", data={"name": member.name, "password": PASSWORD,
                                          "csrf_token": csrf(client, "/signin"),
                                          "next": "/log/0"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/log/0"
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(COOKIE) and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # a setting turns it on for https
    page = client.get("/").text
    assert f"Signed in as {member.name}" in page and 'value="record"' in page


def test_the_cookie_is_secure_when_served_over_https(decider: Decider) -> None:
    app = create_app(decider=decider)
    app.state.sessions = SessionSettings(https_only=True)
    client = TestClient(app)
    assert "secure" in client.get("/").headers["set-cookie"].lower()


def test_a_wrong_password_is_401_and_says_not_which(client: TestClient) -> None:
    member = new_member("desk")
    wrong = client.post("/signin", data={"name": member.name, "password": "not the password",
                                         "csrf_token": csrf(client, "/signin")})
    unknown = client.post("/signin", data={"name": "nobody-here", "password": PASSWORD,
                                           "csrf_token": csrf(client, "/signin")})
    for answer in (wrong, unknown):
        assert answer.status_code == 401 and "Wrong name or password." in answer.text
    assert "Signed in as" not in client.get("/").text


def test_repeated_failures_lock_the_account_in_spanish_too(client: TestClient) -> None:
    member = new_member("desk")
    for _ in range(MAX_FAILURES):  # each failure is counted (committed despite the 401)
        assert _signin(client, member.name, "not the password").status_code == 401  # type: ignore[attr-defined]
    locked = _signin(client, member.name, PASSWORD, **SPANISH)
    assert locked.status_code == 401  # type: ignore[attr-defined]
    assert re.search(r"esta cuenta está bloqueada hasta las \d\d:\d\d UTC",
                     locked.text)  # type: ignore[attr-defined]


def test_a_disabled_account_cannot_sign_in_and_is_signed_out(client: TestClient) -> None:
    member = new_member("desk")
    sign_in(client, member)
    with default_log().engine.begin() as conn:
        disable_staff(conn, member.name)
    assert 'value="record"' not in client.get("/").text  # the desk reads the account afresh
    assert "Signed in as" not in client.get("/").text
    refused = _signin(client, member.name, PASSWORD)
    assert refused.status_code == 401 and "disabled" in refused.text  # type: ignore[attr-defined]


def test_sign_out_ends_the_session(client: TestClient) -> None:
    member = new_member("desk")
    token = sign_in(client, member)
    out = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and COOKIE in out.headers["set-cookie"]
    assert "Signed in as" not in client.get("/").text
    client.headers["X-CSRF-Token"] = csrf(client)
    assert client.post("/decide", data={**today(), "mode": "record"}).status_code == 401


def test_next_never_leaves_the_site(client: TestClient) -> None:
    member = new_member("desk")
    answer = client.post("/signin", data={"name": member.name, "password": PASSWORD,
                                          "csrf_token": csrf(client, "/signin"),
                                          "next": "//evil.example/"}, follow_redirects=False)
    assert answer.headers["location"] == "/"


# --- CSRF -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/decide", "/signin", "/signout"])
@pytest.mark.parametrize("sent", [None, "wrong-token"])
def test_a_post_without_the_sessions_csrf_token_is_refused(client: TestClient, path: str,
                                                           sent: str | None) -> None:
    member = new_member("desk")
    sign_in(client, member)
    before = default_log().size()
    data = {**today(), "name": member.name, "password": PASSWORD}
    if sent is not None:
        data["csrf_token"] = sent
    answer = client.post(path, data=data, headers={"accept": "text/html"})
    assert answer.status_code == 403
    assert "This form has expired or did not come from this site" in answer.text
    assert default_log().size() == before
    assert "Signed in as" in client.get("/").text  # the sign-out was refused too


def test_the_form_field_or_the_htmx_header_carries_the_token(client: TestClient) -> None:
    token = csrf(client)
    by_field = client.post("/decide", data={**today(), "csrf_token": token}, headers=HTMX)
    by_header = client.post("/decide", data=today(), headers={**HTMX, "X-CSRF-Token": token})
    assert by_field.status_code == by_header.status_code == 200
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in client.get("/").text


# --- The desk: record, or try -----------------------------------------------------------------
def test_not_signed_in_the_desk_tries_and_records_nothing(client: TestClient) -> None:
    with_csrf(client)
    page = client.get("/").text
    assert "NOT RECORDED in the public log" in page and 'value="record"' not in page
    before = default_log().size()
    card = client.post("/decide", data=today(), headers=HTMX).text
    assert "NOT RECORDED — a try" in card and "NO — DENY" in card and 'href="/log/' not in card
    assert default_log().size() == before


def refused_since(start: int) -> list[tuple[str, str, str | None]]:
    """The log's entries since ``start``, each an ``auth-failed`` (else the test fails): reason,
    what, key id."""
    log = default_log()
    found = [json.loads(e.body) for e in log.entries(start, log.size())]
    assert all(e["kind"] == "auth-failed" for e in found), found
    return [(e["reason"], e["what"], e.get("key_id")) for e in found]


def test_not_signed_in_asking_to_record_is_401(client: TestClient) -> None:
    with_csrf(client)
    before = default_log().size()
    answer = client.post("/decide", data={**today(), "mode": "record"}, headers=HTMX)
    assert answer.status_code == 401 and "Sign in to record answers" in answer.text
    assert "outcome-" not in answer.text
    assert refused_since(before) == [("missing", "POST /decide", None)]  # no decision entry


def test_a_desk_officer_records_and_the_entry_names_the_account(client: TestClient) -> None:
    member = as_desk_officer(client)
    card = client.post("/decide", data=today(), headers=HTMX).text
    index = int(re.search(r'href="/log/(\d+)"', card).group(1))  # type: ignore[union-attr]
    assert "NOT RECORDED" not in card
    entry = client.get(f"/api/v1/log/entries?start={index}&end={index + 1}").json()
    assert entry["entries"][0]["entry"]["actor"] == member.actor
    before = default_log().size()
    tried = client.post("/decide", data={**today(), "mode": "try"}, headers=HTMX).text
    assert "NOT RECORDED — a try" in tried and default_log().size() == before


def test_an_auditor_may_try_but_not_record(client: TestClient) -> None:
    client.headers["X-CSRF-Token"] = sign_in(client, new_member("auditor"))
    assert "Your role may not record answers" in client.get("/").text
    before = default_log().size()
    assert "NOT RECORDED" in client.post("/decide", data=today(), headers=HTMX).text
    refused = client.post("/decide", data={**today(), "mode": "record"}, headers=HTMX)
    assert refused.status_code == 403 and "Your role may not record" in refused.text
    assert refused_since(before) == [("role", "POST /decide", None)]  # the attempt, on record


# --- Idle expiry ------------------------------------------------------------------------------
def test_an_idle_session_is_signed_out_and_says_so(decider: Decider) -> None:
    clock = Clock()
    app = create_app(decider=decider)
    app.state.sessions = SessionSettings(idle_minutes=30, clock=clock)
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = sign_in(client, new_member("desk"))
    clock.now += 29 * 60  # used within the idle time: still signed in, and the time restarts
    assert "Signed in as" in client.get("/").text
    clock.now += 29 * 60
    assert client.post("/decide", data=today(), headers=HTMX).status_code == 200
    clock.now += 31 * 60
    before = default_log().size()
    expired = client.post("/decide", data={**today(), "mode": "record"}, headers=HTMX)
    assert expired.status_code == 401 and "Your session expired" in expired.text
    page = client.get("/", headers=SPANISH).text
    assert "Su sesión caducó" in page and "Sesión iniciada como" not in page
    assert "Su sesión caducó" not in client.get("/").text  # said once
    assert refused_since(before) == [("missing", "POST /decide", None)]  # no decision


def test_the_session_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from sanctuarygate.errors import ConfigurationError
    from sanctuarygate.settings import load_settings

    assert SessionSettings.of(load_settings()).idle_minutes == 480
    monkeypatch.setenv("SANCTUARYGATE_SESSION_HTTPS_ONLY", "true")
    monkeypatch.setenv("SANCTUARYGATE_SESSION_IDLE_MINUTES", "30")
    assert SessionSettings.of(load_settings()) == SessionSettings(30, True)
    for key, bad in (("SANCTUARYGATE_SESSION_IDLE_MINUTES", "0"),
                     ("SANCTUARYGATE_SESSION_HTTPS_ONLY", "maybe")):
        monkeypatch.setenv(key, bad)
        with pytest.raises(ConfigurationError, match=key):
            load_settings()
        monkeypatch.delenv(key)


# --- Who may do what: docs/roles.md is the table, and the routes carry its guards -------------
def test_docs_roles_holds_the_table() -> None:
    assert roles_table() in ROLES_DOC.read_text(encoding="utf-8"), \
        "docs/roles.md is out of date: paste signin_roles.roles_table() into it"


def test_every_route_is_in_the_table_with_its_guard(decider: Decider) -> None:
    app = create_app(decider=decider)
    listed = {(r.method, r.path): r.action for r in ROUTES}
    served = set()
    for route in _api_routes(app.routes):
        guards = {d.call.action for d in _all_dependencies(route.dependant)
                  if isinstance(d.call, (ApiGuard, DeskGuard, StaffPage, StaffToken))}
        for method in (route.methods or set()) - {"HEAD"}:
            served.add((method, route.path))
            assert (method, route.path) in listed, f"{method} {route.path} is not in ROUTES"
            expected = {listed[(method, route.path)]} - {None}
            assert guards == expected, f"{method} {route.path}: guards {guards}"
    assert set(listed) <= served, f"ROUTES lists routes the app lacks: {set(listed) - served}"


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also those of included routers (whose paths carry their prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included router
            yield from _api_routes(route.original_router.routes)
        elif hasattr(route, "routes") and not hasattr(route, "app"):
            yield from _api_routes(route.routes)


def _all_dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _all_dependencies(dependency)


def test_the_demo_makes_an_account_for_each_role_and_shows_each_password_once(tmp_path: Path) -> None:
    from sanctuarygate.demo.seed import demo_staff
    from sanctuarygate.store.db import make_engine, upgrade
    from sanctuarygate.store.staff import sign_in as check_password

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    first, again = demo_staff(url), demo_staff(url)
    made = dict(re.findall(r"^  (demo-[\w-]+) \(\w+\): (\S{20})$", "\n".join(first), re.M))
    assert sorted(made) == ["demo-auditor", "demo-desk", "demo-property", "demo-records",
                            "demo-reviewer", "demo-reviewer-2"]
    assert not any(p in "\n".join(again) for p in made.values())  # never shown twice
    with engine.begin() as conn:
        roles = {n: {r.value for r in check_password(conn, n, p).roles} for n, p in made.items()}
    assert roles == {"demo-desk": {"desk"}, "demo-reviewer": {"reviewer"},
                     "demo-reviewer-2": {"reviewer"}, "demo-records": {"records"},
                     "demo-property": {"property"}, "demo-auditor": {"auditor"}}
    engine.dispose()
