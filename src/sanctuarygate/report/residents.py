"""What the residents' page says: the promises a place's rules make, in plain words, one's rights,
and where to get help — from ``residents.yaml`` and the loaded policy library.

A promise restates rules of the packs (it names their ids); it is shown for a place only while
one of those rules is in a pack in force there, and it carries that rule's citation, confidence
and the day its pack took effect, so the page can never promise what the law in force does not
say. Help entries carry their source and the day they were checked; one not checked for a year
is flagged (:func:`stale`).

>>> import datetime as dt
>>> from sanctuarygate.policy.default import default_library
>>> guide = load_guide()
>>> shown = promises_for(guide, default_library(), "chicago", dt.date(2026, 1, 1))
>>> [p.promise.id for p in shown][:3]
['no-hold-on-detainer', 'no-stop-for-status', 'police-do-not-ask']
>>> [p.promise.id for p in promises_for(guide, default_library(), "chicago", dt.date(2020, 1, 1))
...  if p.promise.id.startswith("chicago")]
[]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from sanctuarygate.errors import PolicyLoadError
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.pack import Pack, Rule

__all__ = ["GUIDE", "Guide", "HelpEntry", "Note", "Promise", "Shown", "load_guide",
           "messages", "promises_for", "stale", "unknown_rules"]

GUIDE: Final = Path(__file__).with_name("residents.yaml")
#: A help entry not checked against its source for longer than this is flagged on the page.
STALE_AFTER: Final = dt.timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Promise:
    """A promise in plain words (the English text is its message id) and the rules it restates."""

    id: str
    text: str
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """A fact for residents that is not a rule of a pack: its text, source and confidence."""

    id: str
    text: str
    source: str
    confidence: str


@dataclass(frozen=True, slots=True)
class HelpEntry:
    """Where to get help: a name, what it is for, how to reach it, its source, when checked."""

    id: str
    name: str
    what: str
    source: str
    checked_on: dt.date
    phone: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Guide:
    places: tuple[str, ...]
    promises: tuple[Promise, ...]
    rights: tuple[Note, ...]
    help: tuple[HelpEntry, ...]
    safe_places: Mapping[str, tuple[Note, ...]]


@dataclass(frozen=True, slots=True)
class Shown:
    """A promise as a place makes it today: the rule in force behind it and its pack."""

    promise: Promise
    rule: Rule
    pack: Pack


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PolicyLoadError(f"{where}: '{key}' must be non-empty text", source=str(GUIDE))
    return value


def _note(item: Mapping[str, Any], where: str) -> Note:
    confidence = _text(item, "confidence", where)
    if confidence not in ("C", "P", "U"):
        raise PolicyLoadError(f"{where}: confidence must be C, P or U", source=str(GUIDE))
    return Note(str(item.get("id", where)), _text(item, "text", where),
                _text(item, "source", where), confidence)


def _help(item: Mapping[str, Any], where: str) -> HelpEntry:
    checked = item.get("checked_on")
    if not isinstance(checked, dt.date):
        raise PolicyLoadError(f"{where}: 'checked_on' must be a date (YYYY-MM-DD)",
                              source=str(GUIDE))
    if not item.get("phone") and not item.get("url"):
        raise PolicyLoadError(f"{where}: give a phone or a url", source=str(GUIDE))
    return HelpEntry(_text(item, "id", where), _text(item, "name", where),
                     _text(item, "what", where), _text(item, "source", where), checked,
                     str(item.get("phone") or ""), str(item.get("url") or ""))


def load_guide(path: Path = GUIDE) -> Guide:
    """Read and check ``residents.yaml`` (a bad entry is a ``PolicyLoadError`` naming it)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise PolicyLoadError("residents guide must be a mapping", source=str(path))
    promises = []
    for n, item in enumerate(data.get("promises") or []):
        where = f"promises[{n}]"
        rules = item.get("rules")
        if not isinstance(rules, list) or not rules:
            raise PolicyLoadError(f"{where}: 'rules' must list rule ids", source=str(path))
        promises.append(Promise(_text(item, "id", where), _text(item, "text", where),
                                tuple(str(r) for r in rules)))
    rights = tuple(_note(item, f"rights[{n}]") for n, item in enumerate(data.get("rights") or []))
    helps = tuple(_help(item, f"help[{n}]") for n, item in enumerate(data.get("help") or []))
    places = {place: tuple(_note(item, f"safe_places.{place}[{n}]") for n, item in enumerate(notes))
              for place, notes in (data.get("safe_places") or {}).items()}
    served = data.get("places")
    if not isinstance(served, list) or not served:
        raise PolicyLoadError("'places' must list the places the page serves", source=str(path))
    return Guide(tuple(str(p) for p in served), tuple(promises), rights, helps, places)


def unknown_rules(guide: Guide, library: PolicyLibrary) -> list[str]:
    """Rule ids a promise names, and places, that the library does not have (a test keeps
    this empty)."""
    return ([r for p in guide.promises for r in p.rules if r not in library.rules]
            + [p for p in guide.places if p not in library.profiles])


def messages(guide: Guide) -> set[str]:
    """The guide's words that the ``residents`` catalogs translate (English is the message id)."""
    found = {p.text for p in guide.promises} | {n.text for n in guide.rights}
    found |= {h.what for h in guide.help}
    found |= {n.text for notes in guide.safe_places.values() for n in notes}
    return found


def promises_for(guide: Guide, library: PolicyLibrary, profile: str, day: dt.date) -> list[Shown]:
    """The promises ``profile`` makes on ``day``: those with a rule in a pack in force, each
    with the first such rule (the newest pack's, as the guide lists them newest first)."""
    in_force = {pack.id: pack for pack in library.packs_for(profile, day)}
    shown = []
    for promise in guide.promises:
        for rule_id in promise.rules:
            rule = library.rules.get(rule_id)
            if rule is not None and rule.ref.pack in in_force:
                shown.append(Shown(promise, rule, in_force[rule.ref.pack]))
                break
    return shown


def stale(entry: HelpEntry, today: dt.date) -> bool:
    """Whether a help entry was last checked against its source more than a year ago.

    >>> e = HelpEntry("x", "X", "x", "s", dt.date(2025, 1, 1), phone="911")
    >>> stale(e, dt.date(2025, 12, 31)), stale(e, dt.date(2026, 1, 2))
    (False, True)
    """
    return today - entry.checked_on > STALE_AFTER
