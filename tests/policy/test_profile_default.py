"""The place's default: when no rule in force covers a request, the decision is review and
cites the profile's default (``profiles.yaml``) as its deciding rule, with a citation and a
confidence; the log entry carries it. A profile without one does not load."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from sanctuarygate.audit.entries import DecisionEntry, encode
from sanctuarygate.errors import PolicyLoadError
from sanctuarygate.policy.ask import ask, person
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.settings import PACKAGE_PACKS, Settings

DAY = dt.date(2025, 11, 3)


def test_every_profile_has_a_cited_default() -> None:
    for profile in default_library().profiles.values():
        assert profile.default is not None
        assert profile.default.id == f"{profile.id}/default"
        assert profile.default.citation and profile.default.confidence in ("C", "P", "U")
        assert profile.title in profile.default.summary


def test_a_review_no_rule_covers_cites_the_default_and_its_log_entry_too() -> None:
    decider = Decider(default_library())
    request = ask(profile="new-york-city", date=DAY, agency="FBI", action="detain",
                  about=person(in_custody=True), purpose="criminal-investigation")
    decision = decider.decide(request)
    assert decision.outcome == "review"
    assert [r.id for r in decision.rules] == ["new-york-city/default"]
    assert decision.to_dict()["rules"][0]["effect"] == "default"
    entry = json.loads(encode(DecisionEntry.of(request, decision, actor="test",
                                               at=dt.datetime(2025, 11, 3, tzinfo=dt.UTC))))
    assert entry["rules"] == [{"id": "new-york-city/default",
                               "citation": decision.rules[0].citation}]


def test_a_review_a_rule_decides_does_not_cite_the_default() -> None:
    decider = Decider(default_library())
    decision = decider.decide(ask(profile="illinois", date=dt.date(2024, 2, 1),
                                  agency="ICE-ERO", action="honor-detainer",
                                  about=person(in_custody=True),
                                  purpose="civil-immigration-enforcement",
                                  document="detainer", verified=True))
    assert decision.rules and all(r.effect != "default" for r in decision.rules)


def test_a_profile_without_a_default_does_not_load(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    shutil.copytree(PACKAGE_PACKS, packs)
    data = yaml.safe_load((packs / "profiles.yaml").read_text(encoding="utf-8"))
    del data["default"]
    (packs / "profiles.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(PolicyLoadError, match="the default needs a citation"):
        PolicyLibrary.load(packs, Settings().pack_dates())
