"""Query planning: one decision for the dataset, one per column; withheld columns never leak."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctuarygate.errors import (
    DatasetNotServedError,
    InputError,
    UnknownAgencyError,
    UnknownDatasetError,
)
from sanctuarygate.gateway.plan import QueryRefusedError, parse_spec, plan_query
from sanctuarygate.policy.default import default_decider, default_library

DAY = dt.date(2025, 11, 22)
DHS_IMMIGRATION = [a.id for a in default_library().directory if a.immigration_agency]
ILLINOIS = ("illinois", "chicago", "cook-county", "north-chicago", "waukegan")
#: (profile, dataset) for every dataset an Illinois place's gateway serves.
SERVED = [(p, d.id) for p in ILLINOIS for d in default_library().catalog
          if d.keeper in default_library().profile(p).keepers]
SENSITIVE = {"immigration", "citizenship", "birthplace"}


def plan(agency: str = "FBI", profile: str = "chicago", **body: Any) -> Any:
    spec = parse_spec({"dataset": "cpd-arrests", "purpose": "criminal-investigation", **body},
                      default_library().catalog)
    return plan_query(default_decider(), spec, agency=agency, profile=profile, day=DAY)


def test_fbi_gets_masked_arrests_with_terms() -> None:
    p = plan()
    assert "citizenship" in p.withheld and "birthplace" in p.withheld
    assert "charge" in p.released and "citizenship" not in p.released
    kinds = {t.kind for t in p.terms}
    assert {"no-onward-sharing", "purpose-limit"} <= kinds
    onward = {a for t in p.terms if t.kind == "no-onward-sharing" for a in t.values}
    assert {"ICE-ERO", "CBP", "DHS"} <= onward  # DHS: every component (it shares inside itself)
    assert any("2-173-030" in c for c in p.decision.citations)


@pytest.mark.parametrize("agency", DHS_IMMIGRATION)
@pytest.mark.parametrize(("profile", "dataset"), SERVED)
@pytest.mark.parametrize("purpose", ["criminal-investigation", "civil-immigration-enforcement",
                                     "unknown", "disaster-relief"])
def test_ice_and_cbp_are_refused_at_every_dataset(agency: str, profile: str, dataset: str,
                                                  purpose: str) -> None:
    with pytest.raises(QueryRefusedError) as info:
        plan(agency=agency, profile=profile, dataset=dataset, purpose=purpose)
    assert info.value.decision is not None and info.value.decision.outcome == "deny"


def test_every_illinois_place_serves_its_own_datasets() -> None:
    """Each city or county serves its own keepers' data; the state layer serves none (a
    state-only gateway would answer for CPD data without Chicago's own rules)."""
    assert {p for p, _ in SERVED} == set(ILLINOIS) - {"illinois"}
    assert ("chicago", "water-billing") in SERVED and ("waukegan", "cpd-arrests") not in SERVED


@pytest.mark.parametrize(("profile", "dataset"), [("waukegan", "water-billing"),
                                                  ("chicago", "waukegan-pd-records"),
                                                  ("new-york-city", "cpd-arrests")])
def test_a_dataset_outside_the_place_is_not_served(profile: str, dataset: str) -> None:
    """A Waukegan gateway never hands out Chicago water bills, whoever asks: refused before any
    decision, with the datasets it does serve."""
    with pytest.raises(DatasetNotServedError, match=f"this gateway \\({profile}\\) serves only"):
        plan(agency="FBI", profile=profile, dataset=dataset)


@pytest.mark.parametrize("agency", ["FEMA", "USSS", "TSA", "CISA", "USCG", "FLETC", "USCIS"])
@pytest.mark.parametrize("purpose", ["civil-immigration-enforcement", "unknown", "disaster-relief",
                                     "protective-operation", "benefits-adjudication"])
def test_other_dhs_components_refused_outside_criminal_work(agency: str, purpose: str) -> None:
    with pytest.raises(QueryRefusedError):
        plan(agency=agency, purpose=purpose)


@pytest.mark.parametrize("agency", ["FEMA", "USSS", "TSA-FAMS", "CISA", "USCG-CGIS", "FLETC",
                                    "USCIS"])
@pytest.mark.parametrize(("profile", "dataset"), SERVED)
def test_other_dhs_components_criminal_work_goes_to_a_person(agency: str, profile: str,
                                                             dataset: str) -> None:
    """DHS shares data inside itself: a platform query for criminal work is reviewed, not run."""
    with pytest.raises(QueryRefusedError) as info:
        plan(agency=agency, profile=profile, dataset=dataset)
    assert info.value.decision is not None and info.value.decision.outcome == "review"


