"""Database connection and schema migrations (SQLAlchemy 2 + Alembic).

The embedded default is one SQLite file in the data directory; production uses PostgreSQL
(``SANCTUARYGATE_DATABASE_URL=postgresql+psycopg://...``). The schema is only ever changed by
Alembic migrations in ``store/migrations``, run by ``migrate``: once at start-up (the web app's
lifespan, ``sanctuarygate db upgrade``), never inside a request.

``migrate`` holds a lock while it looks at the schema and upgrades it, so workers starting
together on an empty database upgrade it once and the others find it at head:

- PostgreSQL: a session advisory lock (``pg_advisory_lock``) on a connection of its own;
- SQLite: ``flock`` on a file beside the database (``<database>.migrate-lock``);
- and, in every case, a lock within the process, because Alembic's command state is global.

>>> engine = make_engine("sqlite://")
>>> first, again = migrate(engine), migrate(engine)
>>> (first.before, first.after == head(), first.changed), again.changed
((None, True, True), False)
"""

from __future__ import annotations

import fcntl
import os
import select
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection as Connection  # handed out to the layers above
from sqlalchemy import Engine as Engine
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError

from sanctuarygate.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"

#: The connections a worker's event-loop group commit holds to the log's database, besides its
#: engines' pools (``audit/group_loop.py``: one commits while the next waits for the head's lock).
LOOP_CONNECTIONS = 2

#: The advisory lock every sanctuarygate process takes to migrate (any 64-bit number, fixed).
ADVISORY_LOCK = 0x5A6E_C7A0_4D16_0001

_IN_PROCESS = threading.Lock()


@dataclass(frozen=True, slots=True)
class PoolBound:
    """How many connections one engine of one worker process may hold to a database server:
    ``size`` kept open, ``overflow`` more in a burst, and how long (seconds) a request waits
    for one before it fails (closed: nothing decided, nothing released).

    A worker has two engines (the log's database and the records database) and, on
    PostgreSQL, the event loop's group commit with :data:`LOOP_CONNECTIONS` of its own
    (``audit/group_loop.py``), so it holds at most ``2 * (size + overflow) + 2`` connections;
    ``serve --workers N`` at most N times that. The defaults (5 + 0, so 12 a worker) keep 8
    workers under PostgreSQL's default of 100 connections. They open no overflow: SQLAlchemy
    closes an overflow connection when it is returned while the pool is full, so under steady
    load connections were closed and opened again all the time, each a new server process;
    five kept open cost the same bound.

    >>> PoolBound().size, PoolBound().overflow
    (5, 0)
    >>> 2 * (PoolBound().size + PoolBound().overflow) + LOOP_CONNECTIONS
    12
    """

    size: int = 5
    overflow: int = 0
    timeout: float = 30.0

    def options(self) -> dict[str, Any]:
        """The ``create_engine`` options of the bound (for a pooled, server database)."""
        return {"pool_size": self.size, "max_overflow": self.overflow,
                "pool_timeout": self.timeout}


def pool_bound(settings: Settings) -> PoolBound:
    """The pool bound the settings ask for (``SANCTUARYGATE_DB_POOL_*``).

    >>> pool_bound(Settings(db_pool_size=3, db_pool_overflow=0)).options()["max_overflow"]
    0
    """
    return PoolBound(settings.db_pool_size, settings.db_pool_overflow, settings.db_pool_timeout)


