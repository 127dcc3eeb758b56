"""The rules pages: what a place promises today and since when, each pack as published law."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import get_settings

from .conftest import TestClient, web_app

SPANISH = {"accept-language": "es"}


@pytest.fixture
def client(decider: Decider) -> TestClient:
    return TestClient(web_app(decider), raise_server_exceptions=False)


def test_the_index_lists_every_place_and_pack(client: TestClient, decider: Decider) -> None:
    page = client.get("/rules")
    assert page.status_code == 200
    for place in decider.library.profiles:
        assert f'href="/rules/{place}"' in page.text
    for pack in decider.library.packs:
        assert f'href="/rules/packs/{pack}"' in page.text
    assert "Proposal (never law by itself)" in page.text


def test_what_chicago_promises_today_and_since_when(client: TestClient,
                                                    decider: Decider) -> None:
    html = client.get("/rules/chicago").text
    assert "What City of Chicago promises today, and since when" in html
    today = get_settings().today()
    in_force = [p.id for p in decider.library.packs_for("chicago", today)]
    shown = re.findall(r'<section class="pack" aria-labelledby="pack-([\w-]+)">', html)
    assert shown == in_force and "chi-wco-2021" in shown and "il-trust-2021" in shown
    assert "chi-wco-2012" not in shown and "il-trust-2017" not in shown  # ended
    # every rule of a pack in force, with its clause and confidence
    wco = decider.library.packs["chi-wco-2021"]
    for rule in wco.rules:
        assert escape(rule.ref.citation) in html
    assert "MCC 2-173-020(a)(1)(C)" in html and "Forbids:" in html
    assert "[C] confirmed in the source text" in html
    # since when: the date, and that it is not confirmed when it is a setting
    assert f"In force from {wco.effective_from}" in html and "date not confirmed" in html


def test_the_history_lists_every_change_by_date(client: TestClient) -> None:
    html = client.get("/rules/chicago").text
    history = html[html.index('id="history-title"'):]
    dates = re.findall(r'<th scope="row">(\d{4}-\d{2}-\d{2})', history)
    assert dates == sorted(dates) and "2012-09-12" in dates
    assert re.search(r"2021-08-02.*?ended.*?il-trust-2017", history, re.S)
    assert re.search(r"2021-08-02.*?took effect.*?il-trust-2021", history, re.S)


def test_a_pack_page_as_published_law(client: TestClient, decider: Decider) -> None:
    pack = decider.library.packs["il-trust-2021"]
    html = client.get("/rules/packs/il-trust-2021").text
    assert escape(pack.title) in html and "State law (statute)" in html
    assert f"In force from {pack.effective_from}" in html and "in force today" in html
    for source in pack.sources:
        assert f'href="{source}"' in html
    assert 'href="/rules/chicago"' in html and 'href="/rules/illinois"' in html
    assert all(escape(r.ref.citation) in html for r in pack.rules)
    proposal = client.get("/rules/packs/ocad-proposed-eo-2019").text
    assert "Never in force" in proposal and "no place by itself" in proposal


def test_an_ended_pack_says_so(client: TestClient) -> None:
    html = client.get("/rules/packs/il-trust-2017").text
    assert "ended 2021-08-02" in html and "no longer in force" in html


@pytest.mark.parametrize("path", ["/rules/atlantis", "/rules/packs/no-such-pack"])
def test_unknown_places_and_packs_are_404(client: TestClient, path: str) -> None:
    answer = client.get(path, headers={"accept": "text/html"})
    assert answer.status_code == 404


def test_the_rules_in_spanish_keep_the_law_in_english(client: TestClient) -> None:
    html = client.get("/rules/chicago", headers=SPANISH).text
    assert '<html lang="es">' in html
    assert "Lo que City of Chicago promete hoy, y desde cuándo" in html
    assert "Prohíbe:" in html and "MCC 2-173-020(a)(1)(C)" in html
    assert '<span lang="en">No city agent may hold anyone on an immigration detainer.</span>' \
        in html
