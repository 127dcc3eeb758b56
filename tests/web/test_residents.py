"""The residents' page: four complete languages, the place's promises, no cookie, nothing remote."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.report import residents as guide_module
from sanctuarygate.report import sign
from sanctuarygate.settings import Settings, load_settings
from sanctuarygate.web import i18n
from sanctuarygate.web import residents as page
from sanctuarygate.web.app import create_app

from .conftest import TestClient, web_app

TEMPLATE = Path(page.__file__).parent / "templates" / "residents.html"
OTHERS = ["es", "pl", "zh"]


@pytest.fixture(scope="module")
def client(decider: Decider) -> TestClient:
    return TestClient(web_app(decider))


def _wanted() -> set[str]:
    """Every message of the page and of the signs: the template's t() calls, the guide, the
    confidence words, the places' names, the packs' sign texts and the sign's labels."""
    found = {m for _, m, _, _ in extract_from_file("jinja2", str(TEMPLATE), keywords={"t": None})
             if isinstance(m, str)}
    guide = guide_module.load_guide()
    lib = default_library()
    return (found | guide_module.messages(guide) | set(page.CONFIDENCE.values())
            | {lib.profiles[p].title for p in guide.places} | sign.sign_texts(lib)
            | set(sign.LABELS.values()))


@pytest.mark.parametrize("lang", OTHERS)
def test_every_message_is_translated_keeping_its_placeholders(lang: str) -> None:
    with i18n.po_path(lang, page.DOMAIN).open("rb") as source:
        catalog = read_po(source, locale=lang, domain=page.DOMAIN)
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    wanted = _wanted()
    assert len(wanted) > 40, "the extractor found too few messages"
    missing = sorted(wanted - set(translated))
    assert not missing, f"no {lang} translation (update residents.po): {missing[:5]}"
    for msgid in wanted:
        assert set(re.findall(r"%\((\w+)\)s", msgid)) == set(
            re.findall(r"%\((\w+)\)s", translated[msgid])), msgid


@pytest.mark.parametrize(("lang", "heading"), [
    ("en", "What City of Chicago promises you"), ("es", "Lo que La Ciudad de Chicago le promete"),
    ("pl", "Co Miasto Chicago Ci obiecuje"), ("zh", "芝加哥市对您的承诺"),
])
def test_the_page_speaks_each_language_it_is_asked_for(client: TestClient, lang: str,
                                                        heading: str) -> None:
    r = client.get(f"/residents/chicago?lang={lang}")
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in r.text and heading in r.text
    assert r.headers["content-language"] == lang


def test_the_browser_language_picks_among_the_four(client: TestClient) -> None:
    r = client.get("/residents", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh">' in r.text
    r = client.get("/residents", headers={"accept-language": "pl;q=0.4, de"})
    assert '<html lang="pl">' in r.text
    r = client.get("/residents?lang=es", headers={"accept-language": "zh"})
    assert '<html lang="es">' in r.text


@pytest.mark.parametrize("path", ["/residents", "/residents?lang=es", "/residents/waukegan?lang=pl"])
def test_no_cookie_is_ever_set(decider: Decider, path: str) -> None:
    fresh = TestClient(web_app(decider))
    r = fresh.get(path)
    assert r.status_code == 200
    assert "set-cookie" not in r.headers


class _Resources(HTMLParser):
    """Every URL the page would load (not links a resident may follow) and every script."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "srcset", "data", "poster"):
            if a.get(key):
                self.loaded.append(str(a[key]))
        if tag == "link" and a.get("href"):
            self.loaded.append(str(a["href"]))


@pytest.mark.parametrize("lang", ["en", *OTHERS])
def test_nothing_is_loaded_from_another_site_and_no_script_runs(client: TestClient,
                                                                 lang: str) -> None:
    parser = _Resources()
    parser.feed(client.get(f"/residents/north-chicago?lang={lang}").text)
    assert parser.loaded and all(u.startswith("/") and not u.startswith("//")
                                 for u in parser.loaded)
    assert parser.scripts == 0


def test_a_place_shows_its_own_promises_with_their_citations(client: TestClient) -> None:
    text = client.get("/residents/north-chicago").text
    assert 'id="promise-north-chicago-services"' in text
    assert "North Chicago mayoral executive order of 2025-10-20 (equal access to city services)" in text
    assert 'id="promise-chicago-lots"' not in text
    assert "855-435-7693" in text and 'href="tel:855-435-7693"' in text
    assert "safe spaces" in text  # North Chicago's own order
    assert "safe spaces" not in client.get("/residents/waukegan").text
    assert 'href="/report?lang=en" id="report-link"' in text  # the misuse report form


def test_the_city_s_own_place_is_the_default(decider: Decider) -> None:
    settings = load_settings().model_copy(update={"profile": "waukegan"})
    c = TestClient(create_app(settings, decider=decider, log=default_log()))
    assert "What City of Waukegan promises you" in c.get("/residents").text


def test_an_unknown_place_is_404(client: TestClient) -> None:
    assert client.get("/residents/atlantis").status_code == 404


class _Later(Settings):
    def today(self, now: dt.datetime | None = None) -> dt.date:
        return dt.date(2028, 1, 1)


def test_help_not_checked_for_a_year_is_flagged(decider: Decider) -> None:
    later = _Later(**load_settings().model_dump())
    text = TestClient(create_app(later, decider=decider, log=default_log())).get("/residents").text
    assert "it may be out of date" in text
    assert "it may be out of date" not in TestClient(
        create_app(load_settings(), decider=decider, log=default_log())).get("/residents").text
