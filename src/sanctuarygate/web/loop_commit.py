"""The API's recorded decisions, committed on the worker's event loop.

While the app runs on PostgreSQL (its lifespan), :func:`loop_commits` keeps a
:class:`~sanctuarygate.audit.group_loop.LoopGroupCommit` on ``app.state.loop_group``, with
connections of its own to the log's database, closed when the app stops. ``POST
/api/v1/decisions`` decides in the thread pool as before, then awaits its entry's commit on the
loop (:func:`record_on_loop`) instead of holding a thread of the pool until it is durable. Without
it (SQLite, or an app used without its lifespan) the route records as the desk does, through
the log's thread group commit (``audit/group.py``); the entries and answers are the same.

A staff token's grant is checked again in the commit (``GrantLapsed``): the token is then
forgotten and checked in full, which refuses it as a first use would (``signin_guard``), and
if it still passes, the entry is appended once more on that check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool

from sanctuarygate.audit.group import GrantLapsed
from sanctuarygate.audit.group_loop import LoopGroupCommit
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.store.db import async_connector
from sanctuarygate.web.signin_guard import Caller, check_again

__all__ = ["loop_commits", "loop_group_of", "record_on_loop"]

#: The entry a member's decision makes, encoded, and its time (``DecisionLog.entry``).
EntryOf = Callable[[StaffMember], tuple[bytes, dt.datetime]]


@asynccontextmanager
async def loop_commits(app: FastAPI) -> AsyncIterator[None]:
    """``app.state.loop_group`` while the app runs, when its log is on PostgreSQL."""
    log: DecisionLog = app.state.log
    connect = await run_in_threadpool(async_connector, log.engine)
    if connect is None:
        yield
        return
    group = LoopGroupCommit(connect, window=log.group.window, max_batch=log.group.max_batch)
    app.state.loop_group = group
    try:
        yield
    finally:
        app.state.loop_group = None
        await group.close()


def loop_group_of(request: Request) -> LoopGroupCommit | None:
    group: LoopGroupCommit | None = request.app.state.loop_group
    return group


async def record_on_loop(request: Request, group: LoopGroupCommit, caller: Caller,
                         entry_of: EntryOf, first: tuple[bytes, dt.datetime]) -> int:
    """Append ``first`` (the entry of ``caller.member``'s decision) under the caller's grant;
    the log index once durable. A grant lapsed meanwhile: the token is checked in full
    (``signin_guard.check_again``, in the pool's thread: refused as any refused attempt is),
    and the entry ``entry_of`` makes for the member it names is appended on that check."""
    body, at = first
    try:
        return await group.append(body, at=at, grant=caller.grant)
    except GrantLapsed:
        if caller.presented is None:
            raise
    member = await run_in_threadpool(check_again, request, caller)
    body, at = await run_in_threadpool(entry_of, member)
    return await group.append(body, at=at)
