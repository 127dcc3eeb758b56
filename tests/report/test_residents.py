"""The residents' guide: every promise restates rules that exist and shows only while in force."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sanctuarygate.errors import PolicyLoadError
from sanctuarygate.policy.default import default_library
from sanctuarygate.report import residents


def test_every_rule_and_place_the_guide_names_exists() -> None:
    assert residents.unknown_rules(residents.load_guide(), default_library()) == []


def test_a_promise_carries_the_citation_and_confidence_of_its_rule_in_force() -> None:
    lib = default_library()
    shown = {s.promise.id: s for s in residents.promises_for(residents.load_guide(), lib,
                                                            "chicago", dt.date(2026, 6, 1))}
    detainer = shown["no-hold-on-detainer"]
    assert detainer.rule.ref.id == "il-trust-2021/15a-detainer"
    assert detainer.rule.ref.citation == "5 ILCS 805/15(a)"
    assert detainer.pack.id == "il-trust-2021" and detainer.pack.in_force(dt.date(2026, 6, 1))
    assert shown["chicago-lots"].rule.ref.citation.startswith("Chicago Executive Order 2025-8")


def test_a_promise_appears_only_while_its_law_is_in_force() -> None:
    lib, guide = default_library(), residents.load_guide()

    def ids(place: str, day: dt.date) -> set[str]:
        return {s.promise.id for s in residents.promises_for(guide, lib, place, day)}

    # EO 2025-8 took effect 2025-10-06; the 2021 Way Forward amendments 2021-08-02.
    assert "chicago-lots" not in ids("chicago", dt.date(2025, 10, 5))
    assert "chicago-lots" in ids("chicago", dt.date(2025, 10, 6))
    assert "police-do-not-ask" not in ids("illinois", dt.date(2020, 1, 1))
    assert "police-do-not-ask" in ids("illinois", dt.date(2022, 1, 1))
    # The 2017 Act's own rule carries the detainer promise before 2021.
    before = {s.promise.id: s for s in residents.promises_for(guide, lib, "illinois",
                                                             dt.date(2019, 1, 1))}
    assert before["no-hold-on-detainer"].pack.id == "il-trust-2017"
    # A place's own promises stay with that place.
    assert not ids("waukegan", dt.date(2026, 1, 1)) & {"chicago-lots", "chicago-status"}
    assert "waukegan-property" in ids("waukegan", dt.date(2026, 1, 1))


def test_a_help_entry_not_checked_for_a_year_is_stale() -> None:
    entry = next(h for h in residents.load_guide().help if h.id == "icirr-hotline")
    assert entry.phone == "855-435-7693"
    assert not residents.stale(entry, entry.checked_on + dt.timedelta(days=365))
    assert residents.stale(entry, entry.checked_on + dt.timedelta(days=366))


@pytest.mark.parametrize(("broken", "says"), [
    ("places: [chicago]\npromises:\n  - id: x\n    text: x\n", "'rules' must list"),
    ("places: [chicago]\nhelp:\n  - {id: h, name: H, what: w, source: s, checked_on: 2026-01-01}\n",
     "give a phone or a url"),
    ("places: [chicago]\nhelp:\n  - {id: h, name: H, what: w, source: s, phone: '1', checked_on: soon}\n",
     "must be a date"),
    ("places: [chicago]\nrights:\n  - {id: r, text: t, source: s, confidence: Q}\n",
     "confidence must be C, P or U"),
    ("promises: []\n", "'places' must list"),
])
def test_a_bad_guide_names_what_is_wrong(tmp_path: Path, broken: str, says: str) -> None:
    path = tmp_path / "residents.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(PolicyLoadError, match=says):
        residents.load_guide(path)
