"""A resident's report of city property used by immigration enforcement, as the form gives it.

The public form (``/report``) asks which property (one picked from the registry, or a point
on the map), when, what was seen (vehicles, staging, processing, other), a short description,
optional photos and an optional way to reach the reporter. It never asks who the reporter is
or anyone's immigration status, and it keeps neither: free text naming a status word
(:data:`~sanctuarygate.domain.case.STATUS_WORDS`) is refused with its field named, so that no
stored report holds one. Every problem of a form is found in one reading
(:class:`~sanctuarygate.errors.FieldErrors`), each naming its field, in words the page
translates (the ``misuse`` catalog).

>>> form = parse_report({"place": "north-chicago", "property_id": "NC-LOT-14",
...                      "seen_on": "2026-11-30", "seen_time": "06:40",
...                      "what_seen": ["vehicles", "staging"], "details": "Six SUVs."},
...                     today=dt.date(2026, 12, 3))
>>> form.what_seen, form.seen_on, form.point
(('staging', 'vehicles'), datetime.date(2026, 11, 30), None)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sanctuarygate.domain.case import mentions_status
from sanctuarygate.errors import FieldErrors, InputError


def M_(message: str) -> str:
    """Mark ``message`` for the ``misuse`` catalog (``locale/misuse.pot``); returns it as is."""
    return message


#: What a reporter may tick, with the words the form shows.
WHAT_SEEN: Final = {
    "vehicles": M_("Vehicles of immigration enforcement parked or waiting"),
    "staging": M_("Agents gathering or preparing for an operation (staging)"),
    "processing": M_("People being held, searched or processed"),
    "other": M_("Something else (describe it below)"),
}

#: Longest description kept, and longest contact line.
DETAILS_MAX: Final = 2000
CONTACT_MAX: Final = 200
#: How far back a report may go: older sightings belong to a complaint, not this form.
DAYS_BACK: Final = 366

_PLACE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_PROPERTY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

#: The field errors, in the form's words (translated by the page).
REQUIRED = M_("This is required.")
PICK_PLACE = M_("Choose the city.")
PICK_PROPERTY = M_("Choose the property from the list, or give a point on the map.")
BAD_PROPERTY = M_("This property is not in the city's registry. Choose it from the list.")
BAD_DATE = M_("Give the date as year-month-day, not in the future and within the last year.")
BAD_TIME = M_("Give the time as hours:minutes, for example 06:40.")
BAD_POINT = M_("Give both latitude and longitude as numbers (latitude -90 to 90, "
               "longitude -180 to 180).")
PICK_WHAT = M_("Tick at least one thing you saw.")
DESCRIBE_OTHER = M_("You ticked “something else”: describe it.")
TOO_LONG = M_("This is too long.")
NO_STATUS = M_("Please do not write anyone's immigration status or papers. Describe only what "
               "you saw happen at the property.")


class ReportState(StrEnum):
    NEW = "new"
    REVIEWED = "reviewed"


@dataclass(frozen=True, slots=True)
class ReportForm:
    """A checked report, before it is stored (photos are checked and stored apart)."""

    place: str
    property_id: str | None
    #: (latitude, longitude), WGS 84, when the reporter gave a map point.
    point: tuple[float, float] | None
    seen_on: dt.date
    #: "HH:MM" as told, or None.
    seen_time: str | None
    what_seen: tuple[str, ...]
    details: str | None
    contact: str | None


def parse_report(fields: Mapping[str, str | Sequence[str]], *, today: dt.date,
                 places: Sequence[str] | None = None) -> ReportForm:
    """A :class:`ReportForm` from the form's fields (text, ``what_seen`` a list), or
    :class:`FieldErrors` naming every bad field at once (``places``: the places the form
    offers; None accepts any well-formed place id).

    >>> parse_report({"place": "north-chicago", "seen_on": "2026-12-09"},
    ...              today=dt.date(2026, 12, 3))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.FieldErrors: 3 problems: property_id: Choose the property ...
    """
    errors: list[InputError] = []

    def text(name: str) -> str:
        value = fields.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def fail(name: str, message: str) -> None:
        errors.append(InputError(message, field=name))

    place = text("place")
    if not _PLACE.fullmatch(place) or (places is not None and place not in places):
        fail("place", PICK_PLACE)
    property_id = text("property_id") or None
    if property_id is not None and not _PROPERTY_ID.fullmatch(property_id):
        fail("property_id", BAD_PROPERTY)
    point = _point(text("lat"), text("lon"))
    if point == "bad":
        fail("lat", BAD_POINT)
        point = None
    if property_id is None and point is None and not any(e.field == "lat" for e in errors):
        fail("property_id", PICK_PROPERTY)
    seen_on = _date(text("seen_on"), today)
    if seen_on is None:
        fail("seen_on", BAD_DATE if text("seen_on") else REQUIRED)
    seen_time = text("seen_time") or None
    if seen_time is not None and not _TIME.fullmatch(seen_time):
        fail("seen_time", BAD_TIME)
    raw = fields.get("what_seen", ())
    ticked = [raw] if isinstance(raw, str) else list(raw)
    what = tuple(sorted({w for w in ticked if w in WHAT_SEEN}))
    if not what or len(what) != len({w for w in ticked if w}):
        fail("what_seen", PICK_WHAT)
    details = _free_text(text("details"), "details", DETAILS_MAX, errors)
    if "other" in what and not details and not any(e.field == "details" for e in errors):
        fail("details", DESCRIBE_OTHER)
    contact = _free_text(text("contact"), "contact", CONTACT_MAX, errors)
    if errors:
        raise errors[0] if len(errors) == 1 else FieldErrors(errors)
    assert seen_on is not None and not isinstance(point, str)
    return ReportForm(place, property_id, point, seen_on, seen_time, what, details, contact)


def check_stored_text(value: str | None) -> str | None:
    """``value`` if it holds no status word; else :class:`InputError` (a last guard in the
    store, whatever the caller checked).

    >>> check_stored_text("two vans at the gate")
    'two vans at the gate'
    """
    if value is not None and mentions_status(value):
        raise InputError(NO_STATUS, field="details")
    return value


def _free_text(value: str, name: str, limit: int, errors: list[InputError]) -> str | None:
    if not value:
        return None
    if len(value) > limit:
        errors.append(InputError(TOO_LONG, field=name))
        return None
    if mentions_status(value):
        errors.append(InputError(NO_STATUS, field=name))
        return None
    return value


def _date(value: str, today: dt.date) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    if day > today or (today - day).days > DAYS_BACK:
        return None
    return day


def _point(lat: str, lon: str) -> tuple[float, float] | str | None:
    """(lat, lon), None when neither is given, "bad" otherwise."""
    if not lat and not lon:
        return None
    try:
        la, lo = float(lat), float(lon)
    except ValueError:
        return "bad"
    if not (-90 <= la <= 90 and -180 <= lo <= 180) or la != la or lo != lo:
        return "bad"
    return (round(la, 6), round(lo, 6))
