"""Request parsing: every bad input is an InputError naming its field, never a default."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.request import UNKNOWN, parse_request
from sanctuarygate.errors import FieldErrors, InputError

BASE: dict[str, Any] = {
    "profile": "chicago",
    "date": "2025-06-01",
    "principal": {"agency": "ICE-ERO"},
    "action": "honor-detainer",
    "resource": {"type": "Person", "in_custody": True},
    "context": {"purpose": "civil-immigration-enforcement",
                "document": {"kind": "detainer", "verified": True,
                             "attachments": ["administrative-warrant"]}},
}


def test_parses_scenario_case() -> None:
    r = parse_request(BASE)
    assert r.date == dt.date(2025, 6, 1)
    assert r.principal.kind == "agency" and r.principal.id == "ICE-ERO"
    assert r.resource.get("in_custody") is True
    assert r.context.document.attachments == ("administrative-warrant",)
    assert r.unknown_facts() == ()


def test_round_trip_through_to_dict() -> None:
    r = parse_request(BASE)
    assert parse_request(r.to_dict()) == r
    assert hash(parse_request(r.to_dict())) == hash(r)


def test_document_verified_missing_is_unknown() -> None:
    r = parse_request({**BASE, "context": {"purpose": "criminal-investigation",
                                           "document": {"kind": "federal-criminal-warrant"}}})
    assert r.context.document.verified == UNKNOWN
    assert r.unknown_facts() == ("document.verified",)


def test_unknown_resource_fact_is_listed() -> None:
    r = parse_request({**BASE, "resource": {"type": "Person", "gang_database": "unknown"}})
    assert r.unknown_facts() == ("resource.gang_database",)


@pytest.mark.parametrize(("change", "field"), [
    ({"profile": None}, "profile"),
    ({"date": "2025-13-01"}, "date"),
    ({"date": None}, "date"),
    ({"action": "deport"}, "action"),
    ({"principal": {"agency": "ICE", "employee": "CPD"}}, "principal"),
    ({"principal": {"boss": "CPD"}}, "principal"),
    ({"resource": {"type": "Spaceship"}}, "resource.type"),
    ({"resource": {"type": "Person", "citizenship": "x"}}, "resource.citizenship"),
    ({"resource": {"type": "Person", "in_custody": "maybe"}}, "resource.in_custody"),
    ({"resource": {"type": "Property", "kind": "castle"}}, "resource.kind"),
    ({"context": {"purpose": "fun"}}, "context.purpose"),
    ({"context": {"document": {"kind": "napkin"}}}, "context.document.kind"),
    ({"context": {"document": {"kind": "detainer", "verified": "yes"}}}, "context.document.verified"),
    ({"context": {"immigration_status": "undocumented"}}, "context"),
    ({"extra_packs": "ocad"}, "extra_packs"),
    # found by the API's contract test: falsy values were read as "no context" / not read
    ({"context": False}, "context"),
    ({"context": []}, "context"),
    ({"context": {"document": {"kind": "none", "verified": -5}}}, "context.document.verified"),
])
def test_bad_input_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_request({**BASE, **change})
    assert info.value.field == field


def test_immigration_status_cannot_be_stated() -> None:
    """Collect nothing that could hurt a resident: there is no field for a person's status."""
    with pytest.raises(InputError):
        parse_request({**BASE, "resource": {"type": "Person", "immigration_status": "x"}})


def test_unexpected_top_level_field_is_refused() -> None:
    with pytest.raises(InputError, match="unexpected"):
        parse_request({**BASE, "surprise": 1})


def test_every_bad_field_is_reported_at_once() -> None:
    """No agency, an unknown fact, a bad date and a bad document: four problems, one error,
    each naming its field, and still an InputError for callers that catch that."""
    bad = {**BASE, "date": "2025-02-30", "principal": {"agency": ""},
           "resource": {"type": "Person", "shoe_size": 9, "in_custody": "maybe"},
           "context": {"purpose": "fun", "document": {"kind": "napkin"}}}
    with pytest.raises(FieldErrors) as info:
        parse_request(bad)
    fields = [f for f, _ in info.value.field_errors]
    assert fields == ["date", "principal.agency", "resource.in_custody", "resource.shoe_size",
                      "context.purpose", "context.document.kind"]
    assert isinstance(info.value, InputError) and info.value.field == "date"
    assert dict(info.value.field_errors)["principal.agency"] == "is required"


def test_one_bad_field_is_raised_as_itself() -> None:
    with pytest.raises(InputError) as info:
        parse_request({**BASE, "action": "deport"})
    assert not isinstance(info.value, FieldErrors)
    assert info.value.field_errors == (("action", info.value.field_errors[0][1]),)


def test_another_date_or_extra_packs_make_a_what_if() -> None:
    r = parse_request(BASE)
    assert r.what_if(dt.date(2025, 6, 1)) == () and not r.is_hypothetical(dt.date(2025, 6, 1))
    assert r.what_if(dt.date(2025, 6, 2)) == ("date",)
    proposal = parse_request({**BASE, "extra_packs": ["ocad-proposed-eo-2019"]})
    assert proposal.what_if(dt.date(2025, 6, 1)) == ("extra_packs",)
    assert proposal.what_if(dt.date(2026, 1, 1)) == ("extra_packs", "date")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10),
                                                                        children, max_size=3),
    max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*sorted(BASE), "x"]), json_values, max_size=7))
def test_any_mapping_parses_or_raises_input_error(data: dict[str, Any]) -> None:
    try:
        r = parse_request(data)
    except InputError:
        return
    assert r.action in voc.ACTIONS
    assert r.context.purpose in voc.PURPOSES


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(["profile", "date", "action", "principal", "resource", "context"]),
       value=json_values)
def test_mutating_one_field_never_crashes(field: str, value: Any) -> None:
    with contextlib.suppress(InputError):
        parse_request({**BASE, field: value})
