"""policy diff: the semantic difference between two policy sets over a profile's space."""

from __future__ import annotations

import datetime as dt

import pytest

from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_decider, default_library
from sanctuarygate.policy.diff import Side, diff, diff_by_enumeration


def test_a_day_against_itself_is_empty() -> None:
    day = dt.date(2021, 1, 26)
    report = diff(default_decider(), Side("chicago", day), Side("chicago", day))
    assert report.changes == []
    assert report.decided == 0  # every action has the same rules on both sides


def test_unknown_profile_or_pack_is_an_error() -> None:
    day = dt.date(2021, 1, 26)
    with pytest.raises(InputError):
        diff(default_decider(), Side("atlantis", day), Side("atlantis", day))
    with pytest.raises(InputError):
        diff(default_decider(), Side("chicago", day), Side("chicago", day, ("no-such-pack",)))


def test_detainer_carve_out_removal_changes_nothing_under_the_trust_act() -> None:
    """O2021-117 removed chi-wco-2012's detainer carve-outs, but the Illinois TRUST Act
    (il-trust-2017, in force on both days) already forbids honoring a civil detainer, and
    detain has no carve-out: neither action changes across the ordinance's date."""
    report = diff(default_decider(), Side("chicago", dt.date(2021, 1, 26)),
                  Side("chicago", dt.date(2021, 1, 28)), ["honor-detainer", "detain"])
    assert "chi-wco-2012" in report.packs_before
    assert "chi-wco-2021" in report.packs_after
    assert report.decided > 0  # the rules differ, so the actions were decided
    assert report.changes == []


def test_ocad_proposal_turns_database_access_to_deny_by_its_own_rules() -> None:
    """The 2019 OCAD proposal forbids DHS database access (and onward sharing): on
    grant-database-access every change is to deny, decided by the proposal's rules, and DHS's
    change is by its dhs-databases rule."""
    day = dt.date(2025, 1, 1)
    report = diff(default_decider(), Side("chicago", day),
                  Side("chicago", day, ("ocad-proposed-eo-2019",)), ["grant-database-access"])
    assert report.changes
    for change in report.changes:
        assert change.after == "deny" and change.before != "deny"
        assert all(r.startswith("ocad-proposed-eo-2019/") for r in change.rules_after)
    dhs = [c for c in report.changes if c.family == "DHS"]
    assert dhs and all("ocad-proposed-eo-2019/dhs-databases" in c.rules_after for c in dhs)


def _day_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def _pack_start(pack: str) -> dt.date:
    start = default_library().packs[pack].effective_from
    assert isinstance(start, dt.date)
    return start


@pytest.mark.parametrize(("before", "after", "actions"), [
    # O2021-117 (chi-wco-2012 -> chi-wco-2021), on its date as the packs resolve it
    (Side("chicago", _day_before(_pack_start("chi-wco-2021"))),
     Side("chicago", _pack_start("chi-wco-2021")),
     ["disclose-status", "inquire-status", "transfer-custody"]),
    # the Illinois Way Forward Act (il-trust-2017 -> il-trust-2021)
    (Side("illinois", _day_before(_pack_start("il-trust-2021"))),
     Side("illinois", _pack_start("il-trust-2021")),
     ["detain", "honor-detainer", "inquire-status", "transfer-custody", "grant-database-access"]),
    # Cook County's 2025 executive order
    (Side("cook-county", _day_before(_pack_start("cook-eo-2025-1"))),
     Side("cook-county", _pack_start("cook-eo-2025-1")), ["use-property"]),
    # the OCAD proposal adopted on top of the state
    (Side("illinois", dt.date(2025, 1, 1)),
     Side("illinois", dt.date(2025, 1, 1), ("ocad-proposed-eo-2019",)),
     ["grant-database-access", "transfer-custody"]),
    # New York City's detainer law and Waukegan's 2025 resolution, every action
    (Side("new-york-city", _day_before(_pack_start("nyc-9-131"))),
     Side("new-york-city", _pack_start("nyc-9-131")), None),
    (Side("waukegan", _day_before(_pack_start("wk-res-2025"))),
     Side("waukegan", _pack_start("wk-res-2025")), None),
], ids=["chicago-o2021-117", "illinois-2021", "cook-eo-2025", "illinois-ocad", "nyc-9-131",
        "waukegan-2025"])
