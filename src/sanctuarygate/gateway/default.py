"""The gateway's parts, built from settings: the city's records database (read only) and the
:class:`~sanctuarygate.gateway.release.Gateway` every query goes through.

SQLite files are opened read-only (``mode=ro``): the gateway never writes to, or reconfigures,
the city's database. Other databases are opened as configured; give the gateway a read-only role.

:func:`default_records` is for tests and scripts that have no settings of their own.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.gateway.release import Gateway
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import Settings, get_settings
from sanctuarygate.store.db import PoolBound, pool_bound, server_engine

__all__ = ["build_gateway", "default_records", "open_records", "records_engine"]


def records_engine(url: str, *, pool: PoolBound | None = None) -> Engine:
    """An engine for reading the records database at ``url``; a server database's pool is
    bounded by ``pool`` (``store.db.PoolBound``).

    >>> records_engine("sqlite:////tmp/records.db").url.query["mode"]
    'ro'
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return create_engine(f"sqlite:///file:{parsed.database}?mode=ro&uri=true")
    if parsed.get_backend_name() == "sqlite":
        return create_engine(url)
    return server_engine(url, pool=pool)  # a closed connection replaced, without a ping


def open_records(settings: Settings) -> Engine:
    """The engine for ``settings.records_url_resolved`` (``records.db`` in the data dir)."""
    return records_engine(settings.records_url_resolved, pool=pool_bound(settings))


def build_gateway(settings: Settings, decider: Decider, log: DecisionLog,
                  records: Engine) -> Gateway:
    """The gateway for the place and packs the settings name.

    >>> from sanctuarygate.settings import Settings
    >>> from sanctuarygate.policy.default import default_decider
    >>> from sanctuarygate.audit.default import open_log
    >>> s = Settings(database_url="sqlite://", gateway_packs="ocad-proposed-eo-2019")
    >>> build_gateway(s, default_decider(), open_log(s, migrate=False), open_records(s)).packs
    ('ocad-proposed-eo-2019',)
    """
    return Gateway(decider, log, records, settings.profile, settings.data_dir,
                   settings.gateway_pack_ids, settings.timezone,
                   settings.review_release_hours)


_building = threading.Lock()


@lru_cache(maxsize=4)
def _records(url: str) -> Engine:
    return records_engine(url)


def default_records() -> Engine:
    """The records engine of the environment's settings (tests and scripts)."""
    with _building:
        return _records(get_settings().records_url_resolved)
