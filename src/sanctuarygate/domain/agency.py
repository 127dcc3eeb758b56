"""The agency directory: who is who, and who is under whom.

Built from ``packs/agencies.yaml``. Flags are inherited: ICE-HSI sits under ICE, so data given to
HSI is data within reach of a civil-immigration agency. An unknown id is an error, never a default.

>>> d = Directory.from_mapping({"agencies": [{"id": "DHS", "level": "federal", "children": [
...     {"id": "ICE", "flags": ["civil-immigration"]}]}]})
>>> d.get("ICE").immigration_agency, d.get("ICE").ancestors
(True, ('DHS',))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sanctuarygate.errors import PolicyLoadError, UnknownAgencyError

FLAGS = frozenset({"civil-immigration", "immigration-parent", "criminal-investigations", "title-8",
                   "law-enforcement", "refers-to-immigration"})
LEVELS = frozenset({"federal", "state", "county", "city", "court", "military"})


@dataclass(frozen=True, slots=True)
class Agency:
    """One entry of the directory, with its inherited facts resolved."""

    id: str
    name: str
    level: str
    flags: frozenset[str]
    ancestors: tuple[str, ...]
    jurisdiction: str | None
    immigration_agency: bool
    #: Common names and abbreviations a desk officer may type ("Border Patrol", "HSI").
    aliases: tuple[str, ...] = ()

    @property
    def parent(self) -> str | None:
        return self.ancestors[-1] if self.ancestors else None

    @property
    def law_enforcement(self) -> bool:
        return "law-enforcement" in self.flags

    @property
    def title8(self) -> bool:
        return "title-8" in self.flags

    @property
    def refers_to_immigration(self) -> bool:
        return "refers-to-immigration" in self.flags

    @property
    def civil_immigration_agent(self) -> bool:
        """An immigration agency other than a unit whose own work is criminal investigations
        (HSI, named by 5 ILCS 805/15(i)): data passed on to it serves civil enforcement.

        >>> d = Directory.from_mapping({"agencies": [{"id": "ICE", "level": "federal",
        ...     "flags": ["civil-immigration"], "children": [
        ...     {"id": "HSI", "flags": ["criminal-investigations"]}]}]})
        >>> d.get("ICE").civil_immigration_agent, d.get("HSI").civil_immigration_agent
        (True, False)
        """
        return self.immigration_agency and "criminal-investigations" not in self.flags

    def is_under(self, other: str) -> bool:
        """True when ``other`` is this agency or one of its ancestors."""
        return other == self.id or other in self.ancestors


class Directory:
    """All agencies by id, in file order."""

    def __init__(self, agencies: list[Agency]) -> None:
        self._by_id = {a.id: a for a in agencies}

    def __iter__(self) -> Iterator[Agency]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, agency_id: object) -> bool:
        return agency_id in self._by_id

    def get(self, agency_id: str, *, field: str | None = None) -> Agency:
        """The agency with this id; :class:`UnknownAgencyError` if there is none."""
        try:
            return self._by_id[agency_id]
        except KeyError:
            raise UnknownAgencyError(agency_id, field=field) from None

    def resolve(self, text: str) -> Agency | None:
        """The one agency whose id, full name or common name is ``text`` (any case), if any.

        >>> d = Directory.from_mapping({"agencies": [{"id": "CBP-USBP", "level": "federal",
        ...     "name": "U.S. Border Patrol", "aliases": ["Border Patrol", "USBP"]}]})
        >>> d.resolve("border patrol").id, d.resolve("usbp").id, d.resolve("Border")
        ('CBP-USBP', 'CBP-USBP', None)
        """
        needle = " ".join(text.split()).casefold()
        found = {a.id: a for a in self
                 if needle in {a.id.casefold(), a.name.casefold(), *map(str.casefold, a.aliases)}}
        return next(iter(found.values())) if len(found) == 1 else None

    def search(self, text: str, *, limit: int = 20) -> list[Agency]:
        """Agencies whose id or name contains ``text`` (case-insensitive), ids first."""
        needle = text.strip().lower()
        if not needle:
            return list(self)[:limit]
        by_id = [a for a in self if needle in a.id.lower()]
        by_name = [a for a in self if a not in by_id and (
            needle in a.name.lower() or any(needle in x.lower() for x in a.aliases))]
        return (by_id + by_name)[:limit]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "agencies") -> Directory:
        """Build the directory from the YAML structure; malformed data raises PolicyLoadError."""
        out: list[Agency] = []
        seen: set[str] = set()

        def walk(node: Any, ancestors: tuple[str, ...], level: str | None,
                 jurisdiction: str | None, inherited_imm: bool) -> None:
            if not isinstance(node, Mapping) or not isinstance(node.get("id"), str):
                raise PolicyLoadError(f"agency entry without an id: {node!r}", source=source)
            ident = node["id"]
            if ident in seen:
                raise PolicyLoadError(f"duplicate agency id {ident!r}", source=source)
            seen.add(ident)
            flags = frozenset(node.get("flags") or ())
            bad = flags - FLAGS
            if bad:
                raise PolicyLoadError(f"{ident}: unknown flag(s) {sorted(bad)}", source=source)
            own_level = node.get("level") or level
            if own_level not in LEVELS:
                raise PolicyLoadError(f"{ident}: level must be one of {sorted(LEVELS)}",
                                      source=source)
            own_juris = node.get("jurisdiction") or jurisdiction
            imm = inherited_imm or "civil-immigration" in flags
            # The department over immigration agencies (DHS) counts as one itself (it is never
            # treated more favourably than ICE); its other components do not inherit that.
            parent = "immigration-parent" in flags
            aliases = node.get("aliases") or ()
            if not isinstance(aliases, list | tuple) or not all(isinstance(x, str) for x in aliases):
                raise PolicyLoadError(f"{ident}: aliases must be a list of names", source=source)
            out.append(Agency(ident, str(node.get("name") or ident), own_level, flags,
                              ancestors, own_juris, imm or parent, tuple(aliases)))
            for child in node.get("children") or ():
                walk(child, (*ancestors, ident), own_level, own_juris, imm)

        for top in data.get("agencies") or ():
            walk(top, (), None, None, False)
        if not out:
            raise PolicyLoadError("no agencies", source=source)
        return cls(out)
