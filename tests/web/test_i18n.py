"""The desk in Spanish: a complete catalog, the language chosen by the browser or the switch."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sanctuarygate.errors import PolicyEvaluationError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import get_settings
from sanctuarygate.web import i18n
from sanctuarygate.web.app import create_app

from .conftest import FailingDecider, TestClient, client_for
from .staff import as_desk_officer, with_csrf


@pytest.fixture
def client(decider: Decider) -> TestClient:
    """The desk as a browser holds it: a session, its CSRF token sent with every post."""
    return with_csrf(TestClient(create_app(decider=decider)))

SRC = Path(i18n.__file__).resolve().parents[1]
MAPPING = [("**/domain/advice.py", "python"), ("**/domain/request.py", "python"),
           ("**/web/*.py", "python"), ("**/web/templates/*.html", "jinja2")]
DETAINER = {"profile": "illinois", "date": "2024-02-01", "principal_kind": "agency",
            "agency": "ICE-ERO", "action": "honor-detainer", "in_custody": "true",
            "purpose": "civil-immigration-enforcement", "document_kind": "detainer",
            "verified": "true"}
SPANISH = {"accept-language": "es-US,es;q=0.9,en;q=0.5"}
HTMX = {"HX-Request": "true"}


def _marked() -> set[str]:
    """Every message marked for translation in the code and templates, as Babel extracts it
    (the same mapping as ``locale/babel.cfg``)."""
    found = extract_from_dir(str(SRC), MAPPING, keywords={"N_": None, "_": None, "gettext": None},
                             options_map={"**/web/templates/*.html":
                                          {"extensions": "jinja2.ext.i18n"}})
    return {message for _, _, message, _, _ in found if isinstance(message, str) and message}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name} | set(
        re.findall(r"%\((\w+)\)s", text))


def test_every_marked_message_has_a_spanish_translation() -> None:
    with i18n.po_path("es").open("rb") as source:
        catalog = read_po(source, locale="es")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    marked = _marked()
    assert len(marked) > 200, "the extractor found too few messages: is the mapping right?"
    missing = sorted(marked - set(translated))
    assert not missing, f"messages with no Spanish entry (update the .po): {missing[:10]}"
    for msgid in marked:  # a named placeholder must survive translation, and nothing else
        assert _fields(translated[msgid]) == _fields(msgid), msgid


def test_accept_language_is_negotiated_with_q_values() -> None:
    assert i18n.negotiate("en;q=0.4, es;q=0.8") == "es"
    assert i18n.negotiate("es;q=0, en") == "en"
    assert i18n.negotiate("es-MX") == "es"
    assert i18n.negotiate("") == "en" and i18n.negotiate("es;q=abc") == "en"


def test_the_desk_speaks_spanish_when_the_browser_asks(client: TestClient) -> None:
    html = client.get("/", headers=SPANISH).text
    assert '<html lang="es">' in html
    assert "¿Qué se está pidiendo?" in html and ">Probar (sin registrar)</button>" in html
    assert "Retener a alguien por una orden de detención migratoria" in html
    assert 'href="/?lang=en"' in html  # the switch back
    english = client.get("/", headers={"accept-language": "fr, en;q=0.5"}).text
    assert '<html lang="en">' in english and "What is being asked?" in english


def test_the_switch_sets_a_cookie_that_wins_over_the_browser(client: TestClient) -> None:
    switched = client.get("/?lang=es", headers={"accept-language": "en"})
    assert switched.cookies.get("lang") == "es" and '<html lang="es">' in switched.text
    later = client.get("/", headers={"accept-language": "en"})  # the cookie is kept
    assert '<html lang="es">' in later.text
    back = client.get("/?lang=en")
    assert '<html lang="en">' in back.text and back.cookies.get("lang") == "en"


def test_a_deny_card_in_spanish_keeps_the_citation(client: TestClient) -> None:
    html = client.post("/decide", data=DETAINER, headers={**SPANISH, **HTMX}).text
    assert "NO — DENEGAR" in html and "5 ILCS 805/15(a)" in html
    assert "Qué decir y qué hacer" in html
    assert "Diga: &#34;La ley de Illinois no me permite retener a nadie" in html
    assert "HIPOTÉTICO — no es la ley vigente: la ley del 2024-02-01, no la de hoy" in html
    assert "Do not" not in html


def test_an_allow_with_conditions_card_in_spanish(client: TestClient) -> None:
    form = {**DETAINER, "profile": "chicago", "date": get_settings().today().isoformat(),
            "agency": "FBI", "action": "query-dataset", "resource_type": "Dataset",
            "dataset": "cpd-arrests", "purpose": "criminal-investigation",
            "document_kind": "none"}
    as_desk_officer(client)
    html = client.post("/decide", data=form, headers={**SPANISH, **HTMX}).text
    assert "SÍ, CON CONDICIONES" in html and "Condiciones" in html
    assert "úselo solo para: Una investigación penal" in html
    assert "Registrada</strong> en el registro público de decisiones" in html


def test_every_bad_field_in_spanish(client: TestClient) -> None:
    form = {**DETAINER, "agency": "", "action": "", "date": "2025-02-30"}
    html = client.post("/decide", data=form, headers={**SPANISH, **HTMX}).text
    assert "SIN DECISIÓN — REVISE LA SOLICITUD" in html
    assert '<a href="#agency">Agencia</a>: es obligatorio' in html
    assert '<a href="#action">Lo que piden</a>: es obligatorio' in html
    assert "no es una fecha (AAAA-MM-DD)" in html


@pytest.mark.parametrize("headers", [HTMX, {"accept": "text/html"}])
def test_the_failure_card_is_spanish_too(headers: dict[str, str]) -> None:
    client = with_csrf(client_for(FailingDecider(PolicyEvaluationError("engine down"))))
    response = client.post("/decide", data=DETAINER, headers={**SPANISH, **headers})
    assert response.status_code == 500
    assert "NO PERMITIDO — EL SISTEMA NO PUDO DECIDIR" in response.text
    assert "No haga lo que le piden" in response.text


def test_the_api_stays_english(client: TestClient) -> None:
    body = {"profile": "illinois", "date": "2024-02-01", "principal": {"agency": "ICE-ERO"},
            "action": "honor-detainer", "resource": {"type": "Person", "in_custody": True}}
    answer = client.post("/api/v1/decisions?lang=es&dry_run=true", json=body, headers=SPANISH)
    assert answer.json()["explanation"].startswith("No.") and "lang" not in answer.cookies
    assert answer.json()["banner"].startswith("HYPOTHETICAL")


def test_the_log_entry_page_in_spanish(client: TestClient) -> None:
    today = {**DETAINER, "date": get_settings().today().isoformat()}
    as_desk_officer(client)
    card = client.post("/decide", data=today, headers=HTMX).text
    index = re.search(r'href="/log/(\d+)"', card).group(1)  # type: ignore[union-attr]
    page = client.get(f"/log/{index}", headers=SPANISH).text
    assert '<html lang="es">' in page and f"Registro público de decisiones, entrada {index}" in page
    assert "NO — DENEGAR" in page and "Retener a alguien por una orden de detención" in page
    assert "5 ILCS 805/15(a)" in page
    missing = client.get("/log/999999", headers={**SPANISH, "accept": "text/html"})
    assert missing.status_code == 404 and "No encontrado" in missing.text
