"""Invariants: exhaustive evaluation finds a counterexample when a rule breaks one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import PolicyLoadError, UnknownProfileError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.verify import (
    ONWARD_FLAGS,
    Invariant,
    _Space,
    load_invariants,
    onward_lists,
    verify,
)
from sanctuarygate.settings import PACKAGE_PACKS

INVARIANTS = load_invariants(PACKAGE_PACKS / "invariants.yaml")
BY_ID = {i.id: i for i in INVARIANTS}


def test_shipped_invariants_load() -> None:
    assert "no-dhs-standing-database-access" in BY_ID
    assert "no-detainer-holds-in-illinois" in BY_ID


def test_small_invariant_holds_and_counts_requests() -> None:
    report = verify(Decider(default_library(), cache_size=0), [BY_ID["no-287g-in-illinois"]],
                    "chicago", dt.date(2025, 11, 22))
    (res,) = report.results
    assert report.ok and not res.skipped and res.checked > 100


def test_invariant_outside_its_dates_or_profiles_is_skipped() -> None:
    lib = default_library()
    early = verify(Decider(lib), [BY_ID["no-detainer-holds-in-illinois"]], "illinois",
                   dt.date(2017, 8, 27))
    elsewhere = verify(Decider(lib), [BY_ID["no-detainer-holds-in-illinois"]], "california",
                       dt.date(2025, 1, 1))
    assert early.results[0].skipped and elsewhere.results[0].skipped


def test_broken_pack_yields_counterexample(packs_copy: Path, dates: dict[str, dt.date]) -> None:
    (packs_copy / "il-kifta-287g" / "rules.cedar").write_text(
        '@id("il-kifta-287g/oops")\n@citation("none")\n@summary("A bad edit.")\n'
        'permit (principal, action == Action::"enter-agreement", resource);\n', encoding="utf-8")
    lib = PolicyLibrary.load(packs_copy, dates)
    report = verify(Decider(lib, cache_size=0), [BY_ID["no-287g-in-illinois"]], "illinois",
                    dt.date(2025, 1, 1))
    assert not report.ok
    request, decision = report.results[0].counterexample  # type: ignore[misc]
    assert request.action == "enter-agreement" and request.resource.get("kind") == "287g"
    assert decision.outcome == "allow" and decision.rules[0].id == "il-kifta-287g/oops"


def test_platform_channel_is_in_the_space(packs_copy: Path, dates: dict[str, dt.date]) -> None:
    """Without the DHS platform rule, a DHS component's criminal query through the platform is
    allowed; the invariant finds it only because the space asks over the data-platform channel."""
    rules = packs_copy / "il-trust-2021" / "rules.cedar"
    text = rules.read_text(encoding="utf-8")
    assert '(principal in Agency::"DHS" || context.onward_dhs)' in text
    rules.write_text(text.replace('(principal in Agency::"DHS" || context.onward_dhs)', "false"),
                     encoding="utf-8")
    lib = PolicyLibrary.load(packs_copy, dates)
    report = verify(Decider(lib, cache_size=0), [BY_ID["no-dhs-data-platform-release"]], "illinois",
                    dt.date(2025, 11, 22))
    request, decision = report.results[0].counterexample  # type: ignore[misc]
    assert request.context.channel == "data-platform"
    assert request.context.purpose == "criminal-investigation"
    assert decision.allowed


def test_default_space_asks_over_every_named_channel() -> None:
    """An invariant that names no channel is checked over the data-platform channel too (and
    over no channel), for the actions some rule decides by channel."""
    space = _Space(default_library())
    seen = {r.context.channel for r in space.requests(
        {"actions": ["query-dataset"], "principal_in": ["FBI"], "purposes": ["unknown"],
         "documents": ["none"]}, "chicago", dt.date(2025, 11, 22))}
    assert seen == {None, "data-platform"}
    assert "query-dataset" in space.channel_actions


def test_onward_recipients_are_asked_wherever_a_rule_reads_them() -> None:
    """805/15(i)'s criminal-investigation rule reads onward_immigration for assist-operation,
    not only the data actions: the space gives those actions onward lists too."""
    lib = default_library()
    space = _Space(lib)
    readers = {a for r in lib.rules.values() if r.actions
               and {"onward_immigration", "onward_referral", "onward_dhs"} & r.context_reads
               for a in r.actions}
    assert "assist-operation" in readers and readers <= space.onward_actions
    asked = {tuple(r.context.onward_recipients) for r in space.requests(
        {"actions": ["assist-operation"], "principal_in": ["FBI"], "purposes": ["unknown"],
         "documents": ["none"]}, "chicago", dt.date(2025, 11, 22))}
    assert asked == {tuple(x) for x in onward_lists(lib)}


def _flags(ids: list[str]) -> tuple[bool, ...]:
    """The onward flags decide() itself derives from a list of recipients."""
    request = parse_request({"profile": "chicago", "date": "2025-11-22",
                             "principal": {"agency": "FBI"}, "action": "query-dataset",
                             "resource": {"type": "Dataset", "id": "cpd-arrests"},
                             "context": {"purpose": "criminal-investigation",
                                         "onward_recipients": ids}})
    (cedar,) = Decider(default_library())._cedar_requests(request, ())
    context = cedar["context"]
    assert {k for k in context if k.startswith("onward_")} == set(ONWARD_FLAGS)
    return tuple(context[k] for k in ONWARD_FLAGS)


AGENCY_IDS = [a.id for a in default_library().directory]


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.sampled_from(AGENCY_IDS), max_size=5))
def test_onward_lists_cover_every_list_of_recipients(ids: list[str]) -> None:
    """Whatever list a caller sends, one of the space's lists gives decide() the same flags."""
    assert _flags(ids) in {_flags(x) for x in onward_lists(default_library())}


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(UnknownProfileError):
        verify(Decider(default_library()), INVARIANTS, "gotham", dt.date(2025, 1, 1))


