"""The rules as published law, for residents: what a place promises today, and since when.

Read from the loaded policy library (the very packs the decider uses), never from a copy:

- :func:`in_force`: the packs that bind a place on a day (its own and those of the places it
  includes, e.g. Illinois law for Chicago), each with the date it took effect;
- :func:`history`: every change to a place's rules by date: a pack taking effect, a pack
  ending (the day its replacement took effect);
- :func:`profiles_of`: the places a pack binds;
- :func:`proposals`: packs that were proposed and never bind by themselves;
- :func:`date_unconfirmed`: whether a pack's date is a setting (the legal reference could not
  confirm the day, so the city sets it; the page says so).

>>> from sanctuarygate.policy.default import default_library
>>> lib = default_library()
>>> [p.id for p in in_force(lib, "chicago", dt.date(2020, 1, 1))][:3]
['il-trust-2017', 'il-kifta-287g', 'chi-wco-2012']
>>> [(c.date.isoformat(), c.change, c.pack.id) for c in history(lib, "chicago")][:2]
[('2012-09-12', 'took-effect', 'chi-wco-2012'), ('2017-08-28', 'took-effect', 'il-trust-2017')]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.pack import Pack

__all__ = ["Change", "date_unconfirmed", "history", "in_force", "profiles_of", "proposals"]


@dataclass(frozen=True, slots=True)
class Change:
    """One change to a place's rules: on ``date`` the ``pack`` took effect or ended."""

    date: dt.date
    change: Literal["took-effect", "ended"]
    pack: Pack


def in_force(library: PolicyLibrary, profile: str, day: dt.date) -> tuple[Pack, ...]:
    """The packs that bind ``profile`` on ``day`` (raises ``UnknownProfileError``)."""
    return library.packs_for(profile, day)


def history(library: PolicyLibrary, profile: str) -> tuple[Change, ...]:
    """Every change to the place's rules, oldest first (an ending before a start that day)."""
    changes: list[Change] = []
    for pid in library.profile(profile).packs:
        pack = library.packs[pid]
        if pack.effective_from is not None:
            changes.append(Change(pack.effective_from, "took-effect", pack))
        if pack.effective_until is not None:
            changes.append(Change(pack.effective_until, "ended", pack))
    return tuple(sorted(changes, key=lambda c: (c.date, c.change != "ended", c.pack.id)))


def profiles_of(library: PolicyLibrary, pack: str) -> tuple[str, ...]:
    """The places whose rules include ``pack``, in the library's order."""
    return tuple(p.id for p in library.profiles.values() if pack in p.packs)


def proposals(library: PolicyLibrary) -> tuple[Pack, ...]:
    """The packs that are proposals (never in force by themselves)."""
    return tuple(p for p in library.packs.values() if p.kind == "proposal")


def date_unconfirmed(pack: Pack, which: Literal["effective_from", "effective_until"]) -> bool:
    """Whether the pack's ``which`` date is a setting, not a date its sources confirm.

    >>> from sanctuarygate.policy.default import default_library
    >>> date_unconfirmed(default_library().packs["chi-wco-2021"], "effective_from")
    True
    """
    return isinstance(pack.manifest.get(which), Mapping)
