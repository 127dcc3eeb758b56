"""The city's records database, opened from the settings on first use, for reading only.

SQLite files are opened read-only (``mode=ro``): the gateway never writes to, or reconfigures,
the city's database. Other databases are opened as configured; give the gateway a read-only role.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from sanctuarygate.settings import get_settings


def records_engine(url: str) -> Engine:
    """An engine for reading the records database at ``url``.

    >>> records_engine("sqlite:////tmp/records.db").url.query["mode"]
    'ro'
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return create_engine(f"sqlite:///file:{parsed.database}?mode=ro&uri=true")
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=1)
def default_records() -> Engine:
    """The engine for ``SANCTUARYGATE_RECORDS_URL`` (SQLite ``records.db`` in the data dir)."""
    return records_engine(get_settings().records_url_resolved)
