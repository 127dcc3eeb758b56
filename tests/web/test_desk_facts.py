"""The desk asks every fact a rule reads, and sends a fact left unanswered as ``unknown``.

The facts are derived from the packs (what each rule in force reads, per action), for every
profile on every day on which the packs in force change, so a new rule that reads a new fact
fails here until the desk asks it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import get_settings
from sanctuarygate.web.app import create_app

from .conftest import TestClient
from .staff import with_csrf

HTMX = {"HX-Request": "true"}

#: How a fact a rule reads is asked on the desk form: the request path -> the form input.
INPUT_FOR = {"document.attachments": "attachment"}


@pytest.fixture
def client(decider: Decider) -> TestClient:
    """The desk with a session: its CSRF token goes with every post."""
    return with_csrf(TestClient(create_app(decider=decider)))


def _days(decider: Decider) -> list[dt.date]:
    """One day in every interval between pack dates, and today."""
    bounds = {p.effective_from for p in decider.library.packs.values() if p.effective_from}
    bounds |= {p.effective_until for p in decider.library.packs.values() if p.effective_until}
    return sorted(bounds | {get_settings().today()})


def test_the_desk_asks_every_fact_a_rule_reads(client: TestClient, decider: Decider) -> None:
    html = client.get("/").text
    inputs = set(re.findall(r'name="([a-z0-9_]+)"', html))
    lib = decider.library
    missing = set()
    for profile in lib.profiles:
        for day in _days(decider):
            packs = lib.packs_for(profile, day)
            for action in voc.ACTIONS:
                for path in lib.facts_read(packs, action):
                    name = INPUT_FOR.get(path, path.removeprefix("resource."))
                    if name not in inputs and name not in {"kind", "owner", "id", "dataset"}:
                        missing.add((profile, day.isoformat(), action, path))
                    # kind, owner, id, dataset are asked as property_kind, property_owner,
                    # agreement_kind, dataset and field_name
    assert {"property_kind", "property_owner", "agreement_kind", "dataset"} <= inputs
    assert sorted(missing) == []


USMS_WARRANT = {"profile": "chicago", "date": "2025-09-10", "principal_kind": "agency",
                "agency": "USMS", "action": "transfer-custody", "in_custody": "true",
                "purpose": "criminal-investigation", "document_kind": "federal-criminal-warrant",
                "verified": "true"}


def test_a_detainer_not_asked_is_sent_as_unknown(client: TestClient) -> None:
    """Left out, the transfer on a verified warrant was an unconditional YES; the engine with
    a detainer adds "do not notify immigration agents". Not known, a person decides."""
    html = client.post("/decide", data=USMS_WARRANT, headers=HTMX).text
    assert 'class="card outcome-review"' in html
    assert "Is there an immigration detainer on the person?" in html


@pytest.mark.parametrize(("detainer", "outcome"), [("false", "allow"),
                                                   ("true", "allow-with-conditions")])
def test_a_detainer_answered_decides(client: TestClient, detainer: str, outcome: str) -> None:
    html = client.post("/decide", data={**USMS_WARRANT, "has_detainer": detainer},
                       headers=HTMX).text
    assert f'class="card outcome-{outcome}"' in html
    if detainer == "true":
        assert "do not notify immigration agents" in html
    else:
        assert "do not notify immigration agents" not in html


def test_about_what_follows_from_the_property_fields(client: TestClient) -> None:
    """North Chicago, Border Patrol, a city garage as a staging area: the officer filled the
    property fields and left "it is about" blank; the desk decides, it does not ask again."""
    html = client.post("/decide", headers=HTMX, data={
        "profile": "north-chicago", "date": "2025-11-01", "principal_kind": "agency",
        "agency": "CBP-USBP", "action": "use-property", "purpose": "civil-immigration-enforcement",
        "property_kind": "garage", "property_owner": "city", "use": "staging-area",
        "document_kind": "none"}).text
    assert 'class="card outcome-deny"' in html


def test_about_what_that_cannot_be_told_names_the_field(client: TestClient) -> None:
    html = client.post("/decide", headers=HTMX, data={
        "profile": "chicago", "date": "2025-11-01", "principal_kind": "agency",
        "agency": "ICE-ERO", "action": "assist-operation", "purpose": "unknown",
        "document_kind": "none"}).text
    assert "NOT DECIDED" in html and 'href="#resource_type"' in html


@pytest.mark.parametrize(("typed", "agency"), [("Border Patrol", "CBP-USBP"), ("hsi", "ICE-HSI"),
                                               ("Homeland Security Investigations", "ICE-HSI"),
                                               ("U.S. Marshals", "USMS")])
def test_common_names_are_accepted(client: TestClient, typed: str, agency: str) -> None:
    html = client.post("/decide", headers=HTMX, data={**USMS_WARRANT, "agency": typed,
                                                      "has_detainer": "false"}).text
    assert "NOT DECIDED" not in html
    assert f"<dt>Who</dt><dd>{agency}</dd>" in html


def test_a_suggestion_is_one_click(client: TestClient) -> None:
    """An agency the desk cannot place gets suggestions as buttons that submit the desk form
    with the picked id, which wins over the text typed."""
    bad = client.post("/decide", headers=HTMX, data={**USMS_WARRANT, "agency": "Marshal"}).text
    assert "NOT DECIDED" in bad
    assert 'form="desk-form" name="agency_pick" value="USMS"' in bad
    picked = client.post("/decide", headers=HTMX, data={**USMS_WARRANT, "agency": "Marshal",
                                                        "agency_pick": "USMS",
                                                        "has_detainer": "false"}).text
    assert 'class="card outcome-allow"' in picked
