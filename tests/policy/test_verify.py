"""Invariants: exhaustive evaluation finds a counterexample when a rule breaks one."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import PolicyLoadError, UnknownAgencyError, UnknownProfileError
from sanctuarygate.policy.decide import ONWARD_FLAGS, Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.space import RequestSpace, View, onward_lists
from sanctuarygate.policy.verify import (
    Invariant,
    checked_days,
    load_invariants,
    plan_checks,
    reports,
    run_check,
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
    lib = default_library()
    space = RequestSpace(lib, lib.packs_for("chicago", dt.date(2025, 11, 22)))
    seen = {r.context.channel for r in space.requests(
        {"actions": ["query-dataset"], "principal_in": ["FBI"], "purposes": ["unknown"],
         "documents": ["none"]}, "chicago", dt.date(2025, 11, 22))}
    assert seen == {None, "data-platform"}
    assert space.view("query-dataset").reads("channel")
    assert not space.view("honor-detainer").reads("channel")


def test_onward_recipients_are_asked_wherever_a_rule_reads_them() -> None:
    """805/15(i)'s criminal-investigation rule reads onward_immigration for assist-operation,
    not only the data actions: the space gives those actions onward lists too."""
    lib = default_library()
    space = RequestSpace(lib, lib.packs_for("chicago", dt.date(2025, 11, 22)))
    readers = {a for r in space.rules if r.read.actions and set(ONWARD_FLAGS) & r.read.context_reads
               for a in r.read.actions}
    assert "assist-operation" in readers
    assert all(any(space.view(a).reads(f) for f in ONWARD_FLAGS) for a in readers)
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


@pytest.mark.parametrize("entry", [
    "never: [maybe]",
    "never: [allow]\n    where: {principals_in: [DHS]}",
    "never: [allow]\n    where: {actions: [hold-forever]}",
    "never: [allow]\n    where: {document_verified: maybe}"])
def test_malformed_invariants_fail(tmp_path: Path, entry: str) -> None:
    """A where the space would not understand (a misspelt key, a word outside the vocabulary)
    fails to load rather than being checked over the wrong requests."""
    bad = tmp_path / "inv.yaml"
    bad.write_text(f"invariants:\n  - id: x\n    statement: s\n    {entry}\n")
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
    view = RequestSpace(lib).view("enter-agreement")
    assert ("Agency", "CBP-OFO") in view.entities
    assert ("Agency", "USSS") not in view.entities
    assert "no-such-literal" not in lib.named_literals | view.names
    report = verify(Decider(lib, cache_size=0), [BY_ID["no-287g-in-illinois"]], "illinois",
                    dt.date(2025, 1, 1))
    request, decision = report.results[0].counterexample  # type: ignore[misc]
    assert request.principal.id == "CBP-OFO" and decision.rules[0].id == "il-kifta-287g/oops"


def test_rules_name_what_the_engine_parsed() -> None:
    """Literals, entities and attribute reads come from Cedar's JSON form of each rule."""
    rule = default_library().rules["il-trust-2021/15a-civil-warrant"]
    assert rule.read.literals == {"detainer", "administrative-warrant", "ncic-immigration-hit"}
    assert rule.read.entities == {("Action", "detain")}
    assert rule.read.context_paths == {"document.kind"}
    assert "detainer" in default_library().named_literals


def _sample(lib: PolicyLibrary, profile: str, day: dt.date, step: int) -> list[Request]:
    """Every ``step``-th request of every invariant's space, ``unknown`` facts included (asked
    as for an invariant that forbids review)."""
    space = RequestSpace(lib, lib.packs_for(profile, day))
    never = frozenset({"review"})
    out: list[Request] = []
    for inv in INVARIANTS:
        out += list(itertools.islice(space.requests(inv.where, profile, day, (), never),
                                     0, None, step))
    return out


