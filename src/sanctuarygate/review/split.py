"""The rules on each side of a review: which fact would change the answer, what each side gives.

A ``review`` whose facts are not known (``unknown``) was decided both ways and the two ways
disagreed. :func:`sides` decides the request again with each such fact set, one at a time, so
the reviewer sees "if the warrant has been verified: allow (rule X); if not: deny (rule Y)".
:func:`clauses` lists the citations a reviewer may rely on: those of the rules in force for the
request, the rules of its sides first.

>>> from sanctuarygate.policy.default import default_decider
>>> from sanctuarygate.domain.request import parse_request
>>> asked = parse_request({"profile": "chicago", "date": "2025-11-03",
...     "principal": {"agency": "FBI"}, "action": "transfer-custody",
...     "resource": {"type": "Person", "in_custody": True},
...     "context": {"purpose": "criminal-investigation",
...                 "document": {"kind": "federal-criminal-warrant", "verified": "unknown"}}})
>>> [(s.fact, s.value, s.outcome) for s in sides(default_decider(), asked)]
[('document.verified', True, 'allow'), ('document.verified', False, 'review')]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sanctuarygate.domain.decision import Decision, RuleRef
from sanctuarygate.domain.request import UNKNOWN, Request
from sanctuarygate.policy.decide import KNOWN_PURPOSES, Decider

#: The most sides shown (an unknown purpose alone has one side per purpose).
SIDES_MAX = 24


@dataclass(frozen=True, slots=True)
class Side:
    """The answer when ``fact`` is ``value`` (the other unknown facts left unknown)."""

    fact: str
    value: bool | str
    outcome: str
    rules: tuple[RuleRef, ...]


def sides(decider: Decider, request: Request) -> list[Side]:
    """For each fact not known, the decision with that fact set each way it can be."""
    found: list[Side] = []
    for fact in request.unknown_facts():
        values: tuple[bool | str, ...] = KNOWN_PURPOSES if fact == "purpose" else (True, False)
        for value in values:
            decision = decider.decide(with_fact(request, fact, value))
            found.append(Side(fact, value, decision.outcome, decision.rules))
            if len(found) >= SIDES_MAX:
                return found
    return found


def with_fact(request: Request, fact: str, value: bool | str) -> Request:
    """``request`` with one unknown fact (as ``Request.unknown_facts`` names it) set."""
    ctx = request.context
    if fact == "purpose":
        return dataclasses.replace(request, context=dataclasses.replace(ctx, purpose=str(value)))
    if fact == "document.verified":
        document = dataclasses.replace(ctx.document, verified=bool(value))
        return dataclasses.replace(request, context=dataclasses.replace(ctx, document=document))
    if fact == "truth_act_notice_given":
        return dataclasses.replace(request, context=dataclasses.replace(
            ctx, truth_act_notice_given=bool(value)))
    name = fact.removeprefix("resource.")
    facts = tuple((k, value if k == name and v == UNKNOWN else v)
                  for k, v in request.resource.facts)
    return dataclasses.replace(request, resource=dataclasses.replace(request.resource,
                                                                     facts=facts))


def clauses(decider: Decider, request: Request, decision: Decision | None = None,
            split: list[Side] | None = None) -> list[str]:
    """The citations a reviewer may rely on: the decision's and its sides' rules first, then
    every other rule of the packs in force for the request, each once."""
    first = [r.citation for r in (decision.rules if decision else ())]
    first += [r.citation for s in (split or []) for r in s.rules]
    packs = decider.library.packs_for(request.profile, request.date, request.extra_packs)
    rest = sorted({rule.ref.citation for pack in packs for rule in pack.rules})
    return list(dict.fromkeys([*first, *rest]))
