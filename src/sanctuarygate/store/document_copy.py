"""Uploaded copies of the document shown for a case: checked by content, kept whole, under a
random name in ``<data dir>/case-documents``.

A copy is accepted only as a PDF, a JPEG or a PNG, told by its first bytes (the name and the
type the client claims are ignored: a text file sent as ``application/pdf`` is refused). It is
kept as sent (it is the record of what was shown), under ``<32 hex>.<pdf|jpg|png>``, readable
by the server's user only; a half-written file never appears under its name. Only staff who
may read cases are served it (``web/case_document.py``).

>>> media_type_of(b"%PDF-1.7\\n..."), media_type_of(b"GIF89a...")
('application/pdf', None)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Final

from sanctuarygate.errors import InputError

FOLDER: Final = "case-documents"

#: The media types kept, their files' first bytes and the stored name's extension.
KINDS: Final = (("application/pdf", b"%PDF-", "pdf"), ("image/jpeg", b"\xff\xd8\xff", "jpg"),
                ("image/png", b"\x89PNG\r\n\x1a\n", "png"))

NOT_A_DOCUMENT = "this file is not a PDF, a JPEG or a PNG (told by its content); nothing was kept"


class CopyTooLargeError(InputError):
    """A copy over the size limit (answered 413)."""

    title = "Document copy too large"


def media_type_of(data: bytes) -> str | None:
    """The media type ``data`` starts as (one of :data:`KINDS`), or None."""
    return next((media for media, magic, _ in KINDS if data.startswith(magic)), None)


def check_copy(data: bytes, *, max_bytes: int) -> str:
    """The media type of the copy in ``data``; refused (field ``file``) when it is empty, too
    large (:class:`CopyTooLargeError`) or not one of :data:`KINDS`.

    >>> check_copy(b"\\x89PNG\\r\\n\\x1a\\n....", max_bytes=100)
    'image/png'
    """
    if len(data) > max_bytes:
        raise CopyTooLargeError(f"the copy is larger than {max_bytes} bytes; nothing was kept",
                                field="file")
    media = media_type_of(data)
    if media is None:
        raise InputError(NOT_A_DOCUMENT, field="file")
    return media


def save_copy(data: bytes, media_type: str, data_dir: Path) -> str:
    """Write ``data`` under a new random name; the name."""
    extension = next(ext for media, _, ext in KINDS if media == media_type)
    folder = data_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}.{extension}"
    partial = folder / f".{name}.part"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    os.replace(partial, folder / name)
    return name


def remove_copy(name: str, data_dir: Path) -> None:
    """Remove a stored copy (one that could not be recorded, or a replaced one)."""
    copy_path(name, data_dir).unlink(missing_ok=True)


def copy_path(name: str, data_dir: Path) -> Path:
    """Where the stored copy ``name`` is (only a name :func:`save_copy` could have made)."""
    stem, _, extension = name.partition(".")
    if len(stem) != 32 or not all(c in "0123456789abcdef" for c in stem) or extension not in {
            ext for _, _, ext in KINDS}:
        raise InputError("no such copy", field="file")
    return data_dir / FOLDER / name