def make_engine(url: str, *, pool: PoolBound | None = None) -> Engine:
    """An engine for ``url``; for SQLite, creates the folder and turns on WAL and foreign keys.
    A server database (PostgreSQL) gets a connection pool bounded by ``pool`` (default
    :class:`PoolBound`'s), which replaces a connection the server has closed when it hands it
    out, without a round trip (:func:`_refuse_closed`); SQLite keeps SQLAlchemy's own pool (no
    server connection to spare).

    >>> make_engine("sqlite://").dialect.name
    'sqlite'
    >>> make_engine("postgresql+psycopg://h/db", pool=PoolBound(2, 1)).pool.size()
    2
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        return engine
    return server_engine(url, pool=pool)


def server_engine(url: str, *, pool: PoolBound | None = None) -> Engine:
    """An engine for a server database at ``url`` (the log's, or the records' read-only use):
    a pool bounded by ``pool``, which replaces a connection the server has closed when it hands
    it out. With psycopg that check costs no round trip (:func:`_refuse_closed`); another driver
    gets SQLAlchemy's pre-ping, one round trip a checkout.

    >>> server_engine("postgresql+psycopg://h/db").pool._pre_ping
    False
    >>> server_engine("sqlite:////tmp/not-opened.db").pool._pre_ping  # (no psycopg: a ping)
    True
    """
    psycopg_driver = make_url(url).get_driver_name() == "psycopg"
    engine = create_engine(url, pool_pre_ping=not psycopg_driver, **(pool or PoolBound()).options())
    if psycopg_driver:
        event.listen(engine, "checkout", _refuse_closed)
    return engine


def async_connector(engine: Engine) -> Callable[[], Awaitable[psycopg.AsyncConnection[Any]]] | None:
    """For an engine on PostgreSQL through psycopg: a function that opens a new psycopg async
    connection to the same database as the engine's, with the same parameters (user, password,
    options such as a schema's ``search_path``, whether from the URL or the engine's
    ``connect_args``), in autocommit; None for any other engine. The parameters are read off one
    of the engine's own connections (blocking: call this outside the event loop). (The event
    loop's group commit holds connections of its own: ``audit/group_loop.py``.)"""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return None
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        params: dict[str, Any] = driver.info.get_parameters()
        if driver.info.password:
            params["password"] = driver.info.password
    if "host" in params:
        params.pop("hostaddr", None)  # (the address libpq resolved: resolve the name again)

    async def connect() -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(**params, autocommit=True)

    return connect


def _refuse_closed(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """The pool's check of a connection it hands out, without a round trip (a pool "pre-ping"
    costs one on every checkout, and a recorded request checks out twice): a connection the
    server has closed is thrown away and a new one opened (SQLAlchemy retries on
    ``DisconnectionError``).

    An idle connection receives nothing unless the server ends it: a restart, a crash, an
    administrator's ``pg_terminate_backend`` or ``idle_session_timeout`` each send their
    reason and close the socket, so it is readable (or at end of file) when it is checked out.
    A peer that vanishes without a word (a cut network) is not seen here, nor was it by the
    ping, which waited for TCP's own time-out; the statement fails then, and SQLAlchemy
    invalidates the pool on that error (nothing is ever answered from a failed statement)."""
    try:
        idle = not (dbapi_conn.closed or dbapi_conn.broken) and connection_idle(
            dbapi_conn.pgconn.socket)
    except psycopg.Error as exc:  # no socket any more
        raise DisconnectionError(f"the database connection is lost: {exc}") from exc
    if not idle:
        raise DisconnectionError("the database server closed this connection")


@contextmanager
def driver_errors(conn: Connection, statement: str) -> Iterator[None]:
    """psycopg's errors, from statements sent on the driver itself (a pipeline, or a hot
    statement spared SQLAlchemy's execution machinery), raised as SQLAlchemy's
    (``DBAPIError``), as any other statement's are; a connection found lost is invalidated,
    so the pool opens a new one."""
    try:
        yield
    except psycopg.Error as exc:
        lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection,  # type: ignore[arg-type]
                                          None)  # (psycopg.Error is the driver's Error)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(statement, None, exc, psycopg.Error,
                                  connection_invalidated=lost, dialect=conn.dialect) from exc


def connection_idle(fd: int) -> bool:
    """Whether nothing has arrived on a socket (no data, no end of file, no error) right now.

    >>> import socket
    >>> a, b = socket.socketpair()
    >>> connection_idle(a.fileno()), b.close(), connection_idle(a.fileno()), a.close()
    (True, None, False, None)
    """
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
    return not poller.poll(0)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head() -> str:
    """The newest revision the code knows.

    >>> len(head()) > 0
    True
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    found = ScriptDirectory.from_config(cfg).get_current_head()
    assert found is not None, "store/migrations has no revision"
    return found


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: no schema yet).

    >>> current(make_engine("sqlite://")) is None
    True
    """
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class Migration:
    """What ``migrate`` found and left: the revision before and after."""

    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    return Path(database)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the lock that serialises migrations of ``engine``'s database (see the module doc)."""
    with _IN_PROCESS:
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK})
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})
            return
        database = _sqlite_file(engine)
        if database is None:
            yield
            return
        database.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def migrate(engine: Engine, revision: str = "head") -> Migration:
    """Bring the schema up to ``revision`` (default: the newest) under the migration lock."""
    with migration_lock(engine):
        before = current(engine)
        command.upgrade(alembic_config(engine), revision)
        return Migration(before, current(engine))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """``migrate`` without the report (for tests and tools that only need the schema)."""
    migrate(engine, revision)
