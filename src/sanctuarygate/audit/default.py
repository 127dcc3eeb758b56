"""The process-wide decision log, built from the settings on first use, its schema at head.

The web app builds it at start-up (its lifespan); a CLI command builds it when it needs it.
Either way the schema is brought to head under the migration lock (``store.db.migrate``), and
concurrent first calls build one log, not several.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.settings import get_settings
from sanctuarygate.store.db import make_engine, migrate

_building = threading.Lock()


@lru_cache(maxsize=1)
def _build() -> DecisionLog:
    settings = get_settings()
    engine = make_engine(settings.database_url_resolved)
    migrate(engine)
    return DecisionLog(engine, origin=settings.log_origin, data_dir=settings.data_dir)


def default_log() -> DecisionLog:
    """The log in ``SANCTUARYGATE_DATABASE_URL`` (SQLite in the data dir by default)."""
    with _building:  # lru_cache alone lets concurrent first calls each build (and migrate)
        return _build()
