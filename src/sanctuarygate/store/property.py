"""The city's property registry: import (whole or nothing), list, show, record a posted sign,
and the facts a decision about a registered property reads.

    with engine.begin() as conn:          # one transaction: a failure keeps nothing
        import_properties(conn, "north-chicago", read_features(data, "north-chicago"))

Importing is idempotent: a property whose id is already registered (for the same place) is
updated, never added twice; properties the file does not list are kept. An id registered for
another place is refused (ids are the city's, one registry across places).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from sanctuarygate.domain.property import Property, property_id_of, with_registry
from sanctuarygate.domain.request import Request
from sanctuarygate.errors import FieldErrors, InputError
from sanctuarygate.store.tables import city_property


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did: how many properties were added and how many updated."""

    place: str
    added: int
    updated: int


def import_properties(conn: Connection, place: str, properties: Sequence[Property],
                      *, at: dt.datetime | None = None) -> Imported:
    """Add or update ``properties`` of ``place`` in the caller's transaction. Raises
    :class:`InputError` (before writing anything) when an id belongs to another place."""
    now = at or dt.datetime.now(dt.UTC)
    ids = [p.id for p in properties]
    existing: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(select(city_property.c.id, city_property.c.place)
                            .where(city_property.c.id.in_(ids[start:start + 500])))
        existing.update({str(r.id): str(r.place) for r in rows})
    clashes = [InputError(f"id {p.id!r} is registered for {existing[p.id]}, not {place}",
                          field=p.id)
               for p in properties if existing.get(p.id, place) != place]
    if clashes:
        raise clashes[0] if len(clashes) == 1 else FieldErrors(clashes)
    new = [{"id": p.id, **_row(p), "updated_at": now} for p in properties if p.id not in existing]
    known = [{"key": p.id, **_row(p), "updated_at": now} for p in properties if p.id in existing]
    if new:  # one executemany each, not a statement a row
        conn.execute(insert(city_property), new)
    if known:
        conn.execute(update(city_property).where(city_property.c.id == bindparam("key")), known)
    return Imported(place, len(new), len(known))


def record_sign(conn: Connection, property_id: str, on: dt.date, by: str,
                *, at: dt.datetime | None = None) -> Property:
    """Record that a sign was posted on the property ``on`` a day, ``by`` whom (a department
    or a team, as the registry says it; never a resident). :class:`InputError` for an id the
    registry lacks, a day in the future or an empty ``by``."""
    by = " ".join(by.split())
    if not by or len(by) > 200:
        raise InputError("say who posted the sign (a department or team, up to 200 characters)",
                         field="by")
    if on > dt.date.today() + dt.timedelta(days=1):  # a day of slack for time zones
        raise InputError(f"{on.isoformat()} is in the future: record a sign once it is posted",
                         field="on")
    done = conn.execute(update(city_property).where(city_property.c.id == property_id).values(
        sign_posted_on=on, sign_posted_by=by, updated_at=at or dt.datetime.now(dt.UTC)))
    if done.rowcount != 1:
        raise InputError(f"{property_id!r} is not in the city's property registry", field="ID")
    found = get_property(conn, property_id)
    assert found is not None
    return found


def list_properties(conn: Connection, *, place: str | None = None,
                    department: str | None = None, unsigned: bool = False,
                    signed: bool = False) -> list[Property]:
    """Registered properties by place and id; only ``place``'s, ``department``'s (exact
    name), those with no sign posted (``unsigned``) or with one (``signed``) when asked."""
    t = city_property
    query = select(t).order_by(t.c.place, t.c.id)
    if place is not None:
        query = query.where(t.c.place == place)
    if department is not None:
        query = query.where(t.c.department == department)
    if unsigned:
        query = query.where(t.c.sign_posted_on.is_(None))
    if signed:
        query = query.where(t.c.sign_posted_on.is_not(None))
    return [_property(r._mapping) for r in conn.execute(query)]


def get_property(conn: Connection, property_id: str) -> Property | None:
    """The property registered under ``property_id``, or None."""
    row = conn.execute(select(city_property).where(city_property.c.id == property_id)).first()
    return None if row is None else _property(row._mapping)


def departments(conn: Connection, place: str | None = None) -> list[str]:
    """The managing departments named in the registry (of ``place``), sorted."""
    t = city_property
    query = select(t.c.department).distinct().where(t.c.department.is_not(None))
    if place is not None:
        query = query.where(t.c.place == place)
    return sorted(str(d) for (d,) in conn.execute(query))


def registered(conn: Connection, request: Request) -> Request:
    """``request`` with the registry's facts about the property it names (``property_id``),
    or as it is when it names none; :class:`InputError` for an unknown id or a contradiction
    (see :func:`sanctuarygate.domain.property.with_registry`)."""
    property_id = property_id_of(request)
    if property_id is None:
        return request
    return with_registry(request, get_property(conn, property_id))


def _row(prop: Property) -> dict[str, Any]:
    return {"place": prop.place, "name": prop.name, "address": prop.address, "kind": prop.kind,
            "owner": prop.owner, "leased": prop.leased, "department": prop.department,
            "gates_lockable": prop.gates_lockable, "sign_posted_on": prop.sign_posted_on,
            "sign_posted_by": prop.sign_posted_by, "geometry": dict(prop.geometry)}


def _property(row: Any) -> Property:
    return Property(id=row["id"], place=row["place"], name=row["name"], kind=row["kind"],
                    owner=row["owner"], leased=bool(row["leased"]), address=row["address"],
                    department=row["department"], gates_lockable=row["gates_lockable"],
                    sign_posted_on=row["sign_posted_on"], sign_posted_by=row["sign_posted_by"],
                    geometry=row["geometry"] or {})
