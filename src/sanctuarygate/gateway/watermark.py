"""Per-recipient watermarks: every released row carries a keyed tag naming, to us alone, who
received it. ``trace`` reads a leaked extract and names the recipient.

tag = first 16 bytes of HMAC-SHA256(key, agency || 0x00 || dataset || 0x00 || row key), hex.
The key lives in the data directory (``keys/watermark.key``), never in the database.

>>> key = b"k" * 32
>>> tag = row_tag(key, "FBI", "cpd-arrests", "17")
>>> recipient(key, ["DEA", "FBI"], "cpd-arrests", "17", tag)
'FBI'
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from pathlib import Path

from sanctuarygate.secret import load_or_create_secret

KEY_FILE = "watermark.key"
TAG_FIELD = "_wm"


def load_or_create_key(data_dir: Path) -> bytes:
    """The watermark key, created (mode 0600) on first use."""
    return load_or_create_secret(data_dir, KEY_FILE)


def key_id(key: bytes) -> str:
    """A public name for the key (logged with each release), not the key."""
    return hashlib.sha256(b"sanctuarygate-watermark\x00" + key).hexdigest()[:12]


def row_tag(key: bytes, agency: str, dataset: str, row_key: str) -> str:
    """The tag of one row (see the module docstring)."""
    msg = b"\x00".join(s.encode("utf-8") for s in (agency, dataset, row_key))
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]


def tagger(key: bytes, agency: str, dataset: str) -> Callable[[str], str]:
    """``row_tag`` for many rows of one release: the HMAC of the fixed part of the message
    (key, agency, dataset) is computed once and copied for each row key.

    >>> tag = tagger(b"k" * 32, "DEA", "cpd-arrests")
    >>> tag("7") == row_tag(b"k" * 32, "DEA", "cpd-arrests", "7")
    True
    """
    prefix = hmac.new(key, b"\x00".join(s.encode("utf-8") for s in (agency, dataset)) + b"\x00",
                      hashlib.sha256)
    copy = prefix.copy

    def tag(row_key: str) -> str:
        mac = copy()
        mac.update(row_key.encode("utf-8"))
        return mac.hexdigest()[:32]

    return tag


def recipient(key: bytes, agencies: Iterable[str], dataset: str, row_key: str,
              tag: str) -> str | None:
    """The agency whose tag this is, or None."""
    for agency in agencies:
        if hmac.compare_digest(row_tag(key, agency, dataset, row_key), tag):
            return agency
    return None
