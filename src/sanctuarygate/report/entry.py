"""Reading one public log entry for a report: its JSON object, and the city's day it was made.

A report reads the log's own bytes (live or from an export); an entry that is not a JSON object
or has no valid time is bad input naming its index, never skipped in silence.

>>> import zoneinfo
>>> e = parse_entry(3, b'{"kind": "decision", "time": "2026-01-01T05:30:00Z"}')
>>> entry_day(3, e, zoneinfo.ZoneInfo("America/Chicago")).isoformat()
'2025-12-31'
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Mapping
from typing import Any

from sanctuarygate.errors import InputError

__all__ = ["entry_day", "parse_entry"]


def parse_entry(index: int, raw: bytes) -> Mapping[str, Any]:
    """Entry ``index`` as its JSON object; :class:`InputError` when it is not one."""
    try:
        entry = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise InputError(f"log entry {index}: not a JSON object") from None
    if not isinstance(entry, dict):
        raise InputError(f"log entry {index}: not a JSON object")
    return entry


def entry_day(index: int, entry: Mapping[str, Any], zone: zoneinfo.ZoneInfo) -> dt.date:
    """The city's date of the entry's ``time`` (UTC in the log)."""
    try:
        when = dt.datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        raise InputError(f"log entry {index}: no valid time") from None
    if when.tzinfo is None:
        raise InputError(f"log entry {index}: time without a zone")
    return when.astimezone(zone).date()
