"""The city's property registry as public pages (no sign-in, read-only: the city publishes
the list of its lots): ``/property``, filtered by place, managing department and sign status,
with a map drawn on the server (no tile server, no script), and ``/property/{id}``.

An unknown property, place or sign filter is a 404 or 422 page; nothing is written.

>>> sorted(r.path for r in router.routes)
['/property', '/property/{property_id}']
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from sanctuarygate.domain.advice import N_
from sanctuarygate.store.property import departments, get_property, list_properties
from sanctuarygate.web import i18n, labels
from sanctuarygate.web.log_api import LogDep
from sanctuarygate.web.pages import templates
from sanctuarygate.web.property_map import property_map
from sanctuarygate.web.state import DeciderDep

router = APIRouter(include_in_schema=False)

#: The sign filter's choices, in words.
SIGN_FILTER: Final = {"": N_("Any"), "posted": N_("Sign posted"), "none": N_("No sign yet")}
#: Who owns or controls a property, as the page says it.
OWNERS: Final = {"city": N_("the city"), "sister-agency": N_("a sister agency"),
                 "county": N_("the county"), "private": N_("a private owner"),
                 "federal": N_("the federal government")}
MAP_WORDS: Final = (N_("Map of the registered property"), N_("sign posted"), N_("no sign yet"))


@router.get("/property", response_class=HTMLResponse)
def property_list(
    request: Request, decider: DeciderDep, log: LogDep,
    place: Annotated[str, Query(max_length=64)] = "",
    department: Annotated[str, Query(max_length=300)] = "",
    sign: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """Registered property, filtered; a map of what is listed, and a table of the same."""
    library = decider.library
    if place and place not in library.profiles:
        raise HTTPException(404, f"There is no place {place!r}.")
    if sign not in SIGN_FILTER:
        raise HTTPException(422, f"sign must be posted or none, not {sign!r}.")
    with log.engine.connect() as conn:
        found = list_properties(conn, place=place or None, department=department or None,
                                signed=sign == "posted", unsigned=sign == "none")
        known_departments = departments(conn, place or None)
    gettext = i18n.catalog(i18n.language_of(request)).gettext
    title, signed, unsigned = (gettext(w) for w in MAP_WORDS)
    drawn = property_map(found, title=title, signed=signed, unsigned=unsigned) if found else None
    return templates.TemplateResponse(request, "property_list.html", {
        "properties": found, "map": drawn, "places": list(library.profiles.values()),
        "place": place, "department": department, "sign": sign,
        "departments": known_departments, "sign_filter": SIGN_FILTER, "owners": OWNERS,
        "kinds": labels.PROPERTY_KIND_LABELS,
        "titles": {p.id: p.title for p in library.profiles.values()}})


@router.get("/property/{property_id}", response_class=HTMLResponse)
def property_page(request: Request, property_id: str, decider: DeciderDep,
                  log: LogDep) -> Response:
    """One registered property: what the registry holds, its sign, its shape; 404 when none."""
    with log.engine.connect() as conn:
        found = get_property(conn, property_id[:64])
    if found is None:
        raise HTTPException(404, f"There is no property {property_id[:64]!r} in the registry.")
    gettext = i18n.catalog(i18n.language_of(request)).gettext
    title, signed, unsigned = (gettext(w) for w in MAP_WORDS)
    profile = decider.library.profiles.get(found.place)
    return templates.TemplateResponse(request, "property.html", {
        "property": found, "owners": OWNERS, "kinds": labels.PROPERTY_KIND_LABELS,
        "place_title": profile.title if profile else found.place,
        "map": property_map([found], title=title, signed=signed, unsigned=unsigned)})