def test_decide_many_is_decide() -> None:
    """One engine batch per policy set, shared Cedar requests asked once: the same decisions,
    in the same order, as one decide() each, over a sample of several spaces (two profiles, two
    days, unknown facts and repeated requests included)."""
    lib = default_library()
    sample = (_sample(lib, "chicago", dt.date(2026, 12, 2), 499)
              + _sample(lib, "illinois", dt.date(2019, 6, 21), 5))
    assert any(r.unknown_facts() for r in sample)
    sample += sample[:50]
    one = Decider(lib, cache_size=0)
    assert Decider(lib, cache_size=0).decide_many(sample) == [one.decide(r) for r in sample]


def test_decide_many_raises_what_decide_raises() -> None:
    lib = default_library()
    good = _sample(lib, "illinois", dt.date(2025, 1, 1), 500)[:3]
    bad = parse_request({"profile": "illinois", "date": "2025-01-01",
                         "principal": {"agency": "NOBODY"}, "action": "detain",
                         "resource": {"type": "Person"}})
    decider = Decider(lib)
    with pytest.raises(UnknownAgencyError):
        decider.decide_many([*good, bad, *good])
    assert all(r in decider._cache for r in good)  # the ones before it were decided


def test_space_requests_are_what_parse_request_makes() -> None:
    """The space builds requests directly; each is the request its scenario form parses to."""
    sample = _sample(default_library(), "chicago", dt.date(2026, 12, 2), 211)
    assert sample and all(parse_request(r.to_dict()) == r for r in sample)


def test_like_patterns_split_unnamed_strings(packs_copy: Path,
                                             dates: dict[str, dt.date]) -> None:
    """A string no rule names is still told apart by a ``like`` pattern it matches: the
    Cook County agencies are asked apart from the others."""
    (packs_copy / "il-kifta-287g" / "rules.cedar").write_text(
        '@id("il-kifta-287g/oops")\n@citation("none")\n@summary("A bad edit.")\n'
        'permit (principal, action == Action::"enter-agreement", resource)\n'
        'when { principal has jurisdiction && principal.jurisdiction like "illinoi*" };\n',
        encoding="utf-8")
    lib = PolicyLibrary.load(packs_copy, dates)
    report = verify(Decider(lib, cache_size=0), [BY_ID["no-287g-in-illinois"]], "illinois",
                    dt.date(2025, 1, 1))
    request, decision = report.results[0].counterexample  # type: ignore[misc]
    assert lib.directory.get(request.principal.id).jurisdiction == "illinois"
    assert decision.rules[0].id == "il-kifta-287g/oops"


DAY = st.dates(dt.date(2005, 1, 1), dt.date(2035, 12, 31))


@settings(max_examples=200, deadline=None)
@given(day=DAY, profile=st.sampled_from(sorted(default_library().profiles)))
def test_checked_days_stand_for_every_day(day: dt.date, profile: str) -> None:
    """Whatever the day, one checked day stands for it, with the same packs in force and the
    same invariants about it."""
    lib = default_library()
    days = checked_days(lib, INVARIANTS, profile, dt.date(2026, 12, 2))
    (standing,) = [d for d in days if any(day in i for i in d.intervals)]
    applying = tuple(i.id for i in INVARIANTS if i.applies(profile, day))
    assert standing.invariants == applying
    if applying:
        assert standing.packs == tuple(p.id for p in lib.packs_for(profile, day))
        assert lib.packs_for(profile, standing.day) == lib.packs_for(profile, day)


def test_every_day_finds_a_break_that_today_does_not(packs_copy: Path,
                                                     dates: dict[str, dt.date]) -> None:
    """A bad rule in the 2017 TRUST Act (in force 2017-08-28 to 2021-08-01) passes today's
    check and fails on the day that stands for its years."""
    with (packs_copy / "il-trust-2017" / "rules.cedar").open("a", encoding="utf-8") as f:
        f.write('\n@id("il-trust-2017/oops")\n@citation("none")\n@summary("A bad edit.")\n'
                'permit (principal, action == Action::"enter-agreement", resource);\n')
    lib = PolicyLibrary.load(packs_copy, dates)
    decider = Decider(lib, cache_size=0)
    inv = Invariant("no-agreement", "s", frozenset({"allow"}), {"actions": ["enter-agreement"]})
    today = dt.date(2026, 12, 2)
    assert verify(decider, [inv], "illinois", today).ok
    days = [d.day for d in checked_days(lib, [inv], "illinois", today)]
    plan = plan_checks(lib, [inv], [("illinois", d) for d in days])
    found = reports(decider, plan, [run_check(decider, c) for c in plan.checks])
    failed = [r.date for r in found if not r.ok]
    assert failed and all(dt.date(2017, 8, 28) <= d < dt.date(2021, 8, 2) for d in failed)


