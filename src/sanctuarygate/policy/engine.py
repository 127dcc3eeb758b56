"""The policy engine: the one module that imports cedarpy.

Everything else talks to the small :class:`Engine` protocol, so tests can use a fake and the
engine could be swapped. Handles (schema, entities, policy sets) are parsed once and reused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import cedarpy

from sanctuarygate.errors import PolicyEvaluationError, PolicyLoadError

#: A ``like`` pattern: literal characters, and ``None`` for each ``*`` wildcard.
Pattern: TypeAlias = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class ParsedPolicy:
    """One policy as the engine read it: its effect and its annotations."""

    effect: str
    annotations: dict[str, str]
    #: The action ids its scope names (``None``: every action).
    actions: frozenset[str] | None = None
    #: The ``context`` attributes its conditions read.
    context_reads: frozenset[str] = frozenset()
    #: The string literals its conditions compare (``"detainer"``; never annotation text,
    #: comments or entity ids).
    literals: frozenset[str] = frozenset()
    #: The entities it names, as (type, id), in its scope and its conditions.
    entities: frozenset[tuple[str, str]] = frozenset()
    #: The ``principal`` and ``resource`` attributes it reads (``principal.federal``).
    principal_reads: frozenset[str] = frozenset()
    resource_reads: frozenset[str] = frozenset()
    #: The ``like`` patterns it matches strings against, each a tuple of literal characters
    #: and ``None`` for a wildcard.
    patterns: frozenset[Pattern] = frozenset()
    #: The paths it reads under ``context``, as far as it reads them: ``"resource.kind"`` for
    #: ``context.resource.kind`` (or ``context.resource has kind``), ``"resource"`` for the whole
    #: record, ``""`` for ``context`` itself.
    context_paths: frozenset[str] = frozenset()
    #: It compares two values neither of which is written in it (``principal.jurisdiction ==
    #: resource.keeper``): then strings that no policy names can still be told apart.
    compares_values: bool = False


@dataclass(frozen=True, slots=True)
class EngineResult:
    """The engine's raw answer: ``Allow``, ``Deny`` or ``NoDecision``, and the ``@id`` of each
    policy that determined it."""

    decision: str
    reasons: tuple[str, ...]
    errors: tuple[str, ...]


class Engine(Protocol):
    """What the rest of the project needs from a policy engine."""

    def parse(self, text: str, *, source: str) -> list[ParsedPolicy]: ...

    def validate(self, text: str, *, source: str) -> None: ...

    def compile(self, text: str) -> object: ...

    def evaluate(self, compiled: object, requests: Sequence[dict[str, Any]]) -> list[EngineResult]:
        ...


class CedarEngine:
    """Cedar through cedarpy, with a schema and a static entity store parsed once.

    >>> import json
    >>> e = CedarEngine("entity A; action \\"go\\" appliesTo {principal: A, resource: A};",
    ...                 json.dumps([]))
    >>> ps = e.compile('@id("p") permit(principal, action, resource);')
    >>> e.evaluate(ps, [{"principal": 'A::"x"', "action": 'Action::"go"',
    ...                  "resource": 'A::"y"', "context": {}}])[0].decision
    'Allow'
    """

    def __init__(self, schema_text: str, entities_json: str) -> None:
        try:
            self.schema = cedarpy.Schema.from_str(schema_text)
        except ValueError as exc:
            raise PolicyLoadError(f"schema does not parse: {exc}", source="schema") from exc
        try:
            self.entities = cedarpy.Entities.from_json_str(entities_json, self.schema)
        except ValueError as exc:
            raise PolicyLoadError(f"entities do not fit the schema: {exc}",
                                  source="entities") from exc

    def parse(self, text: str, *, source: str) -> list[ParsedPolicy]:
        """Read each policy's effect and annotations, in file order."""
        try:
            data = json.loads(cedarpy.policies_to_json_str(text))
        except ValueError as exc:
            raise PolicyLoadError(f"does not parse: {exc}", source=source) from exc
        if data.get("templates"):
            raise PolicyLoadError("templates are not allowed in packs", source=source)
        policies = data.get("staticPolicies", {})
        ordered = sorted(policies.items(), key=lambda kv: int(kv[0].removeprefix("policy")))
        return [_parsed(p) for _, p in ordered]

    def validate(self, text: str, *, source: str) -> None:
        """Check the policies against the schema; raise PolicyLoadError listing the errors."""
        result = cedarpy.validate_policies(text, self.schema)
        if not result.validation_passed:
            errors = "; ".join(str(e) for e in result.errors)
            raise PolicyLoadError(f"does not validate against the schema: {errors}", source=source)

    def compile(self, text: str) -> object:
        """Parse a policy set once into a reusable handle."""
        try:
            return cedarpy.PolicySet.from_str(text)
        except ValueError as exc:
            raise PolicyLoadError(f"policy set does not parse: {exc}") from exc

    def evaluate(self, compiled: object, requests: Sequence[dict[str, Any]]) -> list[EngineResult]:
        """Evaluate requests against a compiled policy set. Never raises an allow on error:
        an engine failure raises :class:`PolicyEvaluationError`."""
        try:
            results = cedarpy.is_authorized_batch(list(requests), compiled,  # type: ignore[arg-type]
                                                  self.entities, self.schema)
        except Exception as exc:  # the engine itself failed: fail closed, loudly
            raise PolicyEvaluationError(f"policy engine failed: {exc}") from exc
        out = []
        for res in results:
            diag = res.diagnostics
            names = diag.id_annotations_by_reason
            raw = diag.reasons
            out.append(EngineResult(res.decision.value, tuple(map(names.get, raw, raw)),
                                    tuple(diag.errors)))
        return out


