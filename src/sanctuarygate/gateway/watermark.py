"""Per-recipient watermarks: every released row carries a keyed tag naming, to us alone, who
received it. ``trace`` reads a leaked extract and names the recipient.

The tag binds the row's released values, not only its key::

    tag = first 16 bytes, hex, of HMAC-SHA256(key,
          "sanctuarygate-wm-2" 0x00 agency 0x00 dataset 0x00 names 0x00 values)

``names`` are the released columns in catalog order, joined by ``,``; ``values`` their texts in
that order, joined by 0x00, as the extract writes them (``text``: null and the empty string are
both empty, as CSV cannot tell them apart; numbers and dates as JSON and CSV print them). So a
tag verifies from the extract alone (no key column needed), and a tag copied onto another
row, from another recipient's extract, does not verify. The key lives in the data directory
(``keys/watermark.key``), never in the database.

>>> key = b"k" * 32
>>> row = {"arrest_id": "17", "charge": "THEFT"}
>>> tag = row_tag(key, "FBI", "cpd-arrests", row)
>>> recipient(key, ["DEA", "FBI"], "cpd-arrests", row, tag)
'FBI'
>>> recipient(key, ["DEA", "FBI"], "cpd-arrests", {**row, "charge": "BATTERY"}, tag) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sanctuarygate.secret import load_or_create_secret

KEY_FILE = "watermark.key"
TAG_FIELD = "_wm"
#: Names the tag's message format (the first was the row key alone).
VERSION = b"sanctuarygate-wm-2"
#: What the trailer says about the tag, for whoever holds an extract.
DESCRIPTION = ("_wm: the recipient's watermark, an HMAC-SHA256 (city's key) of the agency, the "
               "dataset and this row's released values; a tag copied onto another row does not "
               "verify")


def load_or_create_key(data_dir: Path) -> bytes:
    """The watermark key, created (mode 0600) on first use."""
    return load_or_create_secret(data_dir, KEY_FILE)


def key_id(key: bytes) -> str:
    """A public name for the key (logged with each release), not the key."""
    return hashlib.sha256(b"sanctuarygate-watermark\x00" + key).hexdigest()[:12]


def text(value: Any) -> str:
    """A released value as the tag reads it: ``""`` for null, else ``str`` of the plain value
    (what CSV writes, and what a JSON reader gets back).

    >>> text(None), text(""), text(7), text("2024-01-31"), text(True)
    ('', '', '7', '2024-01-31', 'True')
    """
    return "" if value is None else str(value)


def tagger(key: bytes, agency: str, dataset: str,
           names: Sequence[str]) -> Callable[[Sequence[str]], str]:
    """The tag of each row of one release, given the texts of its values in ``names`` order:
    the HMAC of the fixed part of the message (key, agency, dataset, names) is computed once
    and copied for each row.

    >>> tag = tagger(b"k" * 32, "DEA", "cpd-arrests", ["arrest_id", "charge"])
    >>> tag(["7", "THEFT"]) == row_tag(b"k" * 32, "DEA", "cpd-arrests",
    ...                                {"arrest_id": 7, "charge": "THEFT"})
    True
    """
    fixed = b"\x00".join([VERSION, agency.encode(), dataset.encode(),
                          ",".join(names).encode()]) + b"\x00"
    copy = hmac.new(key, fixed, hashlib.sha256).copy

    def tag(texts: Sequence[str]) -> str:
        mac = copy()
        mac.update("\x00".join(texts).encode("utf-8", "surrogatepass"))
        return mac.hexdigest()[:32]

    return tag


def row_tag(key: bytes, agency: str, dataset: str, row: Mapping[str, Any]) -> str:
    """The tag of one row, its released values by name in catalog order."""
    return tagger(key, agency, dataset, list(row))([text(v) for v in row.values()])


def recipient(key: bytes, agencies: Iterable[str], dataset: str, row: Mapping[str, Any],
              tag: str) -> str | None:
    """The agency whose tag this is for this row (values in catalog order), or None. Hex is
    read in either case."""
    tag = tag.strip().lower()
    if not tag.isascii():
        return None
    for agency in agencies:
        if hmac.compare_digest(row_tag(key, agency, dataset, row), tag):
            return agency
    return None
