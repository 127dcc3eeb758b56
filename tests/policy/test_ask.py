"""Typed request constructors (policy.ask) and the scenario runner's own keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.ask import ask, dataset, field, person, premises, resource
from sanctuarygate.policy.default import default_decider
from sanctuarygate.policy.scenario import SCENARIO_KEYS, case_request

DAY = dt.date(2025, 11, 3)


@pytest.mark.parametrize(("built", "written"), [
    (ask(profile="chicago", date=DAY, agency="ICE-ERO", action="notify-release",
         about=person(in_custody=True), purpose="civil-immigration-enforcement"),
     {"profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
      "action": "notify-release", "resource": {"type": "Person", "in_custody": True},
      "context": {"purpose": "civil-immigration-enforcement", "document": {"kind": "none"}}}),
    (ask(profile="chicago", date=DAY, agency="usms", action="transfer-custody",
         about=person(in_custody=True, has_detainer="unknown"), purpose="criminal-investigation",
         document="federal-criminal-warrant", attachments=["detainer"],
         onward_recipients=["ice-ero", "FBI", "FBI"]),
     {"profile": "chicago", "date": "2025-11-03", "principal": {"agency": "USMS"},
      "action": "transfer-custody",
      "resource": {"type": "Person", "in_custody": True, "has_detainer": "unknown"},
      "context": {"purpose": "criminal-investigation", "onward_recipients": ["FBI", "ICE-ERO"],
                  "document": {"kind": "federal-criminal-warrant",
                               "attachments": ["detainer"]}}}),
    (ask(profile="chicago", date=DAY, agency="FBI", action="read-field",
         about=field("CPD-ARRESTS", "race"), purpose="criminal-investigation",
         channel="data-platform", extra_packs=["ocad-proposed-eo-2019"]),
     {"profile": "chicago", "date": "2025-11-03", "principal": {"agency": "FBI"},
      "action": "read-field", "resource": {"type": "Field", "dataset": "CPD-ARRESTS",
                                           "id": "race"},
      "context": {"purpose": "criminal-investigation", "channel": "data-platform"},
      "extra_packs": ["ocad-proposed-eo-2019"]}),
    (ask(profile="chicago", date=DAY, agency="FEMA", action="use-property",
         about=premises("garage", owner="city"), purpose="disaster-relief", use="staging-area"),
     {"profile": "chicago", "date": "2025-11-03", "principal": {"agency": "FEMA"},
      "action": "use-property", "resource": {"type": "Property", "kind": "garage",
                                             "owner": "city"},
      "context": {"purpose": "disaster-relief", "use": "staging-area"}}),
    (ask(profile="illinois", date=DAY, employee="CPD", action="query-dataset",
         about=dataset("CPD-ARRESTS"), truth_act_notice_given=False),
     {"profile": "illinois", "date": "2025-11-03", "principal": {"employee": "CPD"},
      "action": "query-dataset", "resource": {"type": "Dataset", "id": "CPD-ARRESTS"},
      "context": {"truth_act_notice_given": False}}),
])
def test_a_built_request_is_the_written_one(built: Any, written: dict[str, Any]) -> None:
    assert built == parse_request(written)
    assert hash(built) == hash(parse_request(written))


def test_a_built_request_decides_as_the_parsed_one() -> None:
    built = ask(profile="chicago", date=DAY, agency="ICE-ERO", action="notify-release",
                about=person(in_custody=True), purpose="civil-immigration-enforcement")
    decider = default_decider()
    assert decider.decide(built) == decider.decide(parse_request(built.to_dict()))
    assert decider.decide(built).outcome == "deny"


@pytest.mark.parametrize(("make", "named"), [
    (lambda: ask(profile="chicago", date=DAY, action="detain", about=person()), "principal"),
    (lambda: ask(profile="chicago", date=DAY, agency="FBI", employee="CPD", action="detain",
                 about=person()), "principal"),
    (lambda: ask(profile="chicago", date=DAY, agency="FBI", action="deport", about=person()),
     "action"),
    (lambda: ask(profile="chicago", date=DAY, agency="FBI", action="detain", about=person(),
                 purpose="curiosity"), "purpose"),
    (lambda: ask(profile="chicago", date=DAY, agency="FBI", action="detain", about=person(),
                 document="napkin"), "document"),
    (lambda: ask(profile="chicago", date=DAY, agency="FBI", action="detain", about=person(),
                 document="detainer", verified="maybe"), "verified"),  # type: ignore[arg-type]
    (lambda: ask(profile="chicago", date=DAY, agency=" ", action="detain", about=person()),
     "agency"),
    (lambda: person(in_custody="yes"), "in_custody"),  # type: ignore[arg-type]
    (lambda: premises("castle"), "kind"),
    (lambda: resource("Spaceship"), "about"),
])
def test_bad_words_are_input_errors_naming_the_argument(make: Any, named: str) -> None:
    with pytest.raises(InputError) as caught:
        make()
    assert caught.value.field == named


def test_the_runner_takes_off_its_own_keys_only() -> None:
    case = {"id": "x", "note": "why", "expect": {"outcome": "deny"}, "profile": "chicago",
            "date": "2025-11-03", "principal": {"agency": "FBI"}, "action": "detain",
            "resource": {"type": "Person"}}
    assert set(case) & SCENARIO_KEYS == {"id", "note", "expect"}
    assert case_request(case) == parse_request({k: case[k] for k in case
                                                if k not in SCENARIO_KEYS})
    with pytest.raises(InputError, match="contxt"):  # a typo is refused, never dropped
        case_request({**case, "contxt": {"purpose": "criminal-investigation"}})
