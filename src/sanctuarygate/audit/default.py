"""The decision log, opened from settings: explicit construction, no global.

The web app's factory opens it (``open_log(settings, migrate=False)``) and its start-up
migrates the schema; a CLI command opens it with the schema brought to head. Either way the
schema is upgraded under the migration lock (``store.db.migrate``).

:func:`default_log` is for tests and scripts that have no settings of their own: the log of the
environment's settings, opened once for those settings (concurrent first calls open one).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.settings import Settings, get_settings
from sanctuarygate.store.db import make_engine, pool_bound
from sanctuarygate.store.db import migrate as migrate_schema

__all__ = ["default_log", "open_log"]


def open_log(settings: Settings, *, migrate: bool = True) -> DecisionLog:
    """The log in ``settings.database_url_resolved`` (SQLite in the data dir by default), its
    schema brought to head first unless ``migrate`` is False (the web app migrates at start).

    >>> from sanctuarygate.settings import Settings
    >>> open_log(Settings(database_url="sqlite://"), migrate=False).origin
    'sanctuarygate.example/demo'
    """
    engine = make_engine(settings.database_url_resolved, pool=pool_bound(settings))
    if migrate:
        migrate_schema(engine)
    return DecisionLog(engine, origin=settings.log_origin, data_dir=settings.data_dir,
                       commit_window=settings.log_commit_window_ms / 1000)


_building = threading.Lock()


@lru_cache(maxsize=4)
def _opened(url: str, origin: str, data_dir: Path) -> DecisionLog:
    engine = make_engine(url)
    migrate_schema(engine)
    return DecisionLog(engine, origin=origin, data_dir=data_dir)


def default_log() -> DecisionLog:
    """The log of the environment's settings (tests and scripts), migrated, opened once for
    those settings."""
    settings = get_settings()
    with _building:  # lru_cache alone lets concurrent first calls each open (and migrate)
        return _opened(settings.database_url_resolved, settings.log_origin, settings.data_dir)