def test_malformed_invariants_fail(tmp_path: Path) -> None:
    bad = tmp_path / "inv.yaml"
    bad.write_text("invariants:\n  - id: x\n    statement: s\n    never: [maybe]\n")
    with pytest.raises(PolicyLoadError):
        load_invariants(bad)


def test_invariant_applies() -> None:
    inv = Invariant("x", "s", frozenset({"allow"}), {}, ("chicago",), dt.date(2020, 1, 1),
                    dt.date(2021, 1, 1))
    assert inv.applies("chicago", dt.date(2020, 6, 1))
    assert not inv.applies("chicago", dt.date(2021, 1, 1))
    assert not inv.applies("illinois", dt.date(2020, 6, 1))


def test_space_reads_the_rules_as_cedar_parses_them(packs_copy: Path,
                                                    dates: dict[str, dt.date]) -> None:
    """``Agency :: "CBP-OFO"`` (legal Cedar, other spacing) names an agency as much as
    ``Agency::"CBP-OFO"``: the space gives it a class of its own, so the counterexample is
    found; a literal or an entity in a comment names nothing."""
    (packs_copy / "il-kifta-287g" / "rules.cedar").write_text(
        '// Agency::"USSS" and "no-such-literal" are named only in this comment.\n'
        '@id("il-kifta-287g/oops")\n@citation("none")\n@summary("A bad edit.")\n'
        'permit (principal in Agency :: "CBP-OFO", action == Action::"enter-agreement",\n'
        '        resource);\n', encoding="utf-8")
    lib = PolicyLibrary.load(packs_copy, dates)
    space = _Space(lib)
    assert ("Agency", "CBP-OFO") in space.named_entities
    assert ("Agency", "USSS") not in space.named_entities
    assert "no-such-literal" not in lib.named_literals | space.names
    report = verify(Decider(lib, cache_size=0), [BY_ID["no-287g-in-illinois"]], "illinois",
                    dt.date(2025, 1, 1))
    request, decision = report.results[0].counterexample  # type: ignore[misc]
    assert request.principal.id == "CBP-OFO" and decision.rules[0].id == "il-kifta-287g/oops"


def test_rules_name_what_the_engine_parsed() -> None:
    """Literals, entities and attribute reads come from Cedar's JSON form of each rule."""
    rule = default_library().rules["il-trust-2021/15a-civil-warrant"]
    assert rule.literals == {"detainer", "administrative-warrant", "ncic-immigration-hit"}
    assert rule.entities == {("Action", "detain")}
    assert "detainer" in default_library().named_literals
