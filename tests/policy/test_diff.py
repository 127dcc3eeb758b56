"""policy diff: the semantic difference between two policy sets over a profile's space."""

from __future__ import annotations

import datetime as dt

import pytest

from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.policy.diff import Side, diff


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
