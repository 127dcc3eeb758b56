"""A printable sign for a registered city property: the text the place's order prescribes, in the
resident's language, the order's citation, the property's id, and QR codes to its public page
and to the place's rules.

The sign comes from the rules, never beside them:

- its text is the ``sign`` of the place's own pack in force that prescribes one (Chicago EO
  2025-8, REFERENCE CHI-10; the North Chicago order, seed 000); a place whose order prescribes
  none (its text was never retrieved) gets no sign: :class:`SignRefused`, not our own wording;
- the property must be one the order covers: the one door decides "may Border Patrol stage
  here?" for the property (its registry facts) and only a ``deny`` lets the sign be printed —
  a property the rules send to a person (a sister agency's lot, a leased one) is refused too;
- translations come from the residents' catalogs; a language without the text is refused
  rather than printed half in English.

>>> import datetime as dt
>>> from sanctuarygate.domain.property import Property
>>> from sanctuarygate.policy.default import default_decider
>>> lot = Property("CHI-GAR-01", "chicago", "Garage 1", "garage", "city")
>>> s = make_sign(default_decider(), lot, dt.date(2026, 1, 5), public_url="https://city.example")
>>> s.text.startswith("This property"), s.citation.startswith("Chicago"), s.property_url
(True, True, 'https://city.example/property/CHI-GAR-01')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import quote

import segno

from sanctuarygate.domain.property import Property, with_registry
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.policy.pack import Pack
from sanctuarygate.report.pdf import render_document, write_pdf

__all__ = ["LANGUAGES", "PAPERS", "Sign", "SignRefused", "make_sign", "sign_html", "sign_pack",
           "sign_texts", "staging_outcome", "write_sign"]

#: The languages a sign is printed in (those of the residents' catalogs).
LANGUAGES: Final = ("en", "es", "pl", "zh")
PAPERS: Final = ("letter", "a4")
Paper = Literal["letter", "a4"]


class SignRefused(InputError):
    """No sign can be printed for this property (and the message says why)."""


@dataclass(frozen=True, slots=True)
class Sign:
    """What one printed sign says."""

    property: Property
    lang: str
    heading: str
    text: str
    citation: str
    pack: str
    confidence: str
    property_url: str
    rules_url: str
    labels: dict[str, str]


def sign_text(pack: Pack) -> str:
    """A pack's prescribed sign text, on one line."""
    return " ".join(str(pack.manifest.get("sign", "")).split())


def sign_texts(library: PolicyLibrary) -> set[str]:
    """Every prescribed sign text of the library (the residents' catalogs translate each)."""
    return {sign_text(p) for p in library.packs.values() if sign_text(p)}


def sign_pack(library: PolicyLibrary, place: str, day: dt.date) -> Pack:
    """The place's own pack in force on ``day`` that prescribes a sign."""
    for pack in library.packs_for(place, day):
        if pack.jurisdiction == place and sign_text(pack):
            return pack
    raise SignRefused(f"no order in force for {place} prescribes a sign's text (the rules "
                      "packs hold none); a sign needs the order's own words", field="place")


def staging_outcome(decider: Decider, prop: Property, day: dt.date) -> str:
    """The rules' answer on ``day`` to "may Border Patrol stage here?" for ``prop`` (its
    registry facts), through the one door: ``deny`` when the order covers the property."""
    asked = parse_request({
        "profile": prop.place, "date": day.isoformat(), "principal": {"agency": "CBP-USBP"},
        "action": "use-property",
        "resource": {"type": "Property", "property_id": prop.id},
        "context": {"purpose": "civil-immigration-enforcement", "use": "staging-area",
                    "document": {"kind": "none"}}})
    return decider.decide(with_registry(asked, prop)).outcome


def _covered(decider: Decider, prop: Property, day: dt.date) -> None:
    """Refuse unless the rules deny Border Patrol staging on the property (the order covers it)."""
    outcome = staging_outcome(decider, prop, day)
    if outcome != "deny":
        raise SignRefused(f"the rules answer {outcome} (not deny) for staging on "
                          f"{prop.id} ({prop.kind}, {prop.owner}{', leased' if prop.leased else ''}"
                          "): the order does not clearly cover it, so a person decides before "
                          "a sign goes up", field="property")


#: The sign's own words (msgids of the residents' catalogs).
LABELS: Final = {
    "heading": "Notice",
    "property": "Property",
    "order": "Order",
    "property_qr": "This property: its page",
    "rules_qr": "The city's rules",
}


def make_sign(decider: Decider, prop: Property, day: dt.date, *, lang: str = "en",
              public_url: str, words: Callable[[str], str] = str) -> Sign:
    """The sign for ``prop`` on ``day`` in ``lang``, its words translated by ``words`` (the
    residents' catalog's gettext for ``lang``); :class:`SignRefused` when none may be printed
    (no prescribed text, a property the order does not cover, a missing translation)."""
    if lang not in LANGUAGES:
        raise SignRefused(f"a sign is printed in {', '.join(LANGUAGES)}, not {lang[:10]!r}",
                          field="lang")
    pack = sign_pack(decider.library, prop.place, day)
    _covered(decider, prop, day)
    english = sign_text(pack)
    text = words(english)
    if lang != "en" and text == english:
        raise SignRefused(f"the sign's text has no {lang} translation in the residents' catalog",
                          field="lang")
    base = public_url.rstrip("/")
    return Sign(prop, lang, words(LABELS["heading"]), text, pack.title, pack.id, pack.confidence,
                f"{base}/property/{quote(prop.id)}",
                f"{base}/residents/{quote(prop.place)}?lang={lang}",
                {key: words(msg) for key, msg in LABELS.items()})


def _qr(url: str) -> str:
    """A QR code of ``url`` as an SVG data URI (error correction M, a quiet zone of 4)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=8, border=4))


def sign_html(sign: Sign, paper: Paper = "letter") -> str:
    """The sign as one HTML page (what the PDF prints)."""
    if paper not in PAPERS:
        raise SignRefused(f"paper is letter or a4, not {str(paper)[:10]!r}", field="paper")
    return render_document("sign.html", s=sign, paper=paper, property_qr=_qr(sign.property_url),
                           rules_qr=_qr(sign.rules_url))


def write_sign(sign: Sign, out: Path, paper: Paper = "letter") -> Path:
    """Print the sign to ``out`` (written whole or not at all)."""
    return write_pdf(sign_html(sign, paper), out)
