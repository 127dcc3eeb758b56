"""Reading a city's property file: a GeoJSON FeatureCollection, one feature a property.

Each feature's ``properties`` name the property (``name``, ``address``), its ``kind`` (a word
:func:`~sanctuarygate.domain.property.property_kind` reads: "parking lot", "garage"...), its
``owner`` ("city", "sister-agency", "leased"...; ``leased: true`` also says it is let to
others), the managing ``department``, ``gates_lockable`` (true or false), and the sign:
``sign_posted`` (a date) and ``sign_posted_by``. The id is the feature's ``id``, or
``properties.id``.

Every feature is checked before anything is kept: the GeoJSON shape (geojson-pydantic), the
geometry's validity (shapely: no self-intersecting polygon, no empty geometry), a name, an id
used once, a known kind and owner. All problems are raised together as :class:`FieldErrors`,
one a feature problem, each naming the feature by its number (from 1) and id.

>>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "id": "L-1",
...     "geometry": {"type": "Point", "coordinates": [-87.6, 41.8]},
...     "properties": {"name": "Lot 1", "kind": "Parking Lot", "owner": "city"}}]}
>>> [(p.id, p.kind, p.owner) for p in read_features(fc, "chicago")]
[('L-1', 'parking-lot', 'city')]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import shapely.geometry
import shapely.validation
from geojson_pydantic import Feature
from pydantic import ValidationError

from sanctuarygate.domain.property import Property, property_kind, property_owner
from sanctuarygate.errors import FieldErrors, InputError

#: The most features one file may hold (a city's registry is hundreds, not millions).
MAX_FEATURES = 50_000


def read_features(data: Any, place: str) -> list[Property]:
    """Every feature of a FeatureCollection as a :class:`Property` of ``place``, or
    :class:`FieldErrors` (an :class:`InputError`) listing every bad feature.

    >>> read_features({"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": None, "properties": {"id": "A", "name": "A",
    ...      "kind": "garage", "owner": "city"}}]}, "chicago")
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: feature 1 (id 'A'): no geometry
    """
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise InputError("the file is not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise InputError("the FeatureCollection has no list of features")
    if len(features) > MAX_FEATURES:
        raise InputError(f"{len(features)} features: more than {MAX_FEATURES} in one file")
    errors: list[InputError] = []
    found: list[Property] = []
    first_seen: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        ident = _id(feature)
        where = f"feature {number}" + (f" (id {ident!r})" if ident else "")
        problems = []
        if ident is not None:
            if ident in first_seen:
                problems.append(f"duplicate id (also feature {first_seen[ident]})")
            else:
                first_seen[ident] = number
        try:
            prop = _property(feature, ident, place)
        except FieldErrors as exc:
            problems += [m for _, m in exc.field_errors]
        except InputError as exc:
            problems.append(exc.message)
        else:
            if not problems:
                found.append(prop)
        errors += [InputError(f"{where}: {p}") for p in problems]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)
    return found


def _id(feature: Any) -> str | None:
    if not isinstance(feature, Mapping):
        return None
    props = feature.get("properties")
    ident = feature.get("id")
    if ident is None and isinstance(props, Mapping):
        ident = props.get("id")
    if isinstance(ident, int | str) and not isinstance(ident, bool) and str(ident).strip():
        return str(ident).strip()
    return None


def _property(feature: Any, ident: str | None, place: str) -> Property:
    """One feature as a property; every problem of it at once (FieldErrors)."""
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise InputError("not a GeoJSON Feature")
    problems: list[InputError] = []
    if ident is None:
        problems.append(InputError("missing id"))
    geometry = _geometry(feature, problems)
    props = feature.get("properties") or {}
    if not isinstance(props, Mapping):
        raise InputError("properties is not an object")
    name = _text(props, "name", problems, required=True)
    kind = owner = ""
    leased = False
    try:
        kind = property_kind(_text(props, "kind", problems, required=True) or "")
    except InputError as exc:
        if props.get("kind"):
            problems.append(InputError(exc.message))
    try:
        owner, leased = property_owner(_text(props, "owner", problems, required=True) or "")
    except InputError as exc:
        if props.get("owner"):
            problems.append(InputError(exc.message))
    stated_lease = _flag(props, "leased", problems)
    gates = _flag(props, "gates_lockable", problems)
    signed_on = _date(props, "sign_posted", problems)
    signed_by = _text(props, "sign_posted_by", problems)
    if signed_by and props.get("sign_posted") in (None, ""):
        problems.append(InputError("sign_posted_by without sign_posted (the date)"))
    if problems:
        raise FieldErrors(problems)
    return Property(id=ident or "", place=place, name=name or "", kind=kind, owner=owner,
                    leased=leased or bool(stated_lease), address=_text(props, "address", []),
                    department=_text(props, "department", []), gates_lockable=gates,
                    sign_posted_on=signed_on, sign_posted_by=signed_by, geometry=geometry)


def _geometry(feature: Mapping[str, Any], problems: list[InputError]) -> dict[str, Any]:
    geometry = feature.get("geometry")
    if geometry is None:
        problems.append(InputError("no geometry"))
        return {}
    try:
        parsed: Feature[Any, Any] = Feature.model_validate(dict(feature))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        problems.append(InputError(f"geometry is not GeoJSON ({where}: {first['msg']})"))
        return {}
    assert parsed.geometry is not None
    shape = shapely.geometry.shape(parsed.geometry.model_dump(exclude_none=True))
    if shape.is_empty:
        problems.append(InputError("empty geometry"))
    elif not shape.is_valid:
        problems.append(InputError(
            f"invalid geometry: {shapely.validation.explain_validity(shape)}"))
    return dict(geometry)


def _text(props: Mapping[str, Any], name: str, problems: list[InputError], *,
          required: bool = False) -> str | None:
    value = props.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(InputError(f"missing {name}"))
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        problems.append(InputError(f"{name} must be text, got {value!r}"))
        return None
    return str(value).strip()[:300]


def _flag(props: Mapping[str, Any], name: str, problems: list[InputError]) -> bool | None:
    value = props.get(name)
    if value is None or isinstance(value, bool):
        return value
    problems.append(InputError(f"{name} must be true or false, got {value!r}"))
    return None


def _date(props: Mapping[str, Any], name: str, problems: list[InputError]) -> dt.date | None:
    value = props.get(name)
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(InputError(f"{name} is not a date (YYYY-MM-DD): {value!r}"))
        return None
