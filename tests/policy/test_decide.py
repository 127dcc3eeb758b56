"""decide(): outcomes, unknown facts, fail-closed behaviour, determinism, caching."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import (
    InputError,
    NotAllowed,
    PolicyEvaluationError,
    UnknownAgencyError,
    UnknownDatasetError,
    UnknownProfileError,
)
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.engine import EngineResult
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.scenario import case_request, load_cases
from sanctuarygate.settings import PACKAGE_PACKS, Settings


def req(**over: Any) -> Any:
    base: dict[str, Any] = {
        "profile": "chicago", "date": "2025-09-10", "principal": {"agency": "USMS"},
        "action": "transfer-custody", "resource": {"type": "Person", "in_custody": True},
        "context": {"purpose": "criminal-investigation",
                    "document": {"kind": "federal-criminal-warrant", "verified": True}}}
    base.update(over)
    return parse_request(base)


@pytest.fixture
def decider() -> Decider:
    return Decider(default_library(), cache_size=0)


def test_verified_federal_criminal_warrant_allows_transfer(decider: Decider) -> None:
    d = decider.decide(req())
    assert d.outcome == "allow"
    assert any("805/15(h)(3)" in c for c in d.citations)
    assert d.packs and all(p.digest for p in d.packs)


def test_unknown_verification_is_review_naming_the_fact(decider: Decider) -> None:
    d = decider.decide(req(context={"purpose": "criminal-investigation",
                                    "document": {"kind": "federal-criminal-warrant",
                                                 "verified": "unknown"}}))
    assert d.outcome == "review"
    assert d.unresolved_facts == ("document.verified",)
    assert "verified" in d.explanation


def test_unknown_fact_that_changes_nothing_is_not_review(decider: Decider) -> None:
    d = decider.decide(req(action="honor-detainer", principal={"agency": "ICE-ERO"},
                           resource={"type": "Person", "gang_database": "unknown"},
                           context={"purpose": "civil-immigration-enforcement",
                                    "document": {"kind": "detainer", "verified": "unknown"}}))
    assert d.outcome == "deny" and d.unresolved_facts == ()


def test_civil_purpose_no_rule_is_review_not_allow(decider: Decider) -> None:
    # Nothing in Chicago speaks to a federal agent using a private garage.
    d = decider.decide(req(date="2025-10-01", principal={"agency": "ICE-ERO"},
                           action="use-property",
                           resource={"type": "Property", "kind": "garage", "owner": "private"},
                           context={"purpose": "civil-immigration-enforcement",
                                    "use": "staging-area"}))
    assert d.outcome == "review"
    (default,) = d.rules  # no rule decided: the place's default did, and it is cited
    assert (default.id, default.effect) == ("chicago/default", "default")
    assert default.citation and default.confidence in ("C", "P", "U")
    assert "the default of City of Chicago is review" in default.summary
    assert "civil immigration enforcement and no rule decides" in d.explanation


def test_non_civil_no_rule_is_review_too(decider: Decider) -> None:
    d = decider.decide(req(action="grant-database-access", principal={"agency": "FBI"},
                           resource={"type": "Dataset", "id": "cpd-arrests"},
                           context={"purpose": "criminal-investigation"}))
    assert d.outcome == "review"


def test_doj_agency_judged_by_purpose_not_name(decider: Decider) -> None:
    """FBI holds Title 8 powers since 2025: a civil-immigration purpose is what counts."""
    civil = decider.decide(req(principal={"agency": "FBI"},
                               context={"purpose": "civil-immigration-enforcement",
                                        "document": {"kind": "administrative-warrant",
                                                     "verified": True}}))
    assert civil.outcome == "deny"


def test_onward_recipient_under_ice_turns_allow_into_deny(decider: Decider) -> None:
    base = {"principal": {"agency": "FBI"}, "action": "query-dataset",
            "resource": {"type": "Dataset", "id": "cpd-arrests"}}
    ok = decider.decide(req(**base, context={"purpose": "criminal-investigation"}))
    leak = decider.decide(req(**base, context={"purpose": "criminal-investigation",
                                               "onward_recipients": ["ICE-HSI"]}))
    assert ok.allowed and not leak.allowed


@pytest.mark.parametrize(("over", "error"), [
    ({"principal": {"agency": "KGB"}}, UnknownAgencyError),
    ({"profile": "atlantis"}, UnknownProfileError),
    ({"action": "query-dataset", "resource": {"type": "Dataset", "id": "secret"}},
     UnknownDatasetError),
    ({"action": "query-dataset", "resource": {"type": "Person"}}, InputError),
    ({"principal": {"employee": "FBI"}}, InputError),
    ({"extra_packs": ["no-such-pack"]}, InputError),
    ({"context": {"purpose": "criminal-investigation", "onward_recipients": ["SPECTRE"]}},
     UnknownAgencyError),
])
def test_bad_requests_are_errors(decider: Decider, over: dict[str, Any],
                                 error: type[Exception]) -> None:
    with pytest.raises(error):
        decider.decide(req(**over))


def test_too_many_unknown_facts_is_an_error(decider: Decider) -> None:
    facts = {k: "unknown" for k in ("in_custody", "gang_database", "posted_bond",
                                    "has_detainer", "minor", "felony_conviction",
                                    "watch_list_match")}
    with pytest.raises(InputError, match="unknown"):
        decider.decide(req(resource={"type": "Person", **facts}))


class FakeEngine:
    """Answers every evaluation with the same canned result."""

    def __init__(self, result: EngineResult | Exception) -> None:
        self.result = result

    def compile(self, text: str) -> object:
        return object()

    def evaluate(self, compiled: object, requests: Sequence[dict[str, Any]]) -> list[EngineResult]:
        if isinstance(self.result, Exception):
            raise self.result
        return [self.result for _ in requests]


def _library_with(engine: FakeEngine) -> PolicyLibrary:
    real = PolicyLibrary.load(PACKAGE_PACKS, Settings().pack_dates())
    real.engine = engine  # type: ignore[assignment]
    return real


@pytest.mark.parametrize("result", [
    EngineResult("NoDecision", (), ("failed to build request",)),
    EngineResult("Allow", ("il-trust-2021/15h3-federal-criminal-warrant",), ("an error",)),
    EngineResult("Allow", ("no-such/rule",), ()),
    EngineResult("Maybe", (), ()),
    PolicyEvaluationError("engine down"),
])
def test_engine_trouble_is_never_an_allow(result: EngineResult | Exception) -> None:
    decider = Decider(_library_with(FakeEngine(result)), cache_size=0)
    with pytest.raises(PolicyEvaluationError):
        decider.decide(req())


def test_deny_without_forbid_reasons_is_review_not_allow() -> None:
    decider = Decider(_library_with(FakeEngine(EngineResult("Deny", (), ()))), cache_size=0)
    assert decider.decide(req()).outcome == "review"


def test_rule_order_is_deterministic() -> None:
    """Cedar names matching rules in no fixed order; decisions list them in library order."""
    r = req(date="2025-11-03", principal={"agency": "ICE-ERO"}, action="notify-release",
            context={"purpose": "civil-immigration-enforcement", "document": {"kind": "none"}})
    lib = default_library()
    orders = {tuple(x.id for x in Decider(lib, cache_size=0).decide(r).rules) for _ in range(30)}
    assert len(orders) == 1
    (order,) = orders
    assert list(order) == sorted(order, key=lib.rank.__getitem__)


def test_cache_returns_same_decision_and_is_bounded() -> None:
    decider = Decider(default_library(), cache_size=3)
    first = decider.decide(req())
    assert decider.decide(req()) is first
    for day in range(1, 6):
        decider.decide(req(date=dt.date(2025, 9, day)))
    assert len(decider._cache) <= 3


def test_what_if_pack_applies_only_when_added(decider: Decider) -> None:
    base = {"date": "2019-07-15", "principal": {"agency": "CBP-OFO"}, "action": "query-dataset",
            "resource": {"type": "Dataset", "id": "cpd-arrests"},
            "context": {"purpose": "criminal-investigation"}}
    assert decider.decide(req(**base)).allowed
    proposed = decider.decide(req(**base, extra_packs=["ocad-proposed-eo-2019"]))
    assert proposed.outcome == "deny"
    assert "ocad-proposed-eo-2019" in [p.id for p in proposed.packs]


# --- A stated purpose is a claim, not a document (REFERENCE F1) -----------------------------
IMMIGRATION_TREE = ["ICE-ERO", "ICE", "CBP", "CBP-USBP", "CBP-OFO", "DHS"]


@pytest.mark.parametrize("agency", IMMIGRATION_TREE)
@pytest.mark.parametrize("action", ["answer-inquiry", "notify-release", "grant-access"])
def test_a_criminal_purpose_alone_never_lifts_a_bar(decider: Decider, agency: str,
                                                     action: str) -> None:
    d = decider.decide(req(profile="waukegan", date="2025-12-01", principal={"agency": agency},
                           action=action, resource={"type": "Person", "in_custody": True},
                           context={"purpose": "criminal-investigation",
                                    "document": {"kind": "none"}}))
    assert d.outcome == "deny" and any("805/15(h)" in c for c in d.citations)


def test_hsi_criminal_work_goes_to_a_person_directly_and_as_onward_recipient(
        decider: Decider) -> None:
    base = {"action": "query-dataset", "resource": {"type": "Dataset", "id": "cpd-arrests"}}
    direct = decider.decide(req(**base, principal={"agency": "ICE-HSI"},
                                context={"purpose": "criminal-investigation"}))
    onward = decider.decide(req(**base, principal={"agency": "FBI"},
                                context={"purpose": "criminal-investigation",
                                         "onward_recipients": ["ICE-HSI"]}))
    assert direct.outcome == onward.outcome == "review"


def test_a_purpose_not_known_is_decided_as_every_purpose(decider: Decider) -> None:
    """FBI records with no stated purpose: criminal work would be allowed, civil enforcement
    denied, so the answer is review and names the purpose as the fact to find out."""
    d = decider.decide(req(profile="illinois", principal={"agency": "FBI"},
                           action="query-dataset",
                           resource={"type": "Dataset", "id": "cook-jail-bookings"},
                           context={"purpose": "unknown", "document": {"kind": "none"}}))
    assert d.outcome == "review" and d.unresolved_facts == ("purpose",)
    assert "What do they say it is for" in d.explanation


def test_a_purpose_not_known_that_changes_nothing_is_not_review(decider: Decider) -> None:
    d = decider.decide(req(profile="illinois", principal={"agency": "ICE-ERO"},
                           action="honor-detainer",
                           context={"purpose": "unknown", "document": {"kind": "detainer",
                                                                       "verified": True}}))
    assert d.outcome == "deny" and d.unresolved_facts == ()


def test_letter_citing_a_statute_is_not_a_duty_to_disclose(decider: Decider) -> None:
    d = decider.decide(req(profile="chicago", principal={"agency": "ICE-ERO"},
                           action="disclose-status", resource={"type": "Person"},
                           context={"purpose": "civil-immigration-enforcement",
                                    "document": {"kind": "statute-letter", "verified": True}}))
    assert d.outcome == "review" and not d.allowed


# --- Advice that fits the act ------------------------------------------------------------
def test_property_refusal_points_to_the_sign_and_names_the_order(decider: Decider) -> None:
    d = decider.decide(req(profile="waukegan", date="2025-12-01", principal={"agency": "CBP-USBP"},
                           action="use-property",
                           resource={"type": "Property", "kind": "garage", "owner": "city"},
                           context={"purpose": "civil-immigration-enforcement",
                                    "use": "staging-area", "document": {"kind": "none"}}))
    assert d.outcome == "deny"
    assert any("posted sign" in line for line in d.advice)
    assert any("A City Council resolution does not allow" in line for line in d.advice)
    assert not any("information about the person" in line for line in d.advice)


def test_emergency_review_is_not_do_nothing(decider: Decider) -> None:
    d = decider.decide(req(profile="waukegan", date="2025-12-01", principal={"agency": "ICE-ERO"},
                           action="assist-operation", resource={"type": "Facility",
                                                                "id": "waukegan-pd"},
                           context={"purpose": "emergency-assistance",
                                    "document": {"kind": "none"},
                                    "assistance": "on-site-support"}))
    assert d.outcome == "review"
    assert d.advice[0].startswith("Respond to the emergency")
    assert not any(line.startswith("Do not act yet") for line in d.advice)


def test_court_order_review_says_do_not_refuse_and_offers_legal_help(decider: Decider) -> None:
    d = decider.decide(req(principal={"agency": "ICE-ERO"}, action="grant-access",
                           context={"purpose": "civil-immigration-enforcement",
                                    "document": {"kind": "court-order", "verified": True}}))
    assert d.outcome == "review"
    assert d.advice[0] == "Do not refuse and do not comply yet."
    assert any("855-435-7693" in line for line in d.advice)


def _scenario_requests() -> list[Request]:
    """Every case of the repo's scenario files as a request, and each again with its facts
    stated ``unknown`` (the decider evaluates an unknown fact both ways)."""
    repo = Path(__file__).resolve().parents[2]
    files = [*sorted((repo / "tests" / "legal").glob("scenarios*.yaml")),
             *sorted(PACKAGE_PACKS.glob("*/scenarios.yaml"))]
    out: list[Request] = []
    for path in files:
        for case in load_cases(path):
            try:
                asked = case_request(case)
            except InputError:
                continue
            out.append(asked)
            facts = tuple((k, "unknown" if isinstance(v, bool) else v)
                          for k, v in asked.resource.facts)
            doc = asked.context.document
            out.append(replace(asked, resource=replace(asked.resource, facts=facts),
                               context=replace(asked.context, document=replace(
                                   doc, verified="unknown" if doc.kind != "none" else False))))
    return out


class CountingEngine:
    """The library's engine, counting the calls made to evaluate."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def evaluate(self, compiled: object, requests: Sequence[dict[str, Any]]) -> list[EngineResult]:
        self.calls += 1
        return self.engine.evaluate(compiled, requests)  # type: ignore[no-any-return]


