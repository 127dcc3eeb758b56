"""The policy library and decider, built from settings: explicit construction, no global.

The web app's factory and the CLI commands build them from the settings they read once::

    library = load_library(settings)
    decider = build_decider(settings, library)

:func:`default_library`, :func:`default_decider` and :func:`decide` are for doctests, tests and
scripts that have no settings of their own: built from the environment's settings, and kept
for the values they were built from (settings that change get a new library, never a stale one).
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache
from pathlib import Path

from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.settings import Settings, get_settings

__all__ = ["build_decider", "decide", "default_decider", "default_library", "load_library"]


def load_library(settings: Settings) -> PolicyLibrary:
    """Load the packs in ``settings.packs_dir``, with the dates the settings give them."""
    return PolicyLibrary.load(settings.packs_dir, settings.pack_dates())


def build_decider(settings: Settings, library: PolicyLibrary | None = None) -> Decider:
    """A decider over ``library`` (default: :func:`load_library`), caching as the settings say.

    >>> from sanctuarygate.settings import Settings
    >>> build_decider(Settings(decision_cache_size=0)).library.profile("chicago").id
    'chicago'
    """
    return Decider(library if library is not None else load_library(settings),
                   cache_size=settings.decision_cache_size)


_building = threading.Lock()


@lru_cache(maxsize=4)
def _library(packs_dir: Path, dates: tuple[tuple[str, dt.date], ...]) -> PolicyLibrary:
    return PolicyLibrary.load(packs_dir, dict(dates))


@lru_cache(maxsize=4)
def _decider(library: PolicyLibrary, cache_size: int) -> Decider:
    return Decider(library, cache_size=cache_size)


def default_library() -> PolicyLibrary:
    """The library of the environment's settings (doctests, tests, scripts), loaded once for
    those settings."""
    settings = get_settings()
    with _building:
        return _library(settings.packs_dir, tuple(sorted(settings.pack_dates().items())))


def default_decider() -> Decider:
    """A decider over :func:`default_library` (doctests, tests, scripts), one per library."""
    library = default_library()
    with _building:
        return _decider(library, get_settings().decision_cache_size)


def decide(request: Request) -> Decision:
    """Decide a request with the environment's policy library (doctests and scripts).

    >>> import datetime as dt
    >>> from sanctuarygate.policy.ask import ask, premises
    >>> decide(ask(profile="chicago", date=dt.date(2025, 11, 1), agency="FEMA",
    ...            action="use-property", about=premises("garage", owner="city"),
    ...            purpose="disaster-relief", use="staging-area")).outcome
    'allow'
    """
    return default_decider().decide(request)