def _parsed(policy: dict[str, Any]) -> ParsedPolicy:
    """What the project reads of one policy in Cedar's JSON policy format."""
    conditions = policy.get("conditions")
    names = _Names()
    for part in ("principal", "action", "resource"):
        names.scope(policy[part])
    names.walk(conditions)
    return ParsedPolicy(
        policy["effect"], dict(policy.get("annotations") or {}), _scope(policy["action"]),
        frozenset(_context_reads(conditions)), frozenset(names.literals),
        frozenset(names.entities), frozenset(names.reads["principal"]),
        frozenset(names.reads["resource"]), frozenset(names.patterns),
        frozenset(names.context_paths), names.compares_values)


class _Names:
    """Collects what a policy names, walking Cedar's JSON policy format."""

    def __init__(self) -> None:
        self.literals: set[str] = set()
        self.entities: set[tuple[str, str]] = set()
        self.patterns: set[Pattern] = set()
        self.reads: dict[str, set[str]] = {"principal": set(), "resource": set()}
        self.context_paths: set[str] = set()
        self.compares_values = False

    def scope(self, constraint: dict[str, Any]) -> None:
        """A scope constraint: ``==``/``in`` an entity (or a list of them), ``is T in E``."""
        inner = constraint.get("in")
        for holder in (constraint, inner if isinstance(inner, dict) else {}):
            for ref in [holder["entity"]] if "entity" in holder else holder.get("entities") or ():
                self.entities.add((ref["type"], ref["id"]))

    def walk(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item)
            return
        if not isinstance(node, dict):
            return
        for op, inner in node.items():
            if op == "Value":
                self.value(inner)
            elif op == "Record" and isinstance(inner, dict):
                self.walk(list(inner.values()))  # keys are attribute names, not literals
            elif op == "like" and isinstance(inner, dict):
                self.patterns.add(tuple(None if piece == "Wildcard" else piece["Literal"]
                                        for piece in inner["pattern"]))
                self.walk(inner["left"])
            elif op in (".", "has") and isinstance(inner, dict):
                chain = _chain(inner["left"])
                if chain is None:
                    self.walk(inner["left"])
                    continue
                root, *attrs = (*chain, inner["attr"])
                if root == "context":
                    self.context_paths.add(".".join(attrs))
                elif root in self.reads:
                    self.reads[root].add(attrs[0])
            elif op == "Var" and inner == "context":
                self.context_paths.add("")  # context used whole
            else:
                if op in COMPARISONS and isinstance(inner, dict) and not (
                        _constant(inner.get("left")) or _constant(inner.get("right"))):
                    self.compares_values = True
                self.walk(inner)

    def value(self, value: Any) -> None:
        """A literal value: a string, an entity reference, or a set/record/extension of them."""
        if isinstance(value, str):
            self.literals.add(value)
        elif isinstance(value, list):
            for item in value:
                self.value(item)
        elif isinstance(value, dict):
            ref = value.get("__entity")
            if isinstance(ref, dict):
                self.entities.add((ref["type"], ref["id"]))
                return
            for item in value.values():
                self.value(item)


#: Operators that compare two values (for ``contains``: a set and an element).
COMPARISONS = frozenset({"==", "!=", "contains", "containsAll", "containsAny"})


def _constant(node: Any) -> bool:
    """A value written in the policy: a literal, or a set or record of them.

    >>> _constant({"Set": [{"Value": "a"}]}), _constant({"Var": "context"})
    (True, False)
    """
    if not isinstance(node, dict) or len(node) != 1:
        return False
    ((op, inner),) = node.items()
    if op == "Value":
        return True
    if op == "Set" and isinstance(inner, list):
        return all(map(_constant, inner))
    if op == "Record" and isinstance(inner, dict):
        return all(map(_constant, inner.values()))
    return False


def _chain(node: Any) -> tuple[str, ...] | None:
    """``context.document.kind`` as ``("context", "document", "kind")``; None for anything but
    a variable followed by attribute names."""
    if isinstance(node, dict):
        if isinstance(node.get("Var"), str) and len(node) == 1:
            return (node["Var"],)
        inner = node.get(".")
        if isinstance(inner, dict) and len(node) == 1:
            head = _chain(inner["left"])
            return None if head is None else (*head, inner["attr"])
    return None


def _scope(action: dict[str, Any]) -> frozenset[str] | None:
    """The action ids named by a policy's action scope (Cedar's JSON policy format)."""
    if action.get("op") == "All":
        return None
    named = action.get("entities") or [action["entity"]]
    return frozenset(e["id"] for e in named)


#: In a rule's ``context_reads``: the rule uses ``context`` whole (not one attribute by name).
EVERY_ATTRIBUTE = "*"


def _context_reads(node: Any) -> set[str]:
    """Every ``context.X`` (or ``context has X``) in a JSON policy expression; a use of
    ``context`` as a whole (``context == {...}``) reads every attribute: ``*``.

    >>> sorted(_context_reads({".": {"left": {"Var": "context"}, "attr": "channel"}}))
    ['channel']
    >>> sorted(_context_reads({"==": {"left": {"Var": "context"}, "right": {"Record": {}}}}))
    ['*']
    """
    found: set[str] = set()
    if isinstance(node, dict):
        if node == {"Var": "context"}:
            return {EVERY_ATTRIBUTE}
        for op, inner in node.items():
            if op in (".", "has") and isinstance(inner, dict) and inner.get("left") == {
                    "Var": "context"}:
                found.add(inner["attr"])
                continue
            found |= _context_reads(inner)
    elif isinstance(node, list):
        for value in node:
            found |= _context_reads(value)
    return found
