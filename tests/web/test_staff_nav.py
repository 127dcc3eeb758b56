"""The header's staff links: each signed-in member sees the staff pages their roles open, and
nobody else sees any (Spanish too); every link opens for the member who sees it."""

from __future__ import annotations

import re

import pytest

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.store.staff import disable_staff

from .conftest import TestClient, web_app
from .staff import new_member, sign_in

LINKS = re.compile(r'<nav class="staff-pages"[^>]*>(.*?)</nav>', re.S)


def _links(html: str) -> list[str]:
    found = LINKS.search(html)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


@pytest.mark.parametrize(("roles", "pages"), [
    (("desk",), []),
    (("reviewer",), ["/cases", "/exceptions", "/replay"]),
    (("records",), ["/cases"]),
    (("property",), ["/reports"]),
    (("auditor",), ["/cases", "/exceptions", "/replay", "/reports"]),
    (("desk", "property"), ["/reports"]),
])
def test_each_member_sees_the_pages_their_roles_open(decider: Decider, roles: tuple[str, ...],
                                                     pages: list[str]) -> None:
    client = TestClient(web_app(decider))
    assert _links(client.get("/").text) == []  # nobody signed in
    sign_in(client, new_member(*roles))
    assert _links(client.get("/").text) == pages
    assert _links(client.get("/rules").text) == pages  # on every page with the header
    for path in pages:
        assert client.get(path).status_code == 200, path


def test_the_links_speak_spanish(decider: Decider) -> None:
    client = TestClient(web_app(decider))
    sign_in(client, new_member("auditor"))
    html = client.get("/", headers={"Accept-Language": "es"}).text
    assert 'aria-label="Páginas del personal"' in html
    assert ">Cola de revisión</a>" in html and ">Reportes de uso indebido</a>" in html


def test_a_disabled_account_sees_no_links(decider: Decider) -> None:
    client = TestClient(web_app(decider))
    member = new_member("reviewer")
    sign_in(client, member)
    with default_log().engine.begin() as conn:
        disable_staff(conn, member.name)
    assert _links(client.get("/").text) == []
