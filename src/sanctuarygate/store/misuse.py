"""Misuse reports: kept, listed for staff, marked reviewed, linked to a case, counted.

A report row holds what the form asked (``domain/misuse.py``) and nothing about who sent it:
no address, no user agent, no session; contact details only when the reporter typed them.
Photos are files in the data directory under random names (``web/misuse_photo.py`` strips
them first); the row lists those names. The property is the registry's id as text (no foreign
key: a property may leave the registry, its reports stay), and the registry
(``city_property``, migration 0009) is read here through a table clause of its own.

>>> from sanctuarygate.store.db import make_engine, migrate
>>> from sanctuarygate.domain.misuse import ReportForm
>>> engine = make_engine("sqlite://"); _ = migrate(engine)
>>> form = ReportForm("north-chicago", None, (42.3, -87.8), dt.date(2026, 11, 30), None,
...                   ("vehicles",), None, None)
>>> with engine.begin() as conn:
...     report = add_report(conn, form, photos=[])
...     [r.state.value for r in list_reports(conn)]
['new']
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    column,
    insert,
    select,
    table,
    update,
)

from sanctuarygate.domain.case import UnknownCaseError
from sanctuarygate.domain.misuse import (
    BAD_PROPERTY,
    ReportForm,
    ReportState,
    check_stored_text,
)
from sanctuarygate.errors import InputError
from sanctuarygate.store.case import get_case
from sanctuarygate.store.tables import metadata

#: One row per report (see the module's docstring); changed by migration 0010 only.
misuse_report = Table(
    "misuse_report",
    metadata,
    Column("id", String(16), primary_key=True, autoincrement=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("place", String(64), nullable=False, index=True),
    Column("property_id", String(64), nullable=True, index=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("seen_on", Date, nullable=False),
    Column("seen_time", String(5), nullable=True),
    Column("what_seen", String(64), nullable=False),
    Column("details", String(2000), nullable=True),
    Column("photos", JSON, nullable=False),
    Column("contact", String(200), nullable=True),
    Column("state", String(16), nullable=False),
    Column("reviewed_by", String(16), nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    Column("case_id", Integer, nullable=True),
)

#: The registry's table, as far as reports read it (owned by ``store/property.py``).
_registry = table("city_property", column("id"), column("place"), column("name"),
                  column("department"))

#: A report's map point, where no property was picked, in the counts.
MAP_POINT = "map point"


@dataclass(frozen=True, slots=True)
class Registered:
    """A property as the form and the staff list show it."""

    id: str
    place: str
    name: str
    department: str | None


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report as kept (``property``: the registry's entry, when it still has one)."""

    id: str
    received_at: dt.datetime
    place: str
    property_id: str | None
    point: tuple[float, float] | None
    seen_on: dt.date
    seen_time: str | None
    what_seen: tuple[str, ...]
    details: str | None
    photos: tuple[str, ...]
    contact: str | None
    state: ReportState
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    case_id: int | None
    property: Registered | None = None


def new_report_id() -> str:
    """A report number: ``r-`` and 10 random hex digits (not a sequence: a number says
    nothing about how many others reported).

    >>> len(new_report_id()), new_report_id()[:2]
    (12, 'r-')
    """
    return f"r-{secrets.token_hex(5)}"


def registered_properties(conn: Connection, place: str | None = None) -> list[Registered]:
    """The registry's properties (of ``place``) by place and name, for the form's list."""
    r = _registry
    query = select(r.c.id, r.c.place, r.c.name, r.c.department).order_by(r.c.place, r.c.name)
    if place is not None:
        query = query.where(r.c.place == place)
    return [Registered(str(x.id), str(x.place), str(x.name), x.department)
            for x in conn.execute(query)]


def add_report(conn: Connection, form: ReportForm, *, photos: Sequence[str],
               report_id: str | None = None, at: dt.datetime | None = None) -> StoredReport:
    """Keep ``form`` (and the names of its stored ``photos``) as a new report. The property,
    when named, must be the registry's and of the form's place (:class:`InputError` naming
    ``property_id`` otherwise); free text holding a status word is refused here too."""
    if form.property_id is not None:
        found = conn.execute(select(_registry.c.place)
                             .where(_registry.c.id == form.property_id)).first()
        if found is None or found.place != form.place:
            raise InputError(BAD_PROPERTY, field="property_id")
    check_stored_text(form.details)
    check_stored_text(form.contact)
    row = {"id": report_id or new_report_id(), "received_at": at or dt.datetime.now(dt.UTC),
           "place": form.place, "property_id": form.property_id,
           "lat": form.point[0] if form.point else None,
           "lon": form.point[1] if form.point else None,
           "seen_on": form.seen_on, "seen_time": form.seen_time,
           "what_seen": " ".join(form.what_seen), "details": form.details,
           "photos": list(photos), "contact": form.contact, "state": ReportState.NEW.value,
           "reviewed_by": None, "reviewed_at": None, "case_id": None}
    conn.execute(insert(misuse_report).values(**row))
    return _report(row, None)


def get_report(conn: Connection, report_id: str) -> StoredReport:
    """The report ``report_id``; :class:`UnknownCaseError` (field ``report``) if none."""
    found = [r for r in _select(conn, report_id=report_id)]
    if not found:
        raise UnknownCaseError(report_id, what="report")
    return found[0]


def list_reports(conn: Connection, *, department: str | None = None,
                 state: str | None = None) -> list[StoredReport]:
    """Reports newest first; only those about ``department``'s properties, or in ``state``,
    when asked."""
    return _select(conn, department=department, state=state)