def test_diff_equals_deciding_every_request(before: Side, after: Side,
                                            actions: list[str] | None) -> None:
    """The fast diff (each rule decided over its own classes, the space walked without the
    engine) gives the report of deciding every request of the space on both sides: the same
    changes, counts, agencies, rules and examples, with far fewer engine requests."""
    fast = diff(default_decider(), before, after, actions)
    full = diff_by_enumeration(default_decider(), before, after, actions)
    assert full.changes, "a pair with no change would check nothing"
    assert fast.to_dict()["changes"] == full.to_dict()["changes"]
    assert [c.example for c in fast.changes] == [c.example for c in full.changes]
    assert fast.decided == full.decided
    assert fast.evaluated < full.evaluated


CARVE_OUTS = {"chi-wco-2012/2-173-042c-criminal-carve-outs",
              "chi-wco-2012/2-173-042c-gang-carve-out"}
B1_ACTIONS = ["answer-inquiry", "grant-access", "notify-release", "use-facility"]


def test_carve_out_removal_changes_exactly_the_carve_out_classes() -> None:
    """O2021-117 removed the four carve-outs of MCC 2-173-042(c) (outstanding criminal warrant,
    felony conviction, pending felony charge, gang database). Read from the packs, for the four
    acts of 2-173-042(b)(1):

    * a person with a carve-out, asked for by someone who is not an immigration agent: before,
      only a carve-out permit matches (allow); after, no rule or the legal-process review
      (review): allow -> review, on all four acts;
    * the same asked for by an immigration agent (by agency, or by a civil purpose), without a
      verified warrant or court order and not for a criminal investigation: before, the
      ICE-access forbid is lifted by the carve-out and the carve-out permits allow; after,
      2-173-020(a)(2)/(a)(3) forbid: allow -> deny, except on use-facility, where the 2019
      no-city-resources forbid (in force on both days) already denied it;
    * the one other change on these acts is not a carve-out: an immigration agent stating a
      criminal investigation got a person's review under 2012's "legitimate law enforcement
      purpose" (review) and is refused in 2021 (deny); on use-facility only ICE-HSI, whom the
      2019 forbid spares for a criminal investigation.
    Nothing else changes, and no class that is not a carve-out's starts from allow."""
    after = _pack_start("chi-wco-2021")
    report = diff(default_decider(), Side("chicago", _day_before(after)),
                  Side("chicago", after), B1_ACTIONS)
    assert "chi-wco-2012" in report.packs_before and "chi-wco-2021" in report.packs_after
    carve_out = ({(a, "allow", "review") for a in B1_ACTIONS}
                 | {(a, "allow", "deny") for a in B1_ACTIONS if a != "use-facility"})
    purpose = {(a, "review", "deny") for a in B1_ACTIONS}
    assert {(c.action, c.before, c.after) for c in report.changes} == carve_out | purpose
    forbids = {"grant-access": "chi-wco-2021/2-173-020a2-access",
               "use-facility": "chi-wco-2021/2-173-020a2-access",
               "answer-inquiry": "chi-wco-2021/2-173-020a3-inquiries",
               "notify-release": "chi-wco-2021/2-173-020a3-inquiries"}
    for c in report.changes:
        if c.before == "allow":  # a carve-out class: decided by a carve-out, and only by one
            assert c.rules_before and c.rules_before <= CARVE_OUTS, c
        else:
            assert c.rules_before == {"chi-wco-2012/2-173-042b1-law-enforcement-purpose"}, c
        if c.after == "deny":
            assert c.rules_after == {forbids[c.action]}, c
        else:
            assert c.rules_after <= {"chi-wco-2021/legal-process-review", "chicago/default"}, c
    hsi = [c for c in report.changes if c.action == "use-facility" and c.after == "deny"]
    assert [sorted(c.agencies) for c in hsi] == [["ICE-HSI"]]
