"""The city's records database, opened from the settings on first use (never written to)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine

from sanctuarygate.settings import get_settings
from sanctuarygate.store.db import make_engine


@lru_cache(maxsize=1)
def default_records() -> Engine:
    """The engine for ``SANCTUARYGATE_RECORDS_URL`` (SQLite ``records.db`` in the data dir)."""
    return make_engine(get_settings().records_url_resolved)
