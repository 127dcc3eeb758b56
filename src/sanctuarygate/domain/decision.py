"""The answer to a request: never a bare bool.

A :class:`Decision` carries the outcome, the rules that decided it with their citations, a
plain-language explanation and advice for the desk officer, the obligations that come with an
allow, the packs (and versions) that were in force, and any fact that must be checked first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sanctuarygate.domain.vocabulary import FILTER_OPERATORS

Outcome = Literal["allow", "allow-with-conditions", "deny", "review"]


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One rule that decided (or conditioned) an outcome.

    >>> RuleRef("il-trust-2021.15a-detainer", "5 ILCS 805/15(a)", "No holds on detainers.",
    ...         "forbid", "il-trust-2021", "C").citation
    '5 ILCS 805/15(a)'
    """

    id: str
    citation: str
    summary: str
    #: ``default``: no rule matched, and the place's default decided (``profiles.yaml``).
    effect: Literal["permit", "forbid", "default"]
    pack: str
    confidence: str
    #: For the public log, when the rule's own id or clause would reveal a fact about the person
    #: (a gang-database carve-out): a coarser reference to the section, the same for the rules
    #: around it (``@public_id`` / ``@public_citation`` in the pack). Empty: publish as is.
    public_id: str = ""
    public_citation: str = ""

    @property
    def published(self) -> tuple[str, str]:
        """(id, citation) as the public log shows them.

        >>> RuleRef("p/gang-carve-out", "X 1(c)(4)", "", "permit", "p", "P",
        ...         "p/1", "X 1").published
        ('p/1', 'X 1')
        """
        return (self.public_id or self.id, self.public_citation or self.citation)

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "citation": self.citation, "summary": self.summary,
                "effect": self.effect, "pack": self.pack, "confidence": self.confidence}


@dataclass(frozen=True, slots=True)
class Obligation:
    """A condition that travels with an allow, e.g. ``mask-fields`` with the tags to mask."""

    kind: str
    values: tuple[str, ...] = ()
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "values": list(self.values), "rule": self.rule}

    def row_condition(self) -> dict[str, Any]:
        """A ``rows-where=FIELD OP [VALUE][,MORE VALUES for in]`` obligation as an untyped
        filter ``{field, op, value}``; ValueError when its syntax is wrong. The gateway types
        the value by the dataset's catalog when it plans a query.

        >>> Obligation("rows-where", ("status in served", "recalled")).row_condition()
        {'field': 'status', 'op': 'in', 'value': ['served', 'recalled']}
        >>> Obligation("rows-where", ("status like x",)).row_condition()
        Traceback (most recent call last):
        ValueError: rows-where needs FIELD OP [VALUE] with OP one of eq, ne, ...
        """
        parts = self.values[0].split(maxsplit=2) if self.kind == "rows-where" and self.values else []
        unary = len(parts) == 2 and parts[1] in ("is-null", "not-null") and len(self.values) == 1
        binary = (len(parts) == 3 and parts[1] in FILTER_OPERATORS
                  and parts[1] not in ("is-null", "not-null")
                  and (len(self.values) == 1 or parts[1] == "in"))
        if not (unary or binary):
            raise ValueError(f"rows-where needs FIELD OP [VALUE] with OP one of "
                             f"{', '.join(FILTER_OPERATORS)}, got {', '.join(self.values)!r}")
        values = [*parts[2:], *self.values[1:]]
        value = values if parts[1] == "in" else values[0] if values else None
        return {"field": parts[0], "op": parts[1], "value": value}


@dataclass(frozen=True, slots=True)
class PackRef:
    """A pack in force for the decision, with its declared version and content digest."""

    id: str
    version: str
    digest: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "digest": self.digest}


#: The banner every what-if answer carries (desk card, CLI, API).
HYPOTHETICAL = "HYPOTHETICAL — not the law in force: this answer applies packs that are not in force"


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer, with everything needed to explain and audit it.

    >>> d = Decision("deny", rules=(), explanation="No.", advice=("Refuse.",))
    >>> d.allowed
    False
    """

    outcome: Outcome
    rules: tuple[RuleRef, ...] = ()
    explanation: str = ""
    advice: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    packs: tuple[PackRef, ...] = ()
    unresolved_facts: tuple[str, ...] = ()
    profile: str = ""
    date: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        """True for ``allow`` and ``allow-with-conditions`` only."""
        return self.outcome in ("allow", "allow-with-conditions")

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.citation for r in self.rules))

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "explanation": self.explanation,
            "advice": list(self.advice),
            "rules": [r.to_dict() for r in self.rules],
            "obligations": [o.to_dict() for o in self.obligations],
            "unresolved_facts": list(self.unresolved_facts),
            "packs": [p.to_dict() for p in self.packs],
            "profile": self.profile,
            "date": self.date,
            "notes": list(self.notes),
        }
