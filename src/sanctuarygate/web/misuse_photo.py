"""Photos sent with a misuse report: checked by decoding, stripped by re-encoding, kept whole.

A photo is accepted only if Pillow decodes it as a JPEG, PNG or WebP image (its name and the
type the browser claims are ignored: a text file named ``.jpg`` is refused) of at most
:data:`MAX_PIXELS`. It is then turned upright (the EXIF orientation applied) and encoded
afresh as a JPEG from its pixels alone, so that nothing of the original file survives: no EXIF
(GPS position, camera, serial number, time), no XMP, no ICC profile, no comments, no
thumbnail. The file is written under a random name (``<32 hex>.jpg``) in
``<data dir>/report-photos``; a half-written file never appears under its name.

>>> import io
>>> from PIL import Image
>>> raw = io.BytesIO(); Image.new("RGB", (4, 3), "red").save(raw, "PNG")
>>> clean = strip_photo(raw.getvalue(), max_bytes=1_000_000)
>>> Image.open(io.BytesIO(clean)).format, Image.open(io.BytesIO(clean)).getexif() == {}
('JPEG', True)
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from sanctuarygate.domain.misuse import M_
from sanctuarygate.errors import InputError

FOLDER: Final = "report-photos"
FORMATS: Final = frozenset({"JPEG", "PNG", "WEBP"})
#: Largest image kept, in pixels (a 48-megapixel phone photo fits; a decompression bomb not).
MAX_PIXELS: Final = 50_000_000

NOT_A_PHOTO = M_("This file is not a photo we can read (JPEG, PNG or WebP). Nothing was sent.")
PHOTO_TOO_LARGE = M_("A photo is larger than the limit. Nothing was sent: send a smaller photo.")
TOO_MANY_PHOTOS = M_("Too many photos. Nothing was sent.")


class PhotoTooLargeError(InputError):
    """A photo over the size limit (answered 413)."""

    title = "Photo too large"


def strip_photo(data: bytes, *, max_bytes: int) -> bytes:
    """The photo in ``data`` as a fresh JPEG of its pixels only; :class:`InputError` (field
    ``photos``) when it is no image, :class:`PhotoTooLargeError` when too large."""
    if len(data) > max_bytes:
        raise PhotoTooLargeError(PHOTO_TOO_LARGE, field="photos")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise InputError(NOT_A_PHOTO, field="photos")
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoTooLargeError(PHOTO_TOO_LARGE, field="photos")
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = Image.new("RGB", upright.size)
                pixels.paste(upright.convert("RGB"))  # pixels only: no info, no profile
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(NOT_A_PHOTO, field="photos") from None
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=85)
    return out.getvalue()


def save_photos(photos: Sequence[bytes], data_dir: Path) -> list[str]:
    """Write stripped ``photos`` under random names; their names, in order."""
    folder = data_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    names = []
    try:
        for photo in photos:
            name = f"{secrets.token_hex(16)}.jpg"
            partial = folder / f".{name}.part"
            partial.write_bytes(photo)
            os.replace(partial, folder / name)
            names.append(name)
    except OSError:
        remove_photos(names, data_dir)
        raise
    return names


def remove_photos(names: Sequence[str], data_dir: Path) -> None:
    """Remove stored photos (a report that could not be kept keeps no photo either)."""
    for name in names:
        (data_dir / FOLDER / name).unlink(missing_ok=True)


def stray_photos(listed: set[str], data_dir: Path, *, older_than: float) -> list[str]:
    """Photo files no report lists, written before ``older_than`` (seconds since the epoch;
    a report being sent writes its photos just before its row): left by a crash between the
    two, or by a removal that failed."""
    folder = data_dir / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_file() and p.name not in listed and p.stat().st_mtime < older_than)


def photo_path(name: str, data_dir: Path) -> Path:
    """Where the stored photo ``name`` is (only a name :func:`save_photos` could have made)."""
    if len(name) != 36 or not name.endswith(".jpg") or not all(
            c in "0123456789abcdef" for c in name[:32]):
        raise InputError("no such photo", field="photo")
    return data_dir / FOLDER / name
