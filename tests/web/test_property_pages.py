"""The property registry on the web: the public list (filters, a map drawn on the server,
nothing from another site), a property's page, and the desk deciding by property id with the
property refusal card (English and Spanish)."""

from __future__ import annotations

import re

import pytest

from sanctuarygate.audit.default import default_log
from sanctuarygate.demo.property import seed_properties
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import get_settings
from sanctuarygate.web import property_map

from .conftest import TestClient, web_app
from .staff import with_csrf


@pytest.fixture(scope="module")
def client(decider: Decider) -> TestClient:
    seed_properties(default_log().engine)  # the demo registries (idempotent)
    return with_csrf(TestClient(web_app(decider)))


def ids(html: str) -> list[str]:
    return re.findall(r'<a href="/property/([^"]+)">', html)


def test_the_list_filters_by_place_department_and_sign(client: TestClient) -> None:
    every = client.get("/property")
    assert every.status_code == 200
    assert {"NC-LOT-14", "CHI-GAR-01", "WK-BLD-08"} <= set(ids(every.text))
    works = client.get("/property", params={"place": "north-chicago",
                                            "department": "Public Works"})
    assert ids(works.text) == ["NC-GAR-02", "NC-LOT-14"]
    unsigned = client.get("/property", params={"place": "north-chicago", "sign": "none"})
    assert "NC-LOT-14" not in ids(unsigned.text) and "NC-GAR-02" in ids(unsigned.text)
    posted = client.get("/property", params={"place": "north-chicago", "sign": "posted"})
    assert set(ids(posted.text)) == {"NC-LOT-14", "NC-BLD-01"}
    assert client.get("/property", params={"sign": "maybe"}).status_code == 422
    assert client.get("/property", params={"place": "atlantis"}).status_code == 404


def test_the_map_is_an_svg_drawn_here_and_nothing_loads_from_elsewhere(
        client: TestClient) -> None:
    page = client.get("/property", params={"place": "waukegan"}).text
    img = re.search(r'<img id="property-map" src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)"',
                    page)
    assert img and "WK-LOT-03" in img.group(1)
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_a_property_page_and_an_unknown_one(client: TestClient) -> None:
    page = client.get("/property/NC-LOT-14")
    assert page.status_code == 200
    assert "posted on 2025-10-27 by Public Works" in page.text
    assert client.get("/property/NC-LOT-99").status_code == 404


STAGE = {"profile": "north-chicago", "principal_kind": "agency", "agency": "Border Patrol",
         "action": "use-property", "purpose": "civil-immigration-enforcement",
         "use": "staging-area", "document_kind": "none", "mode": "try"}


def ask(client: TestClient, lang: str = "en", **changes: str) -> tuple[int, str]:
    form = {**STAGE, "date": get_settings().today().isoformat(), **changes}
    got = client.post("/decide", data=form, headers={"HX-Request": "true",
                                                      "accept-language": lang})
    return got.status_code, got.text


def test_the_desk_lists_the_registry_by_place(client: TestClient) -> None:
    page = client.get("/").text
    picker = page.split('<select id="property_id"', 1)[1].split("</select>", 1)[0]
    assert '<optgroup label="City of North Chicago" data-place="north-chicago">' in picker
    assert '<option value="NC-LOT-14">' in picker


def test_a_refusal_by_property_id_points_to_the_sign_the_gate_and_the_report(
        client: TestClient) -> None:
    status, card = ask(client, property_id="NC-LOT-14")
    assert status == 200 and "outcome-deny" in card
    refusal = card.split('id="property-refusal"', 1)[1].split("</section>", 1)[0]
    assert "Point to the sign posted here on 2025-10-27 by Public Works" in refusal
    assert "names, badge numbers and agency" in refusal
    assert "Report the attempted use to Public Works" in refusal
    assert "Lock the gate" in refusal
    assert 'href="/report?property=NC-LOT-14"' in refusal
    _, unsigned = ask(client, property_id="NC-VAC-09")  # no sign, gates that do not lock
    assert "No sign is posted here yet" in unsigned and "gates do not lock" in unsigned


def test_the_refusal_card_in_spanish(client: TestClient) -> None:
    _, card = ask(client, "es", property_id="NC-LOT-14")
    assert "En esta propiedad" in card and "Señale el letrero puesto aquí el 2025-10-27" in card
    assert "Cierre el portón con llave" in card


def test_by_id_is_the_same_answer_as_by_hand_and_contradictions_are_refused(
        client: TestClient) -> None:
    _, by_id = ask(client, property_id="NC-GAR-02")
    _, by_hand = ask(client, property_kind="garage", property_owner="city", leased="false")
    rules = re.compile(r'<p class="rule-id">([^<]+)</p>')
    assert rules.findall(by_id) == rules.findall(by_hand) != []
    status, card = ask(client, property_id="NC-GAR-02", property_kind="parking-lot")
    assert status == 422 and "NOT DECIDED" in card and 'href="#property_kind"' in card
    status, card = ask(client, property_id="NC-LOT-99")
    assert status == 422 and "not in the city&#39;s property registry" in card
    status, card = ask(client, property_id="CHI-GAR-01")  # Chicago's garage, North Chicago's rules
    assert status == 422 and "property of chicago" in card


def test_the_api_decides_by_property_id_and_refuses_an_unknown_one(client: TestClient) -> None:
    body = {"profile": "north-chicago", "date": get_settings().today().isoformat(),
            "principal": {"agency": "CBP-USBP"}, "action": "use-property",
            "resource": {"type": "Property", "property_id": "NC-LOT-14"},
            "context": {"purpose": "civil-immigration-enforcement", "use": "staging-area"}}
    got = client.post("/api/v1/decisions?dry_run=true", json=body)
    assert got.status_code == 200, got.text
    assert got.json()["outcome"] == "deny"
    assert got.json()["request"]["resource"]["owner"] == "city"
    body["resource"] = {"type": "Property", "property_id": "NC-LOT-99"}
    unknown = client.post("/api/v1/decisions?dry_run=true", json=body)
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_the_map_draws_at_most_its_limit_and_the_page_says_so(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(property_map, "MAX_DRAWN", 2)
    page = client.get("/property", params={"place": "north-chicago"}).text
    assert "The map shows the first 2 of 5" in page
    alt_text = re.search(r'<img id="property-map" [^>]*alt="([^"]+)"', page)
    assert alt_text and alt_text.group(1).count("(demo)") == 2
    assert len(ids(page)) == 5  # the table lists every one
