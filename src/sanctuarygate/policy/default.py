"""The process-wide policy library and decider, built from the settings on first use."""

from __future__ import annotations

from functools import lru_cache

from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.settings import get_settings


@lru_cache(maxsize=1)
def default_library() -> PolicyLibrary:
    """Load the packs named by the settings (once per process)."""
    settings = get_settings()
    return PolicyLibrary.load(settings.packs_dir, settings.pack_dates())


@lru_cache(maxsize=1)
def default_decider() -> Decider:
    return Decider(default_library(), cache_size=get_settings().decision_cache_size)


def decide(request: Request) -> Decision:
    """Decide a request with the default policy library: the library's one door.

    >>> import datetime as dt
    >>> from sanctuarygate.policy.ask import ask, premises
    >>> decide(ask(profile="chicago", date=dt.date(2025, 11, 1), agency="FEMA",
    ...            action="use-property", about=premises("garage", owner="city"),
    ...            purpose="disaster-relief", use="staging-area")).outcome
    'allow'
    """
    return default_decider().decide(request)
