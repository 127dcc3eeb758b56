"""The property registry's store, on SQLite and PostgreSQL: import whole or nothing,
re-import updates, list filters, and decisions by property id."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from sanctuarygate.domain.property_file import read_features
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.property import (
    departments,
    get_property,
    import_properties,
    list_properties,
    registered,
)
from sanctuarygate.store.tables import city_property

DEMO = Path(__file__).resolve().parents[2] / "src" / "sanctuarygate" / "demo" / "property"


def demo_file(place: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEMO / f"{place}.geojson").read_text(encoding="utf-8"))
    return data


def load(engine: Engine, place: str, data: dict[str, Any]) -> None:
    with engine.begin() as conn:
        import_properties(conn, place, read_features(data, place))


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(city_property)).scalar_one())


@pytest.fixture
def registry(db_engine: Engine) -> Engine:
    upgrade(db_engine)
    for place in ("north-chicago", "chicago"):
        load(db_engine, place, demo_file(place))
    return db_engine


def test_reimport_updates_and_never_duplicates(registry: Engine) -> None:
    before = count(registry)
    data = demo_file("north-chicago")
    data["features"][0]["properties"]["name"] = "Synthetic Lot 14, renamed (demo)"
    with registry.begin() as conn:
        done = import_properties(conn, "north-chicago", read_features(data, "north-chicago"))
    assert (done.added, done.updated) == (0, len(data["features"]))
    assert count(registry) == before
    with registry.connect() as conn:
        lot = get_property(conn, "NC-LOT-14")
    assert lot is not None and lot.name == "Synthetic Lot 14, renamed (demo)"


def test_an_id_of_another_place_is_refused_and_nothing_written(registry: Engine) -> None:
    before = count(registry)
    data = copy.deepcopy(demo_file("waukegan"))
    data["features"].append(copy.deepcopy(demo_file("north-chicago")["features"][0]))
    with pytest.raises(InputError, match="registered for north-chicago"), registry.begin() as conn:
        import_properties(conn, "waukegan", read_features(data, "waukegan"))
    assert count(registry) == before


def test_list_filters(registry: Engine) -> None:
    with registry.connect() as conn:
        nc = list_properties(conn, place="north-chicago")
        works = list_properties(conn, place="north-chicago", department="Public Works")
        unsigned = list_properties(conn, unsigned=True)
        signed = list_properties(conn, signed=True)
        depts = departments(conn, "north-chicago")
        every = list_properties(conn)
    assert {p.place for p in nc} == {"north-chicago"}
    assert [p.id for p in works] == ["NC-GAR-02", "NC-LOT-14"]
    assert unsigned and all(p.sign_posted_on is None for p in unsigned)
    assert signed and all(p.signed for p in signed)
    assert {p.id for p in unsigned} | {p.id for p in signed} == {p.id for p in every}
    assert "Public Works" in depts and depts == sorted(depts)


BY_ID = {"profile": "north-chicago", "date": "2025-11-03", "principal": {"agency": "CBP-USBP"},
         "action": "use-property",
         "context": {"purpose": "civil-immigration-enforcement", "use": "staging-area"}}


@pytest.mark.parametrize(("property_id", "by_hand"), [
    ("NC-LOT-14", {"kind": "parking-lot", "owner": "city", "leased": False}),
    ("NC-GAR-02", {"kind": "garage", "owner": "city", "leased": False}),
])
def test_a_decision_by_property_id_is_the_decision_on_the_facts_by_hand(
        registry: Engine, property_id: str, by_hand: dict[str, Any]) -> None:
    decider = default_decider()
    asked = parse_request({**BY_ID, "resource": {"type": "Property", "property_id": property_id}})
    with registry.connect() as conn:
        filled = registered(conn, asked)
    hand = parse_request({**BY_ID, "resource": {"type": "Property", **by_hand}})
    by_id, manual = decider.decide(filled), decider.decide(hand)
    assert by_id.outcome == manual.outcome == "deny"
    assert [r.id for r in by_id.rules] == [r.id for r in manual.rules]
    assert dict(filled.resource.facts)["id"] == property_id  # the log names the property


def test_a_waukegan_leased_building_by_id_is_review_as_by_hand(db_engine: Engine) -> None:
    upgrade(db_engine)
    load(db_engine, "waukegan", demo_file("waukegan"))
    base = {**BY_ID, "profile": "waukegan"}
    with db_engine.connect() as conn:
        filled = registered(conn, parse_request(
            {**base, "resource": {"type": "Property", "property_id": "WK-BLD-08"}}))
    hand = parse_request({**base, "resource": {"type": "Property", "kind": "building",
                                               "owner": "city", "leased": True}})
    decider = default_decider()
    assert decider.decide(filled).outcome == decider.decide(hand).outcome == "review"


def test_unknown_id_contradiction_and_other_place_are_errors(registry: Engine) -> None:
    def ask(resource: dict[str, Any], profile: str = "north-chicago") -> None:
        with registry.connect() as conn:
            registered(conn, parse_request({**BY_ID, "profile": profile,
                                            "resource": {"type": "Property", **resource}}))

    with pytest.raises(InputError, match="not in the city's property registry"):
        ask({"property_id": "NC-LOT-99"})
    with pytest.raises(InputError, match="registry says 'parking-lot'") as caught:
        ask({"property_id": "NC-LOT-14", "kind": "garage"})
    assert caught.value.field == "resource.kind"
    with pytest.raises(InputError, match="registry says false"):
        ask({"property_id": "NC-LOT-14", "leased": True})
    with pytest.raises(InputError, match="property of north-chicago, not of chicago"):
        ask({"property_id": "NC-LOT-14"}, profile="chicago")


def test_a_property_id_never_looked_up_is_not_decided() -> None:
    asked = parse_request({**BY_ID, "resource": {"type": "Property", "property_id": "NC-LOT-14"}})
    with pytest.raises(InputError, match="not looked up"):
        default_decider().decide(asked)


def test_use_facility_by_property_id_is_the_facility_by_hand(registry: Engine) -> None:
    base = {**BY_ID, "action": "use-facility", "context": {"purpose": "civil-immigration-enforcement"}}
    with registry.connect() as conn:
        filled = registered(conn, parse_request(
            {**base, "resource": {"type": "Facility", "property_id": "NC-BLD-01"}}))
    assert dict(filled.resource.facts) == {"id": "NC-BLD-01", "kind": "building",
                                           "property_id": "NC-BLD-01"}
    hand = parse_request({**base, "resource": {"type": "Facility", "id": "NC-BLD-01",
                                               "kind": "building"}})
    decider = default_decider()
    by_id, manual = decider.decide(filled), decider.decide(hand)
    assert by_id.outcome == manual.outcome == "deny"
    assert [r.id for r in by_id.rules] == [r.id for r in manual.rules]
