from __future__ import annotations

import pytest

from sanctuarygate.domain.agency import Directory
from sanctuarygate.errors import PolicyLoadError, UnknownAgencyError
from sanctuarygate.policy.default import default_library

SCENARIO_AGENCIES = """DHS ICE ICE-ERO ICE-HSI CBP CBP-USBP CBP-OFO CBP-AMO USCIS USCIS-FDNS TSA USCG
USSS FEMA CISA FLETC DOJ FBI DEA ATF USMS BOP EOIR ISP COOK-CIRCUIT-COURT CPD CHICAGO-DFSS
CHICAGO-PARK-DISTRICT NORTH-CHICAGO-PD NORTH-CHICAGO-PUBLIC-WORKS WAUKEGAN-PD COOK-SHERIFF
ILLINOIS-SHERIFF""".split()  # noqa: SIM905 - the scenario file's list, as written there


def test_directory_has_every_scenario_agency() -> None:
    directory = default_library().directory
    missing = [a for a in SCENARIO_AGENCIES if a not in directory]
    assert missing == []


def test_hierarchy_and_inherited_immigration_mission() -> None:
    d = default_library().directory
    assert d.get("ICE-ERO").ancestors == ("DHS", "ICE")
    assert d.get("ICE-HSI").immigration_agency  # inside ICE: data given to HSI is within ICE
    assert d.get("CBP-USBP").is_under("DHS")
    assert not d.get("FEMA").immigration_agency
    assert d.get("FBI").title8 and not d.get("FBI").immigration_agency
    assert d.get("USCIS-FDNS").refers_to_immigration


def test_unknown_agency_is_an_error_not_a_default() -> None:
    with pytest.raises(UnknownAgencyError, match="NOPE"):
        default_library().directory.get("NOPE")


def test_search_finds_by_id_and_name() -> None:
    d = default_library().directory
    assert "CBP-USBP" in [a.id for a in d.search("border patrol")]
    assert d.search("ERO")[0].id == "ICE-ERO"


@pytest.mark.parametrize("data", [
    {"agencies": []},
    {"agencies": [{"name": "no id", "level": "federal"}]},
    {"agencies": [{"id": "X", "level": "galactic"}]},
    {"agencies": [{"id": "X", "level": "federal", "flags": ["evil"]}]},
    {"agencies": [{"id": "X", "level": "federal"}, {"id": "X", "level": "federal"}]},
])
def test_malformed_directory_fails_to_load(data: dict[str, object]) -> None:
    with pytest.raises(PolicyLoadError):
        Directory.from_mapping(data)


def test_dhs_itself_is_decided_as_an_immigration_agency_but_its_other_parts_are_not() -> None:
    """REFERENCE F9: DHS is the parent of ICE and CBP, never treated more favourably than ICE;
    the flag is not inherited, so FEMA or the Secret Service stay outside the immigration tree."""
    d = default_library().directory
    assert d.get("DHS").immigration_agency and d.get("DHS").civil_immigration_agent
    assert not d.get("FEMA").immigration_agency and not d.get("USSS").immigration_agency


def test_hsi_is_an_immigration_agency_whose_own_work_is_criminal() -> None:
    d = default_library().directory
    hsi, ero = d.get("ICE-HSI"), d.get("ICE-ERO")
    assert hsi.immigration_agency and not hsi.civil_immigration_agent
    assert ero.civil_immigration_agent


def test_eoir_refers_to_immigration() -> None:
    assert default_library().directory.get("EOIR").refers_to_immigration
