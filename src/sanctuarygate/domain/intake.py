"""What a case records at intake, besides the request: who asked, about whom, the document shown.

The request (``domain/request.py``) goes to the public log; these facts do not. They go only
into the city's case (``store/case.py``, ``store/case_document.py``) and are shown to reviewers
and auditors:

- who asked: the agent's name or badge as told, and a contact (a phone or an e-mail, as given);
- about whom: the city's own reference for the person (a booking number, say), never a name
  and never a status;
- the document shown: who at the city verified it and when (the request already says its kind
  and whether it was verified).

Every one is optional, bounded, and refused, naming its field, when it states a person's
immigration status (``domain/case.py::check_text``)::

    >>> intake = parse_intake({"asked_by": "SA Roe, badge 4411", "person_ref": "CB-2026-0042"})
    >>> intake.asked_by, intake.person_ref, intake.empty
    ('SA Roe, badge 4411', 'CB-2026-0042', False)
    >>> parse_intake({"contact": "roe@example.gov (visa unit)"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: case.contact: do not write a person's immigration status ...
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sanctuarygate.domain.case import SHORT_MAX, check_text
from sanctuarygate.errors import FieldErrors, InputError

#: The fields, in the order forms and pages show them.
FIELDS: Final = ("asked_by", "contact", "person_ref", "document_verified_by",
                 "document_checked_at")

#: The longest person reference kept (the column is 64 characters).
REF_MAX: Final = 64

#: A person reference is a reference: letters, digits and a few separators, no sentence.
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/#:-]*")

#: A check more than this far in the future is a typing error, not a time.
_SKEW: Final = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Intake:
    """The optional facts of a case that are not the request; ``None``: not given."""

    asked_by: str | None = None
    contact: str | None = None
    person_ref: str | None = None
    document_verified_by: str | None = None
    document_checked_at: dt.datetime | None = None

    @property
    def empty(self) -> bool:
        """Whether nothing was given."""
        return all(getattr(self, name) is None for name in FIELDS)

    @property
    def document(self) -> bool:
        """Whether the document's verification was given (who or when)."""
        return self.document_verified_by is not None or self.document_checked_at is not None

    def to_dict(self) -> dict[str, Any]:
        when = self.document_checked_at
        return {"asked_by": self.asked_by, "contact": self.contact,
                "person_ref": self.person_ref,
                "document_verified_by": self.document_verified_by,
                "document_checked_at": None if when is None else stamp(when)}


def parse_intake(value: Mapping[str, Any] | None, *, prefix: str = "case",
                 zone: dt.tzinfo = dt.UTC, now: dt.datetime | None = None) -> Intake:
    """The intake in ``value`` (a mapping of :data:`FIELDS`; blanks are not given). Every
    problem is found at once (:class:`FieldErrors`), each naming ``prefix.field``. A time
    without an offset is read in ``zone`` (the city's); one in the future is refused.

    >>> parse_intake({"document_checked_at": "2026-01-05T09:30:00Z"}).document_checked_at
    datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.timezone.utc)
    >>> parse_intake({"person_ref": "Roe; see file"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: case.person_ref: a reference (letters, digits, ...
    """
    if value is None:
        return Intake()
    if not isinstance(value, Mapping):
        raise InputError("must be a mapping of " + ", ".join(FIELDS), field=prefix)
    errors: list[InputError] = []
    unknown = sorted(str(k) for k in value if k not in FIELDS)
    if unknown:
        errors.append(InputError(f"unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})",
                                 field=f"{prefix}.{unknown[0]}"))
    found: dict[str, Any] = {}
    for name in FIELDS:
        raw = value.get(name)
        if raw is not None and not isinstance(raw, str):
            errors.append(InputError("must be text", field=f"{prefix}.{name}"))
            continue
        try:
            found[name] = _field(name, raw, f"{prefix}.{name}", zone, now)
        except InputError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)
    return Intake(**found)


def _field(name: str, raw: str | None, field: str, zone: dt.tzinfo,
           now: dt.datetime | None) -> Any:
    limit = REF_MAX if name == "person_ref" else SHORT_MAX
    text = check_text(raw, field, limit=limit)
    if text is None:
        return None
    if name == "person_ref" and not _REF.fullmatch(text):
        raise InputError("a reference (letters, digits, spaces and . _ / # : -), such as a "
                         "booking number; never a name or a sentence", field=field)
    if name == "document_checked_at":
        return _when(text, field, zone, now)
    return text


def _when(text: str, field: str, zone: dt.tzinfo, now: dt.datetime | None) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date and time (2026-01-05T09:30)",
                         field=field) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    when = when.astimezone(dt.UTC)
    if when > (now or dt.datetime.now(dt.UTC)) + _SKEW:
        raise InputError("is in the future", field=field)
    return when


def stamp(when: dt.datetime) -> str:
    """A stored time as the API gives it: UTC, ``Z``. SQLite gives naive times back (they
    were stored as UTC).

    >>> stamp(dt.datetime(2026, 1, 5, 9, 30))
    '2026-01-05T09:30:00Z'
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class CaseDocument:
    """The document shown for a case as stored: who verified it and when, and the uploaded
    copy (its random file name under the data directory, media type and size) if any."""

    case_id: int
    verified_by: str | None = None
    checked_at: dt.datetime | None = None
    file_name: str | None = None
    media_type: str | None = None
    size: int | None = None
    uploaded_by: str | None = None
    uploaded_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """As the case API gives it: the copy by its media type, size and link, never its
        stored name."""
        copy = None if self.file_name is None else {
            "media_type": self.media_type, "size": self.size, "uploaded_by": self.uploaded_by,
            "uploaded_at": None if self.uploaded_at is None else stamp(self.uploaded_at),
            "href": f"/cases/{self.case_id}/document",
            "api_href": f"/api/v1/cases/{self.case_id}/document/copy"}
        return {"verified_by": self.verified_by,
                "checked_at": None if self.checked_at is None else stamp(self.checked_at),
                "copy": copy}