def test_decide_many_is_decide_on_the_scenario_requests() -> None:
    """The same decisions, in order, as one decide() each, on every scenario case and on each
    with its facts unknown; and one engine call per set of packs in force, not per request."""
    lib = default_library()
    requests = _scenario_requests()
    assert len(requests) > 300 and sum(1 for r in requests if r.unknown_facts()) > 100
    one = [Decider(lib, cache_size=0).decide(r) for r in requests]
    counting = CountingEngine(lib.engine)
    batch_lib = PolicyLibrary(counting, lib.directory, lib.catalog, lib.packs, lib.profiles)  # type: ignore[arg-type]
    many = Decider(batch_lib, cache_size=0).decide_many(requests)
    assert many == one
    policy_sets = {tuple(p.id for p in lib.packs_for(r.profile, r.date, r.extra_packs))
                   for r in requests}
    assert counting.calls == len(policy_sets) < len(requests) // 10


def test_ensure_returns_an_allow_and_raises_with_the_decision_otherwise(
        decider: Decider) -> None:
    allowed = req()
    assert decider.ensure(allowed) == decider.decide(allowed)
    assert decider.ensure(allowed).outcome in ("allow", "allow-with-conditions")
    for refused, outcome in ((req(principal={"agency": "ICE-ERO"}, context={
            "purpose": "civil-immigration-enforcement", "document": {"kind": "detainer",
                                                                      "verified": True}}),
                              "deny"),
                             (req(context={"purpose": "criminal-investigation", "document": {
                                 "kind": "federal-criminal-warrant", "verified": "unknown"}}),
                              "review")):
        with pytest.raises(NotAllowed) as caught:
            decider.ensure(refused)
        assert caught.value.decision == decider.decide(refused)
        assert caught.value.decision.outcome == outcome