def mark_reviewed(conn: Connection, report_id: str, *, staff_id: str,
                  at: dt.datetime | None = None) -> StoredReport:
    """Mark a report reviewed by ``staff_id`` (a pseudonymous ``s-<hex>``); once only: a
    report already reviewed keeps its first reviewer."""
    report = get_report(conn, report_id)
    if report.state is ReportState.NEW:
        conn.execute(update(misuse_report).where(misuse_report.c.id == report_id).values(
            state=ReportState.REVIEWED.value, reviewed_by=staff_id,
            reviewed_at=at or dt.datetime.now(dt.UTC)))
    return get_report(conn, report_id)


def link_case(conn: Connection, report_id: str, case_id: int) -> StoredReport:
    """Link a report to an existing case (:class:`UnknownCaseError` for either id)."""
    get_report(conn, report_id)
    get_case(conn, case_id)
    conn.execute(update(misuse_report).where(misuse_report.c.id == report_id)
                 .values(case_id=case_id))
    return get_report(conn, report_id)


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What :func:`forget_personal` took out of the reports: their ids, and the photo files'
    names for the caller to remove once the change is committed."""

    reports: tuple[str, ...]
    photos: tuple[str, ...]


def forget_personal(conn: Connection, *, received_before: dt.datetime) -> Forgotten:
    """Take the photos and contact details out of every report received before
    ``received_before`` that is not linked to a case (a case may still need them: its photos go
    when it is unlinked, or by hand). The rest of each report stays, so counts do not change.

    >>> from sanctuarygate.store.db import make_engine, migrate
    >>> from sanctuarygate.domain.misuse import ReportForm
    >>> engine = make_engine("sqlite://"); _ = migrate(engine)
    >>> form = ReportForm("north-chicago", None, (42.3, -87.8), dt.date(2025, 1, 2), None,
    ...                   ("vehicles",), None, "555-0100")
    >>> old = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)
    >>> with engine.begin() as conn:
    ...     kept = add_report(conn, form, photos=["a" * 32 + ".jpg"], at=old)
    ...     gone = forget_personal(conn, received_before=old + dt.timedelta(days=1))
    ...     after = get_report(conn, kept.id)
    >>> gone.photos, after.photos, after.contact
    (('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.jpg',), (), None)
    """
    t = misuse_report
    rows = conn.execute(select(t.c.id, t.c.photos, t.c.contact).where(
        t.c.received_at < received_before, t.c.case_id.is_(None)).with_for_update()).all()
    holding = [r for r in rows if r.photos or r.contact is not None]
    if holding:
        conn.execute(update(t).where(t.c.id.in_([r.id for r in holding]))
                     .values(photos=[], contact=None))
    return Forgotten(tuple(r.id for r in holding),
                     tuple(name for r in holding for name in (r.photos or ())))


def listed_photos(conn: Connection) -> set[str]:
    """Every photo name a report lists."""
    return {name for (photos,) in conn.execute(select(misuse_report.c.photos))
            for name in (photos or ())}


def monthly_counts(conn: Connection, *, place: str | None = None) -> Counter[tuple[str, str]]:
    """Reports by (property id or :data:`MAP_POINT`, month ``YYYY-MM`` of the sighting)."""
    t = misuse_report
    query = select(t.c.property_id, t.c.seen_on)
    if place is not None:
        query = query.where(t.c.place == place)
    return Counter((r.property_id or MAP_POINT, r.seen_on.strftime("%Y-%m"))
                   for r in conn.execute(query))


def all_stored_text(conn: Connection) -> list[str]:
    """Every text column of every report, as stored (for the status-vocabulary search)."""
    t = misuse_report
    rows = conn.execute(select(t.c.place, t.c.property_id, t.c.what_seen, t.c.details,
                               t.c.contact, t.c.photos, t.c.seen_time))
    return [str(value) for row in rows for value in row if value is not None]


def _select(conn: Connection, *, report_id: str | None = None, department: str | None = None,
            state: str | None = None) -> list[StoredReport]:
    t, r = misuse_report, _registry
    query = (select(t, r.c.name.label("property_name"), r.c.place.label("property_place"),
                    r.c.department.label("department"))
             .select_from(t.outerjoin(r, r.c.id == t.c.property_id))
             .order_by(t.c.received_at.desc(), t.c.id))
    if report_id is not None:
        query = query.where(t.c.id == report_id)
    if department is not None:
        query = query.where(r.c.department == department)
    if state is not None:
        query = query.where(t.c.state == state)
    out = []
    for row in conn.execute(query):
        m = row._mapping
        prop = (Registered(m["property_id"], m["property_place"], m["property_name"],
                           m["department"]) if m["property_name"] is not None else None)
        out.append(_report(m, prop))
    return out


def _report(m: Any, prop: Registered | None) -> StoredReport:
    point = (float(m["lat"]), float(m["lon"])) if m["lat"] is not None else None
    received = m["received_at"]
    if received.tzinfo is None:  # SQLite keeps no zone: stored in UTC
        received = received.replace(tzinfo=dt.UTC)
    return StoredReport(
        id=m["id"], received_at=received, place=m["place"], property_id=m["property_id"],
        point=point, seen_on=m["seen_on"], seen_time=m["seen_time"],
        what_seen=tuple(str(m["what_seen"]).split()), details=m["details"],
        photos=tuple(m["photos"] or ()), contact=m["contact"], state=ReportState(m["state"]),
        reviewed_by=m["reviewed_by"], reviewed_at=m["reviewed_at"], case_id=m["case_id"],
        property=prop)
