"""Scenario files: cases the rules must answer, in the format of shared/legal/scenarios.yaml.

``run_file(path, decider)`` returns one :class:`CaseResult` per case; a case passes when the
outcome is the expected one (or one of a list), every expected ``cites`` string appears in one of
the deciding citations, and every expected condition is among the obligations.

A case is a request plus the keys of :data:`SCENARIO_KEYS` (its id, what is expected, a note);
:func:`case_request` takes those off before the request is parsed, so the request parser reads
requests only. Any other key is the parser's to accept or refuse (a typo is an error, never
dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import InputError, SanctuaryGateError
from sanctuarygate.policy.decide import Decider

#: The keys of a scenario case that are not part of its request.
SCENARIO_KEYS = frozenset({"id", "expect", "note"})


@dataclass(frozen=True, slots=True)
class CaseResult:
    file: str
    id: str
    passed: bool
    reason: str
    decision: Decision | None


def load_cases(path: Path) -> list[Mapping[str, Any]]:
    """The cases of a scenario file; a malformed file raises InputError naming it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read scenarios: {exc}") from exc
    cases = data.get("cases") if isinstance(data, Mapping) else None
    if not isinstance(cases, list):
        raise InputError(f"{path}: a scenario file needs a list under 'cases'")
    ids = [str(c.get("id")) for c in cases if isinstance(c, Mapping)]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise InputError(f"{path}: duplicate case id(s) {', '.join(map(str, dups))}")
    return cases


def case_request(case: Mapping[str, Any]) -> Request:
    """The request a scenario case asks: the case without its scenario keys, parsed.

    >>> r = case_request({"id": "x", "note": "n", "expect": {"outcome": "deny"},
    ...     "profile": "illinois", "date": "2024-02-01", "principal": {"agency": "FBI"},
    ...     "action": "detain", "resource": {"type": "Person"}})
    >>> r.principal.id, r.action
    ('FBI', 'detain')
    """
    return parse_request({k: v for k, v in case.items() if k not in SCENARIO_KEYS})


def check_case(case: Mapping[str, Any], decider: Decider) -> tuple[bool, str, Decision | None]:
    """Decide one case and compare it with its ``expect``."""
    expect = case.get("expect")
    if not isinstance(expect, Mapping) or "outcome" not in expect:
        return False, "case has no expect.outcome", None
    try:
        decision = decider.decide(case_request(case))
    except SanctuaryGateError as exc:
        return False, f"error: {exc}", None
    wanted = expect["outcome"]
    wanted_set = set(wanted) if isinstance(wanted, list) else {wanted}
    problems = []
    if decision.outcome not in wanted_set:
        problems.append(f"outcome {decision.outcome}, expected {'/'.join(sorted(wanted_set))}")
    citations = decision.citations
    for cite in expect.get("cites") or ():
        if not any(cite in c for c in citations):
            problems.append(f"no deciding citation contains {cite!r} (got: {'; '.join(citations) or 'none'})")
    kinds = {o.kind for o in decision.obligations}
    for cond in expect.get("conditions") or ():
        if cond not in kinds:
            problems.append(f"condition {cond!r} missing (got: {', '.join(sorted(kinds)) or 'none'})")
    return not problems, "; ".join(problems), decision


def run_file(path: Path, decider: Decider) -> list[CaseResult]:
    """Run every case of one scenario file."""
    out = []
    for i, case in enumerate(load_cases(path)):
        cid = str(case.get("id") or f"case-{i + 1}") if isinstance(case, Mapping) else f"case-{i + 1}"
        if not isinstance(case, Mapping):
            out.append(CaseResult(str(path), cid, False, "case is not a mapping", None))
            continue
        passed, reason, decision = check_case(case, decider)
        out.append(CaseResult(str(path), cid, passed, reason, decision))
    return out
