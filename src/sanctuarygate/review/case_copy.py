"""Attach a copy of the document shown to a case: check it, keep it, record it.

    document = attach_copy(log, case_id, data, data_dir=settings.data_dir,
                           actor=member.actor, max_bytes=settings.case_document_max_bytes)

The copy is checked by content (``store/document_copy.py``), written under a random name, and
recorded in the case (``case_document``) with who uploaded it and when; a copy that cannot be
recorded (no such case, a database error) is removed again. A later copy replaces an earlier
one, whose file is removed once the new one is recorded. Nothing goes to the public log.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.intake import CaseDocument
from sanctuarygate.store.case import get_case
from sanctuarygate.store.case_document import get_document, record_copy
from sanctuarygate.store.document_copy import check_copy, copy_path, remove_copy, save_copy


def attach_copy(log: DecisionLog, case_id: int, data: bytes, *, data_dir: Path, actor: str,
                max_bytes: int, at: dt.datetime | None = None) -> CaseDocument:
    """Keep ``data`` as the copy of case ``case_id``'s document; the case's document record."""
    media = check_copy(data, max_bytes=max_bytes)
    with log.engine.connect() as conn:
        get_case(conn, case_id)  # UnknownCaseError before anything is written
    name = save_copy(data, media, data_dir)
    try:
        with log.engine.begin() as conn:
            get_case(conn, case_id, lock=True)
            before = get_document(conn, case_id)
            found = record_copy(conn, case_id, file_name=name, media_type=media,
                                size=len(data), actor=actor, at=at or dt.datetime.now(dt.UTC))
    except BaseException:
        remove_copy(name, data_dir)
        raise
    if before is not None and before.file_name and before.file_name != name:
        remove_copy(before.file_name, data_dir)
    return found


def copy_file(document: CaseDocument | None, data_dir: Path) -> Path | None:
    """Where a case's stored copy is, or None when it has none (or the file is gone)."""
    if document is None or document.file_name is None:
        return None
    path = copy_path(document.file_name, data_dir)
    return path if path.is_file() else None
