"""Everything policy data: schema, directory, catalog, packs and profiles, loaded once.

``PolicyLibrary.load(packs_dir, dates)`` reads and validates the whole folder; a malformed pack or
profile stops the load with a :class:`PolicyLoadError` that names the file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from sanctuarygate.domain.agency import Directory
from sanctuarygate.domain.dataset import Catalog
from sanctuarygate.domain.decision import RuleRef
from sanctuarygate.errors import InputError, PolicyLoadError, UnknownProfileError
from sanctuarygate.policy.engine import CedarEngine, Engine
from sanctuarygate.policy.pack import CONFIDENCE, Pack, Rule, load_pack

#: Directory levels whose staff can act as city/county/state employees.
EMPLOYER_LEVELS = frozenset({"city", "county", "state", "court"})


@dataclass(frozen=True, slots=True)
class Profile:
    """A place, and the packs that bind it (its own and those of the places it includes)."""

    id: str
    title: str
    packs: tuple[str, ...]
    #: The agencies whose datasets the place's data gateway serves (not inherited).
    keepers: tuple[str, ...] = ()
    #: What decides when no rule in force covers a request (review), cited as a deciding rule.
    default: RuleRef | None = None


class PolicyLibrary:
    """Loaded policy data plus the engine handles built from it."""

    def __init__(self, engine: Engine, directory: Directory, catalog: Catalog,
                 packs: dict[str, Pack], profiles: dict[str, Profile]) -> None:
        self.engine = engine
        self.directory = directory
        self.catalog = catalog
        self.packs = packs
        self.profiles = profiles
        self.rules: dict[str, Rule] = {r.ref.id: r for p in packs.values() for r in p.rules}
        #: Position of each rule in library order, to list deciding rules deterministically.
        self.rank: dict[str, int] = {rid: i for i, rid in enumerate(self.rules)}
        self._compiled: dict[tuple[str, ...], object] = {}

    @classmethod
    def load(cls, folder: Path, dates: Mapping[str, dt.date],
             engine: Engine | None = None) -> PolicyLibrary:
        """Load schema, directory, catalog, every pack folder and the profiles."""
        directory = Directory.from_mapping(_yaml(folder / "agencies.yaml"), source="agencies.yaml")
        catalog = Catalog.from_mapping(_yaml(folder / "datasets.yaml"), source="datasets.yaml")
        for ds in catalog:
            directory.get(ds.keeper, field=f"datasets.yaml: {ds.id}.keeper")
        if engine is None:
            schema = (folder / "schema.cedarschema").read_text(encoding="utf-8")
            engine = CedarEngine(schema, json.dumps(entities(directory, catalog)))
        packs: dict[str, Pack] = {}
        seen_rules: set[str] = set()
        for sub in sorted(p for p in folder.iterdir() if (p / "manifest.yaml").exists()):
            pack = load_pack(sub, engine, dates)
            dup = seen_rules & {r.ref.id for r in pack.rules}
            if dup:
                raise PolicyLoadError(f"duplicate rule id(s) {sorted(dup)}", source=sub.name)
            seen_rules |= {r.ref.id for r in pack.rules}
            packs[pack.id] = pack
        profiles = _profiles(_yaml(folder / "profiles.yaml"), packs, directory)
        return cls(engine, directory, catalog, packs, profiles)

    @cached_property
    def named_literals(self) -> frozenset[str]:
        """Every string literal some policy of some pack compares (read from the engine's
        parse, so comments, annotations and entity ids are not among them).

        >>> from sanctuarygate.policy.default import default_library
        >>> "detainer" in default_library().named_literals
        True
        """
        return frozenset(lit for r in self.rules.values() for lit in r.read.literals)

    def profile(self, profile_id: str) -> Profile:
        try:
            return self.profiles[profile_id]
        except KeyError:
            raise UnknownProfileError(profile_id, known=tuple(self.profiles)) from None

    def packs_for(self, profile_id: str, day: dt.date, extra: tuple[str, ...] = (),
                  without: frozenset[str] = frozenset()) -> tuple[Pack, ...]:
        """The packs in force for a place on a day, plus any packs added for a what-if, less
        the packs in ``without`` (a what-if that repeals them: ``sanctuarygate replay``)."""
        for pid in without:
            if pid not in self.packs:
                raise InputError(f"unknown pack {pid!r}", field="without")
        chosen = [self.packs[p] for p in self.profile(profile_id).packs
                  if self.packs[p].in_force(day) and p not in without]
        for pid in extra:
            if pid not in self.packs:
                raise InputError(f"unknown pack {pid!r}", field="extra_packs")
            if self.packs[pid] not in chosen:
                chosen.append(self.packs[pid])
        return tuple(chosen)

    def facts_read(self, packs: tuple[Pack, ...], action: str) -> frozenset[str]:
        """The request facts that rules of these packs read for this action: resource facts as
        ``resource.NAME`` and the context attributes beyond purpose and document (``assistance``,
        ``truth_act_notice_given``, ``onward_recipients`` for the onward flags, ``document.attachments``).
        The desk asks each of them, and sends those not answered as ``unknown``."""
        out: set[str] = set()
        for pack in packs:
            for rule in pack.rules:
                if not rule.may_apply_to(action):
                    continue
                out |= {p for p in rule.read.context_paths
                        if p.startswith("resource.") or p == "document.attachments"}
                out |= rule.read.context_reads & {"assistance", "truth_act_notice_given", "use"}
                if rule.read.context_reads & {"onward_immigration", "onward_civil_immigration",
                                         "onward_referral", "onward_dhs"}:
                    out.add("onward_recipients")
        return frozenset(out)

    def compiled(self, packs: tuple[Pack, ...]) -> object:
        """The engine handle for exactly these packs, parsed once and kept."""
        key = tuple(p.id for p in packs)
        handle = self._compiled.get(key)
        if handle is None:
            handle = self.engine.compile("\n".join(p.text for p in packs) or "")
            self._compiled[key] = handle
        return handle


def entities(directory: Directory, catalog: Catalog) -> list[dict[str, Any]]:
    """The static Cedar entity store: agencies, employees of city departments, datasets, fields."""
    out: list[dict[str, Any]] = []
    for a in directory:
        parents = [{"type": "Agency", "id": a.parent}] if a.parent else []
        out.append({"uid": {"type": "Agency", "id": a.id}, "parents": parents, "attrs": {
            "level": a.level, "federal": a.level in ("federal", "military"),
            "immigration_agency": a.immigration_agency, "title8": a.title8,
            "law_enforcement": a.law_enforcement,
            "refers_to_immigration": a.refers_to_immigration,
            "jurisdiction": a.jurisdiction or ""}})
        if a.level in EMPLOYER_LEVELS:
            out.append({"uid": {"type": "Employee", "id": a.id},
                        "parents": [{"type": "Agency", "id": a.id}],
                        "attrs": {"law_enforcement": a.law_enforcement,
                                  "jurisdiction": a.jurisdiction or ""}})
    for ds in catalog:
        keeper_le = directory.get(ds.keeper).law_enforcement
        out.append({"uid": {"type": "Dataset", "id": ds.id}, "parents": [], "attrs": {
            "keeper": ds.keeper, "law_enforcement": keeper_le, "tags": sorted(ds.tags)}})
        for name, tags in ds.fields:
            out.append({"uid": {"type": "Field", "id": f"{ds.id}.{name}"},
                        "parents": [{"type": "Dataset", "id": ds.id}],
                        "attrs": {"keeper": ds.keeper, "law_enforcement": keeper_le,
                                  "tags": sorted(tags)}})
    return out


def _yaml(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyLoadError(str(exc), source=path.name) from exc
    if not isinstance(data, Mapping):
        raise PolicyLoadError("must be a mapping", source=path.name)
    return data


def _profiles(data: Mapping[str, Any], packs: Mapping[str, Pack],
              directory: Directory) -> dict[str, Profile]:
    raw = data.get("profiles") or {}
    resolved: dict[str, Profile] = {}

    def resolve(pid: str, trail: tuple[str, ...]) -> tuple[str, ...]:
        if pid in trail:
            raise PolicyLoadError(f"profile cycle {' > '.join((*trail, pid))}",
                                  source="profiles.yaml")
        if pid not in raw:
            raise PolicyLoadError(f"unknown profile {pid!r}", source="profiles.yaml")
        entry = raw[pid]
        out: list[str] = []
        for inc in entry.get("includes") or ():
            out += [p for p in resolve(inc, (*trail, pid)) if p not in out]
        for p in entry.get("packs") or ():
            if p not in packs:
                raise PolicyLoadError(f"{pid}: unknown pack {p!r}", source="profiles.yaml")
            if packs[p].kind == "proposal":
                raise PolicyLoadError(f"{pid}: a proposal ({p}) cannot bind a profile",
                                      source="profiles.yaml")
            if p not in out:
                out.append(p)
        return tuple(out)

    served_by: dict[str, str] = {}
    for pid, entry in raw.items():
        keepers = tuple(entry.get("keepers") or ())
        for k in keepers:
            if k not in directory:
                raise PolicyLoadError(f"{pid}: unknown keeper agency {k!r}", source="profiles.yaml")
            if served_by.setdefault(k, pid) != pid:
                raise PolicyLoadError(f"{pid}: keeper {k} is already served by {served_by[k]}; a "
                                      "keeper's data is served under one place's rules",
                                      source="profiles.yaml")
        title = str(entry.get("title") or pid)
        resolved[pid] = Profile(pid, title, resolve(pid, ()), keepers,
                                _default(pid, title, entry.get("default") or data.get("default")))
    return resolved


def _default(pid: str, title: str, entry: Any) -> RuleRef:
    """A profile's default (``profiles.yaml``), as the rule it is cited as: ``<profile>/default``,
    effect ``default``. Its citation, summary and confidence are required."""
    if not isinstance(entry, Mapping) or not all(
            isinstance(entry.get(k), str) and entry[k].strip()
            for k in ("citation", "summary", "confidence")):
        raise PolicyLoadError(f"{pid}: the default needs a citation, a summary and a confidence",
                              source="profiles.yaml")
    if entry["confidence"] not in CONFIDENCE:
        raise PolicyLoadError(f"{pid}: the default's confidence must be C, P or U",
                              source="profiles.yaml")
    return RuleRef(f"{pid}/default", entry["citation"].strip(),
                   entry["summary"].strip().replace("{place}", title), "default", "",
                   entry["confidence"])
