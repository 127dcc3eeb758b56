"""The rules as a resident reads them (public, no sign-in), from the decider's own library.

- ``/rules``: every place and what binds it today; every pack (in force, ended, proposed);
- ``/rules/{profile}``: what the place promises today and since when (each pack in force, with
  its rules in plain words, clause and confidence), and the full history of changes by date;
- ``/rules/packs/{pack}``: one legal instrument: title, kind, dates, confidence, sources, the
  places it binds, every rule with its citation.

"Today" is the city's date (``Settings.today``). An unknown place or pack is a 404.

>>> sorted(r.path for r in router.routes)
['/rules', '/rules/packs/{pack}', '/rules/{profile}']
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from sanctuarygate.domain.advice import N_
from sanctuarygate.report import rules
from sanctuarygate.web.pages import templates
from sanctuarygate.web.state import DeciderDep, SettingsDep

router = APIRouter(include_in_schema=False)

#: The kinds of instrument, in plain words.
KINDS: Final = {
    "statute": N_("State law (statute)"),
    "ordinance": N_("City or county ordinance"),
    "resolution": N_("Council resolution"),
    "executive-order": N_("Executive order"),
    "directive": N_("Police or department directive"),
    "proposal": N_("Proposal (never law by itself)"),
}

#: What a rule does, in plain words.
EFFECTS: Final = {
    "forbid": N_("Forbids"),
    "permit": N_("Allows"),
    "review": N_("Sends to a person to decide"),
}

#: How the page says a change.
CHANGES: Final = {"took-effect": N_("took effect"), "ended": N_("ended")}


def _words() -> dict[str, object]:
    return {"kinds": KINDS, "effects": EFFECTS, "changes": CHANGES,
            "date_unconfirmed": rules.date_unconfirmed}


@router.get("/rules", response_class=HTMLResponse)
def rules_index(request: Request, decider: DeciderDep, settings: SettingsDep) -> Response:
    """Every place and every pack, with what is in force today."""
    library, today = decider.library, settings.today()
    places = [(p, rules.in_force(library, p.id, today)) for p in library.profiles.values()]
    packs = sorted(library.packs.values(),
                   key=lambda p: (p.kind == "proposal", not p.in_force(today), p.id))
    return templates.TemplateResponse(request, "rules.html", {
        "today": today, "places": places, "packs": packs, **_words()})


@router.get("/rules/packs/{pack}", response_class=HTMLResponse)
def pack_page(request: Request, pack: str, decider: DeciderDep,
              settings: SettingsDep) -> Response:
    """One pack as published law; 404 when the library has no such pack."""
    library = decider.library
    if pack not in library.packs:
        raise HTTPException(404, f"There is no rule pack {pack!r}.")
    found = library.packs[pack]
    places = [library.profiles[p] for p in rules.profiles_of(library, pack)]
    return templates.TemplateResponse(request, "rules_pack.html", {
        "today": settings.today(), "pack": found, "places": places, **_words()})


@router.get("/rules/{profile}", response_class=HTMLResponse)
def profile_page(request: Request, profile: str, decider: DeciderDep,
                 settings: SettingsDep) -> Response:
    """What the place promises today, and since when; 404 for a place the library lacks."""
    library, today = decider.library, settings.today()
    if profile not in library.profiles:
        raise HTTPException(404, f"There is no place {profile!r} in the rules.")
    return templates.TemplateResponse(request, "rules_profile.html", {
        "today": today, "place": library.profiles[profile],
        "packs": rules.in_force(library, profile, today),
        "history": rules.history(library, profile), **_words()})
