"""The policy engine: the one module that imports cedarpy.

Everything else talks to the small :class:`Engine` protocol, so tests can use a fake and the
engine could be swapped. Handles (schema, entities, policy sets) are parsed once and reused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cedarpy

from sanctuarygate.errors import PolicyEvaluationError, PolicyLoadError


@dataclass(frozen=True, slots=True)
class ParsedPolicy:
    """One policy as the engine read it: its effect and its annotations."""

    effect: str
    annotations: dict[str, str]
    #: The action ids its scope names (``None``: every action).
    actions: frozenset[str] | None = None
    #: The ``context`` attributes its conditions read.
    context_reads: frozenset[str] = frozenset()


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
        return [ParsedPolicy(p["effect"], dict(p.get("annotations") or {}), _scope(p["action"]),
                             frozenset(_context_reads(p.get("conditions"))))
                for _, p in ordered]

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
