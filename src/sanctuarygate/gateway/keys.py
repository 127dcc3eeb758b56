"""Agency keys as the gateway's logged operations: issue, revoke and use a key, each with its
entry in the decision log, in the caller's transaction.

The keys themselves are stored by ``store/credential.py`` (hashed; authentication reads them);
here the agency is checked against the directory and every issue, revocation and use becomes a
log entry that names the key id and the agency, never the key::

    with engine.begin() as conn:
        issued = issue_key(conn, "FBI", "records unit", directory=library.directory)
    with engine.begin() as conn:
        info = authenticate(conn, presented)              # store.credential
        record_key_use(conn, info, what="POST /api/v1/query")
        ... the work the key was used for, in the same transaction ...
"""

from __future__ import annotations

import datetime as dt
import re

from sanctuarygate.audit.entries import AuthFailedEntry, KeyIssueEntry, KeyRevokeEntry, KeyUseEntry
from sanctuarygate.audit.record import record
from sanctuarygate.domain.agency import Directory
from sanctuarygate.store.credential import (
    KEY_ID_HEX,
    KEY_PREFIX,
    IssuedKey,
    KeyInfo,
    insert_key,
    revoke,
    touch_key,
)
from sanctuarygate.store.db import Connection

__all__ = [
    "WHAT_MAX",
    "issue_key",
    "presented_key_id",
    "record_auth_failure",
    "record_key_use",
    "revoke_key",
]

WHAT_MAX = 200
#: The key id at the start of what was presented (``sgk_<8 hex>_``), whatever follows.
_KEY_ID_PREFIX = re.compile(rf"{KEY_PREFIX}_([0-9a-f]{{{KEY_ID_HEX}}})_")


def issue_key(conn: Connection, agency_id: str, label: str = "", *,
              directory: Directory | None = None, at: dt.datetime | None = None) -> IssuedKey:
    """Issue a new key for an agency of the directory (in the caller's transaction) and log it.

    ``directory`` defaults to the one of the policy packs of the environment's settings; an
    agency it does not list is an :class:`~sanctuarygate.errors.UnknownAgencyError`. The
    returned key is not stored anywhere.

    >>> from sanctuarygate.store.db import make_engine, upgrade
    >>> engine = make_engine("sqlite://"); upgrade(engine)
    >>> with engine.begin() as conn:
    ...     issued = issue_key(conn, "FBI", "records unit")
    >>> issued.info.agency_id, issued.key.startswith(f"sgk_{issued.info.key_id}_")
    ('FBI', True)
    """
    if directory is None:
        from sanctuarygate.policy.default import default_library

        directory = default_library().directory
    agency = directory.get(agency_id, field="agency")
    when = at or dt.datetime.now(dt.UTC)
    issued = insert_key(conn, agency.id, label, at=when)
    record(conn, KeyIssueEntry(time=when, key_id=issued.info.key_id, agency=agency.id))
    return issued


def revoke_key(conn: Connection, key_id: str, *, at: dt.datetime | None = None) -> KeyInfo:
    """Revoke a key from now on and log it; an unknown or already revoked key is an error.

    Accepts the key id, or a whole key (an agency reporting a leaked key may only have that).
    """
    when = at or dt.datetime.now(dt.UTC)
    info = revoke(conn, key_id, at=when)
    record(conn, KeyRevokeEntry(time=when, key_id=info.key_id, agency=info.agency_id))
    return info


def record_key_use(conn: Connection, info: KeyInfo, *, what: str,
                   at: dt.datetime | None = None) -> int:
    """Note a use of an authenticated key: ``last_used_at`` and a ``key-use`` entry in the
    decision log, in the caller's transaction. Returns the entry's index.

    ``what`` says what the key was used for (``"POST /api/v1/query"``, a purpose); it must not
    hold a key. A key revoked since it was authenticated is refused here, so the work fails too.
    """
    what = what.strip()
    if not what or len(what) > WHAT_MAX or f"{KEY_PREFIX}_" in what:
        raise ValueError(f"'what' must be 1 to {WHAT_MAX} characters and never hold a key")
    when = at or dt.datetime.now(dt.UTC)
    touch_key(conn, info, at=when)
    return record(conn, KeyUseEntry(time=when, key_id=info.key_id, agency=info.agency_id,
                                    what=what))


def presented_key_id(presented: str | None) -> str | None:
    """The key id at the start of a presented key, if it has one (a malformed or unknown key
    may still name its id); never anything else of what was presented.

    >>> presented_key_id("sgk_0a1b2c3d_truncated"), presented_key_id("hunter2")
    ('0a1b2c3d', None)
    """
    found = _KEY_ID_PREFIX.match(presented.strip()) if presented else None
    return found.group(1) if found else None


def record_auth_failure(conn: Connection, reason: str, *, what: str,
                        key_id: str | None = None, at: dt.datetime | None = None) -> int:
    """Put a failed authentication on the record: an ``auth-failed`` entry with the reason,
    what the key was sent for and the key id read from it (``presented_key_id``), in the
    caller's transaction. Returns the entry's index.

    >>> from sanctuarygate.store.db import make_engine, upgrade
    >>> engine = make_engine("sqlite://"); upgrade(engine)
    >>> with engine.begin() as conn:
    ...     record_auth_failure(conn, "revoked", what="GET /x", key_id="0a1b2c3d")
    0
    """
    what = what.strip()
    if not what or len(what) > WHAT_MAX or f"{KEY_PREFIX}_" in what:
        raise ValueError(f"'what' must be 1 to {WHAT_MAX} characters and never hold a key")
    return record(conn, AuthFailedEntry(time=at or dt.datetime.now(dt.UTC), reason=reason,
                                        what=what, key_id=key_id))