@pytest.mark.parametrize(("profile", "dataset"), SERVED)
def test_dhs_itself_is_refused_like_ice(profile: str, dataset: str) -> None:
    """DHS is the parent of ICE and CBP: never treated more favourably than ICE."""
    with pytest.raises(QueryRefusedError) as info:
        plan(agency="DHS", profile=profile, dataset=dataset)
    assert info.value.decision is not None and info.value.decision.outcome == "deny"


@pytest.mark.parametrize("onward", [["TSA"], ["FBI", "USCG"]])
def test_data_passed_on_to_dhs_goes_to_a_person(onward: list[str]) -> None:
    with pytest.raises(QueryRefusedError) as info:
        plan(onward_recipients=onward)
    assert info.value.decision is not None and info.value.decision.outcome == "review"


def test_onward_sharing_to_ice_is_refused() -> None:
    with pytest.raises(QueryRefusedError):
        plan(onward_recipients=["ICE-ERO"])


@pytest.mark.parametrize("where", [
    {"filters": [{"field": "citizenship", "op": "eq", "value": "X"}]},
    {"filters": [{"field": "birthplace", "op": "is-null"}]},
    {"sort": "immigration_status_note"},
])
def test_filter_or_sort_on_withheld_column_is_refused(where: dict[str, Any]) -> None:
    with pytest.raises(QueryRefusedError, match="withheld field"):
        plan(**where)


@pytest.mark.parametrize(("body", "error"), [
    ({"dataset": "nope"}, UnknownDatasetError),
    ({"fields": ["charge", "shoe_size"]}, InputError),
    ({"fields": "charge"}, InputError),
    ({"limit": 0}, InputError),
    ({"limit": True}, InputError),
    ({"format": "xml"}, InputError),
    ({"filters": [{"field": "charge", "op": "drop table"}]}, InputError),
    ({"filters": [{"field": "charge", "op": "eq", "value": {"$ne": 1}}]}, InputError),
    ({"onward_recipients": ["SPECTRE"]}, UnknownAgencyError),
    ({"sql": "select 1"}, InputError),
    ({"filters": {}}, InputError),  # present but not a list: refused, not read as "no filter"
    ({"document": ""}, InputError),
    ({"onward_recipients": ""}, InputError),
])
def test_bad_queries_are_input_errors(body: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        plan(**body)


names = [n for n, _ in default_library().catalog.get("cpd-arrests").fields]
#: A value each column type can hold, so that only the rules (not typing) refuse a filter.
SAMPLE = {"text": "x", "integer": 7, "date": "2024-01-31"}


@settings(max_examples=150, deadline=None)
@given(fields=st.lists(st.sampled_from([*names, "*"]), min_size=1, max_size=6),
       filter_fields=st.lists(st.sampled_from(names), max_size=3),
       sort=st.none() | st.sampled_from(names),
       agency=st.sampled_from(["FBI", "DEA", "ATF", "USMS", "ISP", "TSA-FAMS"]),
       document=st.sampled_from(["none", "grand-jury-subpoena", "court-order"]))
def test_masked_fields_are_never_released(fields: list[str], filter_fields: list[str],
                                          sort: str | None, agency: str, document: str) -> None:
    lib = default_library()
    ds = lib.catalog.get("cpd-arrests")
    tags = dict(ds.fields)
    body = {"fields": fields, "sort": sort,
            "document": {"kind": document, "verified": True},
            "filters": [{"field": f, "op": "eq", "value": SAMPLE[ds.field_type(f)]}
                        for f in filter_fields]}
    try:
        p = plan(agency=agency, **body)
    except QueryRefusedError:
        return
    for name in p.released:
        assert not (set(tags[name]) & SENSITIVE), (name, p.terms)
    for f in p.spec.filters:
        assert f.field in p.released or f.field not in p.withheld


def test_the_plan_asks_what_the_written_query_says() -> None:
    """The requests built with ``ask`` equal the scenario-format request a person would write
    for the query (the parser's reading), and so decide the same."""
    from sanctuarygate.domain.request import parse_request

    p = plan(agency="dea", document={"kind": "judicial-warrant", "verified": True},
             onward_recipients=["fbi"])
    written = parse_request({
        "profile": "chicago", "date": DAY.isoformat(), "principal": {"agency": "DEA"},
        "action": "query-dataset", "resource": {"type": "Dataset", "id": "cpd-arrests"},
        "context": {"purpose": "criminal-investigation", "channel": "data-platform",
                    "onward_recipients": ["FBI"],
                    "document": {"kind": "judicial-warrant", "verified": True}}})
    assert p.request == written
    assert default_decider().decide(written).to_dict() == p.decision.to_dict()


def test_a_bad_document_names_its_field() -> None:
    with pytest.raises(InputError) as info:
        plan(document={"kind": "napkin"})
    assert info.value.field == "context.document.kind"
