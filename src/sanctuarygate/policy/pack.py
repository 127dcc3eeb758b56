"""Policy packs: one folder per legal instrument, a manifest and cited Cedar rules.

A pack folder holds ``manifest.yaml`` (id, title, jurisdiction, kind, version, effective dates,
sources, confidence) and ``rules.cedar``. Every rule carries ``@id("<pack>/<name>")``,
``@citation`` and ``@summary``; it may carry ``@confidence`` (C, P or U; the manifest's by
default), ``@obligations("kind=v1,v2; kind")`` and ``@outcome("review")``. A pack that lacks any
of these, or whose rules do not validate against the schema, fails to load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from sanctuarygate.domain.decision import Obligation, PackRef, RuleRef
from sanctuarygate.domain.vocabulary import ACTIONS, OBLIGATION_KINDS
from sanctuarygate.errors import PolicyLoadError
from sanctuarygate.policy.engine import Engine, ParsedPolicy

KINDS = frozenset({"statute", "ordinance", "resolution", "executive-order", "directive", "proposal"})
CONFIDENCE = frozenset({"C", "P", "U"})
ANNOTATIONS = frozenset({"id", "citation", "summary", "confidence", "obligations", "outcome",
                         "public_id", "public_citation"})
#: Facts about a person's record that a rule may read; such a rule must say how the public log
#: names it (``@public_id``, ``@public_citation``), so a logged answer does not publish, e.g.,
#: that the unnamed person is in a gang database. A pack that forgets fails to load.
PERSON_RECORD_FACTS = frozenset({
    "resource.gang_database", "resource.felony_conviction", "resource.pending_felony_charge",
    "resource.outstanding_criminal_warrant", "resource.has_detainer", "resource.watch_list_match",
})


@dataclass(frozen=True, slots=True)
class Rule:
    """One cited rule of a pack."""

    ref: RuleRef
    obligations: tuple[Obligation, ...]
    review: bool
    #: What the engine read of it: the actions its scope names (``None``: every action), the
    #: context, principal and resource attributes it reads, the literals, entities and ``like``
    #: patterns it names (see :class:`~sanctuarygate.policy.engine.ParsedPolicy`).
    read: ParsedPolicy

    def may_apply_to(self, action: str) -> bool:
        """Whether the rule can apply to ``action``: its scope names it, names an action group
        (which may hold it), or names no action."""
        actions = self.read.actions
        return actions is None or action in actions or not actions <= ACTIONS


@dataclass(frozen=True, slots=True)
class Pack:
    """A loaded, validated pack."""

    id: str
    title: str
    jurisdiction: str
    kind: str
    version: str
    effective_from: dt.date | None
    effective_until: dt.date | None
    confidence: str
    sources: tuple[str, ...]
    notes: str
    text: str
    rules: tuple[Rule, ...]
    digest: str
    manifest: Mapping[str, Any]

    @property
    def ref(self) -> PackRef:
        return PackRef(self.id, self.version, self.digest)

    def in_force(self, day: dt.date) -> bool:
        """True when the pack binds on ``day``; a proposal never does by itself.

        The until date is exclusive: the day a replacement takes effect, the old text stops.
        """
        if self.kind == "proposal" or self.effective_from is None:
            return False
        if day < self.effective_from:
            return False
        return self.effective_until is None or day < self.effective_until


def load_pack(folder: Path, engine: Engine, dates: Mapping[str, dt.date]) -> Pack:
    """Load and validate one pack folder.

    ``dates`` resolves manifest dates written as ``{setting: NAME}`` (dates that REFERENCE.md
    marks unconfirmed are configuration, not constants).
    """
    source = folder.name
    manifest_path, rules_path = folder / "manifest.yaml", folder / "rules.cedar"
    if not manifest_path.is_file() or not rules_path.is_file():
        raise PolicyLoadError("a pack needs manifest.yaml and rules.cedar", source=source)
    manifest_bytes, rules_bytes = manifest_path.read_bytes(), rules_path.read_bytes()
    try:
        manifest = yaml.safe_load(manifest_bytes)
    except yaml.YAMLError as exc:
        raise PolicyLoadError(f"manifest is not YAML: {exc}", source=source) from exc
    if not isinstance(manifest, Mapping):
        raise PolicyLoadError("manifest must be a mapping", source=source)
    for key in ("id", "title", "jurisdiction", "kind", "version", "confidence", "sources"):
        if not manifest.get(key):
            raise PolicyLoadError(f"manifest lacks {key!r}", source=source)
    if manifest["id"] != folder.name:
        raise PolicyLoadError(f"manifest id {manifest['id']!r} is not the folder name",
                              source=source)
    if manifest["kind"] not in KINDS:
        raise PolicyLoadError(f"kind must be one of {sorted(KINDS)}", source=source)
    if manifest["confidence"] not in CONFIDENCE:
        raise PolicyLoadError("confidence must be C, P or U", source=source)
    start = _date(manifest.get("effective_from"), "effective_from", dates, source)
    until = _date(manifest.get("effective_until"), "effective_until", dates, source)
    if start is None and manifest["kind"] != "proposal":
        raise PolicyLoadError("effective_from is required (only a proposal has none)",
                              source=source)
    if start and until and until <= start:
        raise PolicyLoadError("effective_until must be after effective_from", source=source)

    text = rules_bytes.decode("utf-8")
    engine.validate(text, source=f"{source}/rules.cedar")
    parsed = engine.parse(text, source=f"{source}/rules.cedar")
    if not parsed:
        raise PolicyLoadError("rules.cedar holds no rules", source=source)
    rules = tuple(_rule(p, manifest, source) for p in parsed)
    _check_confidence(manifest, rules, source)
    digest = hashlib.sha256(manifest_bytes + b"\0" + rules_bytes).hexdigest()[:16]
    return Pack(
        id=manifest["id"], title=manifest["title"], jurisdiction=manifest["jurisdiction"],
        kind=manifest["kind"], version=str(manifest["version"]), effective_from=start,
        effective_until=until, confidence=manifest["confidence"],
        sources=tuple(manifest["sources"]), notes=str(manifest.get("notes") or "").strip(),
        text=text, rules=rules, digest=digest, manifest=manifest,
    )


#: Confidence tags from most to least certain.
CONFIDENCE_ORDER = ("C", "P", "U")


def _check_confidence(manifest: Mapping[str, Any], rules: tuple[Rule, ...], source: str) -> None:
    """A pack can be no more certain than its least certain rule, and a pack whose effective
    date is a setting (a date the legal reference marks unconfirmed) is at most P."""
    stated = CONFIDENCE_ORDER.index(manifest["confidence"])
    floor = max(CONFIDENCE_ORDER.index(r.ref.confidence) for r in rules)
    dated = any(isinstance(manifest.get(k), Mapping) for k in ("effective_from", "effective_until"))
    if dated:
        floor = max(floor, CONFIDENCE_ORDER.index("P"))
    if stated < floor:
        why = "its effective date is unconfirmed (a setting)" if dated else "a rule is less certain"
        raise PolicyLoadError(f"manifest confidence {manifest['confidence']} is higher than "
                              f"{CONFIDENCE_ORDER[floor]}: {why}", source=source)


def _date(value: Any, key: str, dates: Mapping[str, dt.date], source: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, Mapping) and "setting" in value:
        name = value["setting"]
        if name not in dates:
            raise PolicyLoadError(f"{key} refers to unknown setting {name!r}", source=source)
        return dates[name]
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PolicyLoadError(f"{key} must be a date, null or {{setting: NAME}}; got {value!r}",
                          source=source)


def _rule(parsed: ParsedPolicy, manifest: Mapping[str, Any], source: str) -> Rule:
    effect, notes = parsed.effect, parsed.annotations
    rid = notes.get("id", "")
    where = f"{source}: rule {rid or '(without @id)'}"
    unknown = set(notes) - ANNOTATIONS
    if unknown:
        raise PolicyLoadError(f"{where}: unknown annotation(s) {sorted(unknown)}")
    if not rid.startswith(f"{manifest['id']}/"):
        raise PolicyLoadError(f"{where}: @id must start with '{manifest['id']}/'")
    for key in ("citation", "summary"):
        if not notes.get(key, "").strip():
            raise PolicyLoadError(f"{where}: @{key} is required")
    confidence = notes.get("confidence", manifest["confidence"])
    if confidence not in CONFIDENCE:
        raise PolicyLoadError(f"{where}: @confidence must be C, P or U")
    outcome = notes.get("outcome")
    if outcome not in (None, "review"):
        raise PolicyLoadError(f"{where}: @outcome may only be 'review'")
    eff: Literal["permit", "forbid"] = "permit" if effect == "permit" else "forbid"
    if eff == "forbid" and (outcome or "obligations" in notes):
        raise PolicyLoadError(f"{where}: a forbid rule carries no @outcome or @obligations")
    public_id, public_citation = _public_ref(parsed, notes, str(manifest["id"]), where)
    ref = RuleRef(rid, notes["citation"].strip(), notes["summary"].strip(), eff,
                  str(manifest["id"]), confidence, public_id, public_citation)
    return Rule(ref, parse_obligations(notes.get("obligations", ""), rid, where), outcome is not None,
                parsed)


def _public_ref(parsed: ParsedPolicy, notes: Mapping[str, str], pack: str,
                where: str) -> tuple[str, str]:
    """The rule's public reference: both annotations or neither, and required when the rule
    reads a fact of the person's record (see :data:`PERSON_RECORD_FACTS`)."""
    public_id = notes.get("public_id", "").strip()
    public_citation = notes.get("public_citation", "").strip()
    if bool(public_id) != bool(public_citation):
        raise PolicyLoadError(f"{where}: @public_id and @public_citation go together")
    if public_id and not public_id.startswith(f"{pack}/"):
        raise PolicyLoadError(f"{where}: @public_id must start with '{pack}/'")
    reads = {p for p in parsed.context_paths if p in PERSON_RECORD_FACTS
             or p.startswith("resource.violent_conviction")}
    if reads and not public_id:
        raise PolicyLoadError(f"{where}: it reads {', '.join(sorted(reads))}, a fact of the "
                              "person's record: give @public_id and @public_citation (a coarser "
                              "reference for the public log)")
    return public_id, public_citation


def parse_obligations(text: str, rule_id: str, where: str = "") -> tuple[Obligation, ...]:
    """Parse ``"mask-fields=immigration,citizenship; no-notice-to-immigration"``.

    >>> [o.kind for o in parse_obligations("mask-fields=a,b; purpose-limit=x", "r")]
    ['mask-fields', 'purpose-limit']
    """
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        kind, _, values = part.partition("=")
        kind = kind.strip()
        if kind not in OBLIGATION_KINDS:
            raise PolicyLoadError(f"{where}: unknown obligation kind {kind!r}")
        obligation = Obligation(kind, tuple(v.strip() for v in values.split(",") if v.strip()),
                                rule_id)
        if kind == "rows-where":  # the syntax, here; the field and value types, at planning
            try:
                obligation.row_condition()
            except ValueError as exc:
                raise PolicyLoadError(f"{where}: {exc}") from None
        out.append(obligation)
    return tuple(out)


