"""A piece of city property, as the city's registry lists it, and a request that names it.

The registry (``store/property.py``) keeps one :class:`Property` per id: the place (profile)
whose rules bind it, its name and address, its kind in the packs' vocabulary (garage,
parking-lot, vacant-lot...), who owns or controls it (city, sister-agency... and whether it is
leased to others), the managing department, whether its gates lock, the sign posted on it
(date, by whom) and its GeoJSON geometry.

A ``use-property`` or ``use-facility`` request may name a registered property
(``resource.property_id``) instead of stating its facts: :func:`with_registry` fills in what
the registry knows (``kind``, ``owner``, ``leased`` for a Property; ``kind`` for a Facility)
and refuses a request whose facts, stated by hand, contradict it, or that asks about another
place's property. An id the registry does not list is an error, never an allow.

>>> lot = Property("NC-L-14", "north-chicago", "Lot 14", "parking-lot", "city")
>>> from sanctuarygate.domain.request import parse_request
>>> asked = parse_request({"profile": "north-chicago", "date": "2025-11-03",
...     "principal": {"agency": "CBP-USBP"}, "action": "use-property",
...     "resource": {"type": "Property", "property_id": "NC-L-14"}})
>>> dict(with_registry(asked, lot).resource.facts)["owner"]
'city'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sanctuarygate.domain import vocabulary as voc
from sanctuarygate.domain.request import UNKNOWN, Fact, Request, Resource
from sanctuarygate.errors import FieldErrors, InputError

#: The resource types a request may name a registered property as, and the registry's facts
#: each receives (the packs read these; ``id`` carries the property id into the log).
REGISTRY_FACTS: dict[str, tuple[str, ...]] = {
    "Property": ("id", "kind", "owner", "leased"),
    "Facility": ("id", "kind"),
}


@dataclass(frozen=True, slots=True)
class Property:
    """One registered property. ``gates_lockable`` is None when not known; ``sign_posted_on``
    None when no sign is posted yet."""

    id: str
    place: str
    name: str
    kind: str
    owner: str
    leased: bool = False
    address: str | None = None
    department: str | None = None
    gates_lockable: bool | None = None
    sign_posted_on: dt.date | None = None
    sign_posted_by: str | None = None
    geometry: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def signed(self) -> bool:
        """Whether a sign is posted on it."""
        return self.sign_posted_on is not None

    def facts(self, resource_type: str) -> dict[str, Fact]:
        """The facts the registry gives a request about this property as ``resource_type``.

        >>> Property("W-1", "waukegan", "Garage", "garage", "city", leased=True).facts("Property")
        {'id': 'W-1', 'kind': 'garage', 'owner': 'city', 'leased': True}
        """
        every: dict[str, Fact] = {"id": self.id, "kind": self.kind, "owner": self.owner,
                                  "leased": self.leased}
        return {name: every[name] for name in REGISTRY_FACTS.get(resource_type, ())}

    def to_dict(self) -> dict[str, Any]:
        """As JSON would carry it (dates as ISO text)."""
        out = dataclasses.asdict(self)
        out["geometry"] = dict(self.geometry)
        out["sign_posted_on"] = self.sign_posted_on.isoformat() if self.sign_posted_on else None
        return out


def property_id_of(request: Request) -> str | None:
    """The registered property a request names, if any.

    >>> from sanctuarygate.domain.request import parse_request
    >>> property_id_of(parse_request({"profile": "chicago", "date": "2025-11-03",
    ...     "principal": {"agency": "CBP-USBP"}, "action": "use-property",
    ...     "resource": {"type": "Property", "kind": "garage"}})) is None
    True
    """
    value = request.resource.get("property_id")
    return value if isinstance(value, str) and value else None


def unknown_property(property_id: str) -> InputError:
    """The error for an id the registry does not list (nothing is decided)."""
    return InputError(f"{property_id!r} is not in the city's property registry",
                      field="resource.property_id")


def with_registry(request: Request, found: Property | None) -> Request:
    """``request`` with the registry's facts about the property it names (``found``, looked up
    by :func:`property_id_of`; None when the registry has no such id).

    Raises :class:`InputError` (never decides) when the id is unknown, the property belongs to
    another place, the resource type cannot be a property, or a fact stated by hand differs
    from the registry's (a boolean stated ``unknown`` is filled in, not a contradiction).
    A request that names no property is returned as it is.
    """
    property_id = property_id_of(request)
    if property_id is None:
        return request
    if found is None:
        raise unknown_property(property_id)
    rtype = request.resource.type
    if rtype not in REGISTRY_FACTS:
        raise InputError(f"a registered property is a Property or a Facility, not {rtype}",
                         field="resource.type")
    if found.place != request.profile:
        raise InputError(f"{property_id!r} is property of {found.place}, not of "
                         f"{request.profile}: ask under {found.place}'s rules",
                         field="resource.property_id")
    facts = dict(request.resource.facts)
    errors = []
    for name, known in found.facts(rtype).items():
        stated = facts.get(name)
        if stated is None or (stated == UNKNOWN and isinstance(known, bool)):
            facts[name] = known
        elif stated != known:
            errors.append(InputError(
                f"the registry says {_said(known)} for {property_id}, the request says "
                f"{_said(stated)}: correct the registry or leave this blank",
                field=f"resource.{name}"))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)
    return dataclasses.replace(request, resource=Resource(rtype, tuple(sorted(facts.items()))))


def _said(value: Fact) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


#: Words cities use for a property's kind, read as the packs' vocabulary
#: (``vocabulary.PROPERTY_KINDS``). A word not here and not in the vocabulary is an error.
KIND_WORDS: dict[str, str] = {
    "parking": "parking-lot", "lot": "parking-lot", "surface-lot": "parking-lot",
    "parking-area": "parking-lot", "car-park": "parking-lot",
    "parking-garage": "garage", "parking-structure": "garage", "parking-deck": "garage",
    "vacant": "vacant-lot", "vacant-land": "vacant-lot", "empty-lot": "vacant-lot",
    "fieldhouse": "field-house",
    "office": "building", "city-hall": "building", "library": "building",
    "public-building": "building", "facility": "building",
    "elementary-school": "school", "high-school": "school",
    "playground": "park", "plaza": "park", "green-space": "park",
}

#: Words for who owns or controls a property, as (owner, leased). ``leased``: the city's, let
#: to someone else (Waukegan's resolution excludes it).
OWNER_WORDS: dict[str, tuple[str, bool]] = {
    **{o: (o, False) for o in voc.PROPERTY_OWNERS},
    "city-owned": ("city", False), "city-controlled": ("city", False),
    "leased": ("city", True), "city-leased-out": ("city", True),
}


def property_kind(word: str) -> str:
    """A kind as the packs name it, from the word a city's file uses.

    >>> property_kind("Parking Garage"), property_kind("vacant_lot"), property_kind("school")
    ('garage', 'vacant-lot', 'school')
    """
    key = "-".join(word.strip().lower().replace("_", " ").split())
    kind = KIND_WORDS.get(key, key)
    if kind not in voc.PROPERTY_KINDS:
        raise InputError(f"unknown kind {word!r} (known: {', '.join(sorted(voc.PROPERTY_KINDS))})",
                         field="kind")
    return kind


def property_owner(word: str) -> tuple[str, bool]:
    """Owner and whether leased to others, from the word a city's file uses.

    >>> property_owner("City"), property_owner("leased"), property_owner("sister_agency")
    (('city', False), ('city', True), ('sister-agency', False))
    """
    key = "-".join(word.strip().lower().replace("_", " ").split())
    found = OWNER_WORDS.get(key)
    if found is None:
        raise InputError(f"unknown owner {word!r} (known: {', '.join(sorted(OWNER_WORDS))})",
                         field="owner")
    return found
