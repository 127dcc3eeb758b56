"""Agency families come from the directory's tree and flags, not from a list of ids."""

from __future__ import annotations

import pytest

from sanctuarygate.domain.agency import Directory
from sanctuarygate.report import Families


@pytest.mark.parametrize(("agency", "family"), [
    ("ICE", "ICE"), ("ICE-ERO", "ICE"), ("ICE-HSI", "ICE"), ("ICE-OPLA", "ICE"),
    ("CBP", "CBP"), ("CBP-USBP", "CBP"), ("CBP-AMO", "CBP"),
    ("DHS", "other DHS"), ("USCIS-FDNS", "other DHS"), ("USCG-CGIS", "other DHS"),
    ("FEMA", "other DHS"),
    ("FBI", "DOJ"), ("EOIR", "DOJ"), ("USMS", "DOJ"), ("DOJ", "DOJ"),
    ("ISP", "state"), ("ILLINOIS-SOS", "state"),
    ("CPD", "local"), ("COOK-SHERIFF", "local"), ("NYPD", "local"),
    ("COOK-CIRCUIT-COURT", "other"), ("NO-SUCH-AGENCY", "other"),
])
def test_families_of_the_shipped_directory(families: Families, agency: str, family: str) -> None:
    assert families.of("agency", agency) == family


def test_an_employee_acting_is_city_staff(families: Families) -> None:
    assert families.of("employee", "CPD") == "city staff"


def test_the_column_order_starts_with_the_immigration_agencies(families: Families) -> None:
    assert families.order == ("ICE", "CBP", "other DHS", "DOJ", "state", "local", "city staff",
                              "other")


def test_a_new_immigration_agency_in_the_directory_is_a_family_of_its_own() -> None:
    """Nothing names ICE or CBP in the code: a third civil-immigration component of the
    department flagged immigration-parent becomes a family, and a new department too."""
    d = Directory.from_mapping({"agencies": [
        {"id": "HOMELAND", "level": "federal", "flags": ["immigration-parent"], "children": [
            {"id": "BORDER-AGENCY", "flags": ["civil-immigration"],
             "children": [{"id": "BORDER-UNIT"}]},
            {"id": "WEATHER"}]},
        {"id": "TREASURY", "level": "federal", "children": [{"id": "IRS-CI"}]}]})
    f = Families(d)
    assert f.of("agency", "BORDER-UNIT") == "BORDER-AGENCY"
    assert f.of("agency", "WEATHER") == "other HOMELAND"
    assert f.of("agency", "IRS-CI") == "TREASURY"
    assert f.order[:3] == ("BORDER-AGENCY", "other HOMELAND", "TREASURY")
