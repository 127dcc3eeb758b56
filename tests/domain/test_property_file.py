"""Reading a city's property file: each kind of bad feature is named by number and id, every
problem of a file at once; good features map the city's words to the packs' kinds."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctuarygate.domain.property_file import read_features
from sanctuarygate.errors import InputError

GOOD: dict[str, Any] = {
    "type": "Feature", "id": "L-1",
    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
    "properties": {"name": "Lot 1", "kind": "Parking Lot", "owner": "city",
                   "department": "Public Works", "gates_lockable": True,
                   "sign_posted": "2025-10-27", "sign_posted_by": "Public Works"},
}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def changed(**props: Any) -> dict[str, Any]:
    feature = copy.deepcopy(GOOD)
    for key, value in props.items():
        if key in ("geometry", "id"):
            feature[key] = value
        else:
            feature["properties"][key] = value
    return feature


def problems(data: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_features(data, "north-chicago")
    return [message for _, message in caught.value.field_errors]


def test_a_good_feature_reads_in_the_packs_words() -> None:
    (lot,) = read_features(collection(GOOD, ), "north-chicago")
    assert (lot.id, lot.place, lot.kind, lot.owner, lot.leased) == (
        "L-1", "north-chicago", "parking-lot", "city", False)
    assert lot.signed and lot.sign_posted_by == "Public Works" and lot.gates_lockable is True
    (leased,) = read_features(collection(changed(owner="Leased", kind="Office")), "waukegan")
    assert (leased.kind, leased.owner, leased.leased) == ("building", "city", True)


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


@pytest.mark.parametrize(("feature", "said"), [
    (changed(geometry=None), "feature 1 (id 'L-1'): no geometry"),
    (changed(geometry=BOWTIE), "feature 1 (id 'L-1'): invalid geometry: Self-intersection"),
    (changed(geometry={"type": "Point", "coordinates": [1]}),
     "feature 1 (id 'L-1'): geometry is not GeoJSON"),
    (changed(kind="heliport"), "feature 1 (id 'L-1'): unknown kind 'heliport'"),
    (changed(owner="the moon"), "feature 1 (id 'L-1'): unknown owner 'the moon'"),
    (changed(name=""), "feature 1 (id 'L-1'): missing name"),
    (changed(id=None), "feature 1: missing id"),
    (changed(sign_posted="last week"), "feature 1 (id 'L-1'): sign_posted is not a date"),
    (changed(gates_lockable="yes"), "feature 1 (id 'L-1'): gates_lockable must be true or false"),
])
def test_each_kind_of_bad_feature_is_named(feature: dict[str, Any], said: str) -> None:
    alone = problems(collection(feature))
    assert len(alone) == 1 and alone[0].startswith(said)
    after_a_good_one = problems(collection(GOOD | {"id": "L-0"}, feature))
    assert after_a_good_one == [alone[0].replace("feature 1", "feature 2", 1)]


def test_a_duplicate_id_and_every_problem_at_once() -> None:
    found = problems(collection(GOOD, changed(kind="heliport", geometry=None), changed(id=None)))
    assert found[:2] == ["feature 2 (id 'L-1'): duplicate id (also feature 1)",
                         "feature 2 (id 'L-1'): no geometry"]
    assert found[2].startswith("feature 2 (id 'L-1'): unknown kind")
    assert found[3] == "feature 3: missing id"


def test_not_a_feature_collection() -> None:
    assert problems({"type": "Feature"}) == ["the file is not a GeoJSON FeatureCollection"]
    assert problems(collection("x")) == ["feature 1: not a GeoJSON Feature"]  # type: ignore[arg-type]


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                    st.sampled_from(["garage", "Parking Lot", "city", "leased", "2025-10-27"]))
_FEATURES = st.lists(st.fixed_dictionaries({}, optional={
    "id": _VALUES, "name": _VALUES, "kind": _VALUES, "owner": _VALUES, "sign_posted": _VALUES,
    "gates_lockable": _VALUES, "geometry": st.sampled_from([None, GOOD["geometry"], BOWTIE])}),
    max_size=5)


@settings(max_examples=150, deadline=None)
@given(_FEATURES)
def test_any_file_is_all_read_or_refused_with_every_bad_feature_named(
        edits: list[dict[str, Any]]) -> None:
    features = [changed(**edit) for edit in edits]
    try:
        found = read_features(collection(*features), "chicago")
    except InputError as exc:
        named = {int(m.split()[1].rstrip(":")) for _, m in exc.field_errors}
        assert named and named <= set(range(1, len(features) + 1))
    else:
        assert [p.id for p in found] == [str(f["id"]).strip() for f in features]
