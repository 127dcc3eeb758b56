"""The residents' page (public, no sign-in): what a place promises, your rights, where to get help.

- ``/residents``: the city's own place (``SANCTUARYGATE_PROFILE``);
- ``/residents/{place}``: another place of the rules (a 404 for one the library lacks).

It speaks English, Spanish, Polish and Chinese (``?lang=``, else the browser's choice; the
``residents`` gettext catalogs), links every language and place with ``?lang=`` so that no
cookie is needed (it starts no session either: no cookie at all), loads nothing from another
site and runs no script. The promises are the
packs' own rules in plain words (``report/residents.py``), each with its citation and confidence.

>>> sorted(r.path for r in router.routes)
['/residents', '/residents/{place}']
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.routing import NoMatchFound

from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.report import residents
from sanctuarygate.settings import Settings
from sanctuarygate.web import i18n
from sanctuarygate.web.pages import TEMPLATE_DIR
from sanctuarygate.web.state import DeciderDep, SettingsDep

router = APIRouter(include_in_schema=False)

#: Templates without the staff session's context: rendering the page never starts a session, so
#: a resident's visit sets no cookie at all.
templates = Jinja2Templates(directory=TEMPLATE_DIR)

DOMAIN = "residents"

#: Confidence tags, in plain words.
CONFIDENCE = {
    "C": "confirmed in the official text",
    "P": "partly confirmed: check the official text",
    "U": "not yet confirmed in the official text",
}


@lru_cache(maxsize=1)
def _guide() -> residents.Guide:
    return residents.load_guide()


def _places(library: PolicyLibrary) -> list[tuple[str, str]]:
    """The places the page serves (the guide's list), as (id, title)."""
    return [(p, library.profiles[p].title) for p in _guide().places if p in library.profiles]


def _serves(request: Request, name: str) -> bool:
    """Whether the app serves the route called ``name`` (the misuse report form, /report)."""
    try:
        request.app.url_path_for(name)
    except NoMatchFound:
        return False
    return True


def _page(request: Request, place: str, library: PolicyLibrary, settings: Settings) -> Response:
    if place not in library.profiles:
        raise HTTPException(404, f"There is no place {place[:40]!r} in the rules.")
    lang = i18n.language_of(request, i18n.RESIDENT_LANGUAGES)
    translations = i18n.catalog(lang, DOMAIN)
    today = settings.today()
    guide = _guide()
    context: dict[str, Any] = {
        "lang": lang, "t": translations.gettext, "languages": i18n.RESIDENT_LANGUAGES,
        "place": library.profiles[place], "today": today,
        "promises": residents.promises_for(guide, library, place, today),
        "rights": guide.rights, "help": guide.help,
        "safe_places": guide.safe_places.get(place, ()),
        "stale": lambda entry: residents.stale(entry, today),
        "confidence": CONFIDENCE, "places": _places(library),
        "report_form": _serves(request, "report_form"),
    }
    response = templates.TemplateResponse(request, "residents.html", context)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return response


@router.get("/residents", response_class=HTMLResponse)
def residents_home(request: Request, decider: DeciderDep, settings: SettingsDep) -> Response:
    """The residents' page of the city's own place."""
    return _page(request, settings.profile, decider.library, settings)


@router.get("/residents/{place}", response_class=HTMLResponse)
def residents_place(request: Request, place: str, decider: DeciderDep,
                    settings: SettingsDep) -> Response:
    """The residents' page of another place of the rules."""
    return _page(request, place, decider.library, settings)
