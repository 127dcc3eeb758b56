"""``GET /property/{id}/sign.pdf``: facility managers print a property's sign; anyone else is
refused, and a property the order does not clearly cover gets its reason, not a sign."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from sanctuarygate.audit.default import default_log
from sanctuarygate.domain.property import Property
from sanctuarygate.policy.decide import Decider
from sanctuarygate.store.property import import_properties

from .conftest import TestClient, web_app
from .staff import new_member, sign_in

LOT = Property("T-SIGN-LOT", "chicago", "Test Lot", "parking-lot", "city")
PARK = Property("T-SIGN-PARK", "chicago", "Test Park", "park", "sister-agency")


@pytest.fixture(scope="module")
def registered() -> None:
    with default_log().engine.begin() as conn:
        import_properties(conn, "chicago", [LOT, PARK])


def _as(decider: Decider, role: str | None) -> TestClient:
    client = TestClient(web_app(decider))
    if role is not None:
        sign_in(client, new_member(role))
    return client


def test_a_facility_manager_prints_the_sign(decider: Decider, registered: None) -> None:
    client = _as(decider, "property")
    r = client.get(f"/property/{LOT.id}/sign.pdf?lang=es&paper=a4")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert f'filename="{LOT.id}-es.pdf"' in r.headers["content-disposition"]
    text = " ".join(PdfReader(io.BytesIO(r.content)).pages[0].extract_text().split())
    assert "Esta propiedad es de la Ciudad de Chicago" in text and LOT.id in text
    assert client.get(f"/property/{LOT.id}").text.count(f"/property/{LOT.id}/sign.pdf") == 1


def test_only_facility_managers(decider: Decider, registered: None) -> None:
    assert _as(decider, None).get(f"/property/{LOT.id}/sign.pdf").status_code == 401
    assert _as(decider, "desk").get(f"/property/{LOT.id}/sign.pdf").status_code == 403
    assert _as(decider, "auditor").get(f"/property/{LOT.id}/sign.pdf").status_code == 403


def test_no_sign_for_what_the_order_does_not_clearly_cover(decider: Decider,
                                                           registered: None) -> None:
    client = _as(decider, "property")
    park = client.get(f"/property/{PARK.id}/sign.pdf")
    assert park.status_code == 422 and "a person decides" in park.text
    assert client.get("/property/NO-SUCH/sign.pdf").status_code == 404
    assert client.get(f"/property/{LOT.id}/sign.pdf?lang=fr").status_code == 422
    assert client.get(f"/property/{LOT.id}/sign.pdf?paper=legal").status_code == 422
