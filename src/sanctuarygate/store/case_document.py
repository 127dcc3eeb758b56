"""The document shown for a case: who verified it and when, and an uploaded copy's record.

Kept beside the case (``case_document``, one row per case), never in the public log. Works in
the caller's transaction, so the verification is stored with the case it belongs to::

    with engine.begin() as conn:
        case_id = open_case(conn, ...)
        record_verification(conn, case_id, intake)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, select, update

from sanctuarygate.domain.intake import CaseDocument, Intake
from sanctuarygate.store.tables import case_document


def record_verification(conn: Connection, case_id: int, intake: Intake) -> None:
    """Store who verified the case's document and when (nothing when neither was given)."""
    if not intake.document:
        return
    values = {"verified_by": intake.document_verified_by,
              "checked_at": intake.document_checked_at}
    if get_document(conn, case_id) is None:
        conn.execute(insert(case_document).values(case_id=case_id, **values))
    else:
        conn.execute(update(case_document).where(case_document.c.case_id == case_id)
                     .values(**values))


def record_copy(conn: Connection, case_id: int, *, file_name: str, media_type: str, size: int,
                actor: str, at: dt.datetime) -> CaseDocument:
    """Store the record of an uploaded copy (the file is written by the caller, under its
    random ``file_name``); a later copy replaces an earlier one's record."""
    values = {"file_name": file_name, "media_type": media_type, "size": size,
              "uploaded_by": actor, "uploaded_at": at}
    if get_document(conn, case_id) is None:
        conn.execute(insert(case_document).values(case_id=case_id, **values))
    else:
        conn.execute(update(case_document).where(case_document.c.case_id == case_id)
                     .values(**values))
    found = get_document(conn, case_id)
    assert found is not None
    return found


def get_document(conn: Connection, case_id: int) -> CaseDocument | None:
    """The case's document record, or None when nothing was recorded about it."""
    row = conn.execute(select(case_document).where(case_document.c.case_id == case_id)
                       ).mappings().first()
    if row is None:
        return None
    return CaseDocument(
        case_id=int(row["case_id"]), verified_by=row["verified_by"],
        checked_at=row["checked_at"], file_name=row["file_name"],
        media_type=row["media_type"], size=row["size"], uploaded_by=row["uploaded_by"],
        uploaded_at=row["uploaded_at"])
