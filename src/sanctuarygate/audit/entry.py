"""Keyed hashes for person identifiers, and the older names of the entry builders.

The log's entry kinds and their one serialisation live in ``audit/entries.py``; this module
keeps :func:`person_hash` and, for existing callers, :func:`canonical_json` and
:func:`decision_entry` (the decision entry as a JSON object).

>>> canonical_json({"b": 1, "a": [True, "é"]})
b'{"a":[true,"\\xc3\\xa9"],"b":1}'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from sanctuarygate.audit.entries import DecisionEntry, canonical_json, entry_json
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request

__all__ = ["canonical_json", "decision_entry", "person_hash"]


def person_hash(key: bytes, identifier: str) -> str:
    """Keyed hash of a person identifier: ``hmac-sha256:<hex>``; the key never enters the log.

    >>> person_hash(b"k" * 32, "booking 123")[:12]
    'hmac-sha256:'
    """
    digest = hmac.new(key, identifier.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def decision_entry(request: Request, decision: Decision, *, actor: str, at: dt.datetime,
                   subject: str | None = None) -> dict[str, Any]:
    """The decision entry as a JSON object (``DecisionEntry.of``, then ``entry_json``).

    >>> from sanctuarygate.domain.request import parse_request
    >>> r = parse_request({"profile": "illinois", "date": "2024-02-01",
    ...     "principal": {"agency": "ICE-ERO"}, "action": "honor-detainer",
    ...     "resource": {"type": "Person", "in_custody": True, "gang_database": True}})
    >>> e = decision_entry(r, Decision("deny"), actor="desk", at=dt.datetime(2024, 2, 1))
    >>> "gang_database" in canonical_json(e).decode(), e["outcome"]
    (False, 'deny')
    """
    return entry_json(DecisionEntry.of(request, decision, actor=actor, at=at, subject=subject))
