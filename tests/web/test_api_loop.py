"""``POST /api/v1/decisions`` on PostgreSQL with the app's lifespan: recorded answers commit on
the event loop's group commit (``web/loop_commit.py``), one gapless log with everything else;
a staff token's grant lapsed meanwhile is checked in full and refused as a first use would be;
a review still opens its case with its entry; without PostgreSQL nothing of this is started."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text, update

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.policy.decide import Decider
from sanctuarygate.store.staff import add_staff, issue_token, revoke_token
from sanctuarygate.store.tables import staff_account
from sanctuarygate.web.app import create_app

from .test_cases import denied_body, split_body

T = TypeVar("T")
DECISIONS = "/api/v1/decisions"


def _app(decider: Decider, engine: Engine, data_dir: Path) -> FastAPI:
    log = DecisionLog(engine, origin="sanctuarygate.example/loop", data_dir=data_dir)
    return create_app(decider=decider, log=log)


@asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # 500s as a server does
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://test") as http:
        yield http


def _run(app: FastAPI, work: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    async def go() -> T:
        async with _serving(app) as http:
            return await work(http)
    return asyncio.run(go())


def _token(engine: Engine, name: str, *roles: str) -> str:
    with engine.begin() as conn:
        add_staff(conn, name, list(roles))
        return issue_token(conn, name, "test").token


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _entries(http: httpx.AsyncClient, start: int = 0) -> list[dict[str, Any]]:
    size = int((await http.get("/api/v1/log/checkpoint")).text.splitlines()[1])
    found = (await http.get(f"/api/v1/log/entries?start={start}&end={size}")).json()
    return [e["entry"] for e in found["entries"]]


on_postgres = pytest.mark.parametrize("db_engine", ["postgres"], indirect=True)


@on_postgres
def test_concurrent_recorded_answers_commit_on_the_loop_gapless(
        decider: Decider, db_engine: Engine, tmp_path: Path) -> None:
    app = _app(decider, db_engine, tmp_path)
    seen: dict[str, Any] = {}

    async def work(http: httpx.AsyncClient) -> list[httpx.Response]:
        token = _token(db_engine, "loop-desk", "desk")
        seen["group"] = app.state.loop_group
        answers = await asyncio.gather(*(http.post(DECISIONS, json=denied_body(),
                                                   headers=_bearer(token)) for _ in range(24)))
        seen["entries"] = await _entries(http)
        return list(answers)

    answers = _run(app, work)
    assert all(a.status_code == 200 for a in answers), answers[0].text
    bodies = [a.json() for a in answers]
    assert all(b["recorded"] and b["outcome"] == "deny" for b in bodies)
    assert sorted(b["log_index"] for b in bodies) == list(range(24))
    group = seen["group"]
    assert group is not None and group.appended == 24 and group.commits < 24
    assert app.state.loop_group is None  # the lifespan ended: closed
    entries = seen["entries"]
    assert [e["kind"] for e in entries] == ["decision"] * 24
    assert len({e["actor"] for e in entries}) == 1 and entries[0]["actor"].startswith("staff:s-")


@on_postgres
@pytest.mark.parametrize("change", ["revoke", "roles"])
def test_a_lapsed_grant_on_the_loop_is_refused_as_a_first_use(
        decider: Decider, db_engine: Engine, tmp_path: Path, change: str) -> None:
    """The token is remembered by the worker; revoked (or its desk role taken away), the loop's
    commit leaves the entry out, the token is checked in full: 401 (403), an ``auth-failed``
    entry, and no decision."""
    app = _app(decider, db_engine, tmp_path)

    async def work(http: httpx.AsyncClient) -> tuple[httpx.Response, list[dict[str, Any]]]:
        token = _token(db_engine, "loop-lapsed", "desk")
        first = await http.post(DECISIONS, json=denied_body(), headers=_bearer(token))
        assert first.status_code == 200 and first.json()["log_index"] == 0
        with db_engine.begin() as conn:
            if change == "revoke":
                revoke_token(conn, token)
            else:
                conn.execute(update(staff_account).where(staff_account.c.name == "loop-lapsed")
                             .values(roles="auditor"))
        refused = await http.post(DECISIONS, json=denied_body(), headers=_bearer(token))
        return refused, await _entries(http, 1)

    refused, since = _run(app, work)
    assert refused.status_code == (401 if change == "revoke" else 403), refused.text
    assert "outcome" not in refused.json()
    assert [(e["kind"], e["reason"]) for e in since] == [
        ("auth-failed", "revoked" if change == "revoke" else "role")]


@on_postgres
def test_a_lapsed_grant_whose_roles_still_allow_records_once_after_a_full_check(
        decider: Decider, db_engine: Engine, tmp_path: Path) -> None:
    app = _app(decider, db_engine, tmp_path)

    async def work(http: httpx.AsyncClient) -> tuple[httpx.Response, list[dict[str, Any]]]:
        token = _token(db_engine, "loop-more", "desk")
        assert (await http.post(DECISIONS, json=denied_body(), headers=_bearer(token))
                ).status_code == 200
        with db_engine.begin() as conn:
            conn.execute(update(staff_account).where(staff_account.c.name == "loop-more")
                         .values(roles="desk,reviewer"))
        again = await http.post(DECISIONS, json=denied_body(), headers=_bearer(token))
        return again, await _entries(http, 1)

    again, since = _run(app, work)
    assert again.status_code == 200 and again.json()["log_index"] == 1
    assert [e["kind"] for e in since] == ["decision"]


@on_postgres
def test_a_review_opens_its_case_with_its_entry_beside_the_loop(
        decider: Decider, db_engine: Engine, tmp_path: Path) -> None:
    app = _app(decider, db_engine, tmp_path)

    async def work(http: httpx.AsyncClient) -> tuple[list[httpx.Response], int]:
        token = _token(db_engine, "loop-review", "desk")
        answers = await asyncio.gather(
            http.post(DECISIONS, json=split_body(), headers=_bearer(token)),
            *(http.post(DECISIONS, json=denied_body(), headers=_bearer(token)) for _ in range(4)))
        return list(answers), app.state.loop_group.appended

    answers, on_loop = _run(app, work)
    review = answers[0].json()
    assert review["outcome"] == "review" and "case_id" in review
    assert sorted(a.json()["log_index"] for a in answers) == list(range(5))
    assert on_loop == 4  # the review went with its case, in a transaction of its own


@on_postgres
def test_a_commit_that_fails_on_the_loop_is_a_server_error_with_nothing_recorded(
        decider: Decider, db_engine: Engine, tmp_path: Path) -> None:
    """The log's entries table unreachable under the loop's commit (renamed away): every
    recorded request of the batch is answered 500 problem+json, none with an index or an
    outcome; once it is back, the next entry takes index 0 (no gap)."""
    app = _app(decider, db_engine, tmp_path)

    async def work(http: httpx.AsyncClient) -> tuple[list[httpx.Response], httpx.Response]:
        token = _token(db_engine, "loop-fail", "desk")
        with db_engine.begin() as conn:
            conn.execute(text("ALTER TABLE log_entry RENAME TO log_entry_away"))
        try:
            failed = await asyncio.gather(*(http.post(DECISIONS, json=denied_body(),
                                                      headers=_bearer(token)) for _ in range(3)))
        finally:
            with db_engine.begin() as conn:
                conn.execute(text("ALTER TABLE log_entry_away RENAME TO log_entry"))
        return list(failed), await http.post(DECISIONS, json=denied_body(), headers=_bearer(token))

    failed, after = _run(app, work)
    assert [f.status_code for f in failed] == [500, 500, 500]
    assert all(f.headers["content-type"] == "application/problem+json" for f in failed)
    assert not any("log_index" in f.text or "outcome" in f.json() for f in failed)
    assert after.status_code == 200 and after.json()["log_index"] == 0


@on_postgres
def test_a_dry_run_and_a_what_if_are_never_recorded_on_the_loop(
        decider: Decider, db_engine: Engine, tmp_path: Path) -> None:
    app = _app(decider, db_engine, tmp_path)

    async def work(http: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response, int]:
        token = _token(db_engine, "loop-dry", "desk")
        dry = await http.post(DECISIONS + "?dry_run=true", json=denied_body())
        past = {**denied_body(), "date": "2020-01-02"}
        what_if = await http.post(DECISIONS, json=past, headers=_bearer(token))
        return dry, what_if, app.state.loop_group.appended

    dry, what_if, appended = _run(app, work)
    assert dry.json()["recorded"] is False and what_if.json()["hypothetical"] is True
    assert appended == 0


def test_on_sqlite_no_loop_commit_starts_and_answers_are_recorded_as_ever(
        decider: Decider, tmp_path: Path) -> None:
    from sanctuarygate.store.db import make_engine
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    app = _app(decider, engine, tmp_path)

    async def work(http: httpx.AsyncClient) -> tuple[httpx.Response, Any]:
        token = _token(engine, "sqlite-desk", "desk")
        answer = await http.post(DECISIONS, json=denied_body(), headers=_bearer(token))
        return answer, app.state.loop_group

    answer, group = _run(app, work)
    assert answer.status_code == 200 and answer.json()["log_index"] == 0 and group is None
    engine.dispose()