def test_shared_checks_report_what_separate_ones_do() -> None:
    """(profile, day) pairs whose rules for an action are the same share that action's check;
    the reports are those of one verify() per pair."""
    lib = default_library()
    decider = Decider(lib, cache_size=0)
    pairs = [("illinois", dt.date(2025, 1, 1)), ("waukegan", dt.date(2025, 1, 1)),
             ("illinois", dt.date(2019, 6, 21))]
    small = [i for i in INVARIANTS if i.id in ("no-287g-in-illinois",
                                               "no-detainer-holds-in-illinois")]
    plan = plan_checks(lib, small, pairs)
    alone = [plan_checks(lib, small, [pair]) for pair in pairs]
    assert len(plan.checks) < sum(len(p.checks) for p in alone)
    together = reports(decider, plan, [run_check(decider, c) for c in plan.checks])
    for report, pair in zip(together, pairs, strict=True):
        separate = verify(decider, small, *pair)
        assert [(r.invariant.id, r.checked, r.skipped) for r in report.results] == [
            (r.invariant.id, r.checked, r.skipped) for r in separate.results]


@pytest.mark.parametrize("wanted", [True, False])
def test_document_verified_restricts_the_documents(wanted: bool) -> None:
    """``document_verified`` keeps only documents stated so (a "none" document is never
    verified), for actions whose rules read the document and for those whose rules do not."""
    lib = default_library()
    day = dt.date(2026, 12, 2)
    space = RequestSpace(lib, lib.packs_for("chicago", day))
    for action in ("query-dataset", "enter-agreement", "detain"):
        docs = {r.context.document for r in space.requests(
            {"actions": [action], "principal_in": ["ICE"], "document_verified": wanted},
            "chicago", day)}
        assert docs and all(d.verified is wanted for d in docs)
        assert wanted is False or all(d.kind != "none" for d in docs)


def test_a_rule_comparing_two_unwritten_values_stops_folding() -> None:
    """``principal.jurisdiction == resource.keeper`` can tell apart strings no policy names:
    the view then folds none of them."""
    engine = default_library().engine
    (compares,) = engine.parse('@id("x") permit (principal, action, resource is Dataset) when '
                               '{ principal has jurisdiction && principal.jurisdiction == '
                               'resource.keeper };', source="t")
    (plain,) = engine.parse('@id("y") permit (principal, action, resource) when '
                            '{ context.purpose == "litigation" };', source="t")
    assert compares.compares_values and not plain.compares_values
    rules = default_library().rules.values()
    folding = View.of(list(rules))
    first = next(iter(rules))
    exact = View.of([*rules, replace(first, read=replace(first.read, compares_values=True))])
    assert folding.fold("zz-town-1") == folding.fold("zz-town-2") != "zz-town-1"
    assert exact.fold("zz-town-1") == "zz-town-1" != exact.fold("zz-town-2")


def test_a_fixed_person_fact_joins_every_combination() -> None:
    """``resource: {in_custody: true}`` asks each other fact with it, not only the request
    that states in_custody alone."""
    lib = default_library()
    day = dt.date(2026, 12, 2)
    space = RequestSpace(lib, lib.packs_for("california", day))
    assert space.view("notify-release").reads("resource.felony_conviction")
    facts = {r.resource.facts for r in space.requests(
        {"actions": ["notify-release"], "principal_in": ["ICE"], "purposes": [
            "civil-immigration-enforcement"], "documents": ["none"],
         "resource": {"in_custody": True}}, "california", day)}
    assert all(("in_custody", True) in f for f in facts)
    assert len(facts) > 2 and (("felony_conviction", True), ("in_custody", True)) in facts
