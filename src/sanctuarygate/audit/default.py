"""The process-wide decision log, built from the settings on first use (schema upgraded)."""

from __future__ import annotations

from functools import lru_cache

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.settings import get_settings
from sanctuarygate.store.db import make_engine, upgrade


@lru_cache(maxsize=1)
def default_log() -> DecisionLog:
    """The log in ``SANCTUARYGATE_DATABASE_URL`` (SQLite in the data dir by default)."""
    settings = get_settings()
    engine = make_engine(settings.database_url_resolved)
    upgrade(engine)
    return DecisionLog(engine, origin=settings.log_origin, data_dir=settings.data_dir)
