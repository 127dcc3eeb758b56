"""Every scenario case, shared and per pack, against the default policy library.

* the shared cases, from the repo's own copies in ``tests/legal/`` (so a bare clone runs them):
  ``scenarios.yaml`` (exactly 35) and ``scenarios-claims.yaml`` (the public "a claim is not a
  document" cases); when ``<repo>/../shared/legal/`` is beside the repo, its files run too;
* the cases of every ``packs/<pack-id>/scenarios.yaml``;
* coverage: every rule of the library decides at least one passing pack case, and at least one
  such case names the rule's citation in its expected ``cites``.

Cases whose expectation (taken from REFERENCE.md) the engine does not meet yet are listed in
``KNOWN_DISAGREEMENTS`` and marked as strict expected failures, so that the law stays written
down and a fix shows up as an unexpected pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from sanctuarygate.domain.decision import Decision
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider, default_library
from sanctuarygate.policy.scenario import check_case, load_cases

REPO = Path(__file__).resolve().parents[2]
SHARED_FILE = REPO / "tests" / "legal" / "scenarios.yaml"
CLAIMS_FILE = REPO / "tests" / "legal" / "scenarios-claims.yaml"
SHARED_CASE_COUNT = 35
#: The team's shared folder, when it sits beside the repo (CI has it; a bare clone does not).
OUTSIDE = [p for p in (REPO.parent / "shared" / "legal").glob("scenarios*.yaml")]
PACKS_DIR = REPO / "src" / "sanctuarygate" / "packs"
PACK_FILES = tuple(sorted(PACKS_DIR.glob("*/scenarios.yaml")))

#: Case id -> why the engine answers differently from the law. Each is a strict xfail.
KNOWN_DISAGREEMENTS: dict[str, str] = {}


def _cases(path: Path) -> list[Mapping[str, Any]]:
    return [c for c in load_cases(path) if isinstance(c, Mapping)]


def _params() -> list[Any]:
    params = []
    files = [SHARED_FILE, CLAIMS_FILE, *OUTSIDE, *PACK_FILES]
    for path in files:
        label = (path.stem if path.parent.name == "legal" else path.parent.name)
        label = f"outside-{label}" if path in OUTSIDE else label
        for case in _cases(path):
            cid = str(case.get("id"))
            marks = []
            if cid in KNOWN_DISAGREEMENTS:
                marks.append(pytest.mark.xfail(reason=KNOWN_DISAGREEMENTS[cid], strict=True))
            params.append(pytest.param(case, id=f"{label}:{cid}", marks=marks))
    return params


@pytest.fixture(scope="module")
def decider() -> Decider:
    return default_decider()


@pytest.mark.parametrize("case", _params())
def test_case(case: Mapping[str, Any], decider: Decider) -> None:
    passed, reason, _ = check_case(case, decider)
    assert passed, f"{case.get('id')}: {reason}"


def test_shared_file_is_found_and_has_35_cases() -> None:
    assert SHARED_FILE.is_file(), f"shared scenarios not found at {SHARED_FILE}"
    assert len(_cases(SHARED_FILE)) == SHARED_CASE_COUNT
    assert len(_cases(CLAIMS_FILE)) >= 6


def test_every_pack_has_scenarios() -> None:
    with_manifest = {p.parent.name for p in PACKS_DIR.glob("*/manifest.yaml")}
    with_scenarios = {p.parent.name for p in PACK_FILES}
    assert sorted(with_manifest - with_scenarios) == []


def test_case_ids_are_unique_across_files() -> None:
    seen: dict[str, str] = {}
    dups = []
    for path in ([SHARED_FILE] if SHARED_FILE.is_file() else []) + list(PACK_FILES):
        for case in _cases(path):
            cid = str(case.get("id"))
            if cid in seen:
                dups.append(f"{cid} ({seen[cid]} and {path})")
            seen[cid] = str(path)
    assert dups == []


def test_pack_case_ids_start_with_their_pack_id() -> None:
    wrong = [f"{path.parent.name}: {case.get('id')}" for path in PACK_FILES
             for case in _cases(path) if not str(case.get("id")).startswith(f"{path.parent.name}-")]
    assert wrong == []


@pytest.fixture(scope="module")
def passing_pack_cases(decider: Decider) -> list[tuple[Mapping[str, Any], Decision]]:
    """Every pack case that passes, with its decision."""
    out = []
    for path in PACK_FILES:
        for case in _cases(path):
            passed, _, decision = check_case(case, decider)
            if passed and decision is not None:
                out.append((case, decision))
    return out


def test_every_rule_decides_a_passing_pack_case(
        passing_pack_cases: list[tuple[Mapping[str, Any], Decision]]) -> None:
    deciding = {r.id for _, decision in passing_pack_cases for r in decision.rules}
    uncovered = sorted(set(default_library().rules) - deciding)
    assert not uncovered, f"rules that decide no passing pack case: {', '.join(uncovered)}"


def test_every_rule_is_cited_by_a_case_it_decides(
        passing_pack_cases: list[tuple[Mapping[str, Any], Decision]]) -> None:
    cited = set()
    for case, decision in passing_pack_cases:
        cites = (case.get("expect") or {}).get("cites") or ()
        cited |= {r.id for r in decision.rules if any(c in r.citation for c in cites)}
    uncovered = sorted(set(default_library().rules) - cited)
    assert not uncovered, (
        f"rules no passing pack case both is decided by and cites: {', '.join(uncovered)}")
