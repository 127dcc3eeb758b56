"""Agency credentials in the database: API keys that say which partner agency is calling
(authentication only; what that agency may do is the policy's ``decide``).

A key reads ``sgk_<key id>_<secret>``: a recognisable prefix (secret scanners and people can
spot a leaked one), a public key id of 8 hex digits (shown in lists and logs, used to revoke)
and 32 bytes from ``secrets`` in URL-safe base64. The key is shown once, when it is issued;
the database keeps only its SHA-256 hash, bound to one agency, with a label and the times it
was created, last used and revoked.

This module only stores and reads keys. Issuing, revoking and using a key are logged
operations of the gateway (``gateway/keys.py``: ``issue_key``, ``revoke_key``,
``record_key_use``), which check the agency against the directory and write the log entries
in the same transaction as the rows here::

    with engine.begin() as conn:
        info = authenticate(conn, presented)              # AuthenticationError if not usable
        record_key_use(conn, info, what="POST /api/v1/query")   # gateway.keys
        ... the work the key was used for, in the same transaction ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection, RowMapping, insert, select, update

from sanctuarygate.errors import (
    AgencyKeyRevokedError,
    AuthenticationError,
    InputError,
    UnknownAgencyKeyError,
)
from sanctuarygate.store.tables import agency_key

KEY_PREFIX = "sgk"
KEY_ID_HEX = 8
SECRET_BYTES = 32
LABEL_MAX = 200

_KEY = re.compile(rf"{KEY_PREFIX}_([0-9a-f]{{{KEY_ID_HEX}}})_([A-Za-z0-9_-]{{43}})")
_KEY_ID = re.compile(rf"[0-9a-f]{{{KEY_ID_HEX}}}")
#: Hashed with every key, so a digest from this table means nothing anywhere else.
_HASH_DOMAIN = b"sanctuarygate agency key v1\n"
#: Compared against when the key id is unknown, so both failures do the same work.
_NO_HASH = bytes(32)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What is known about a key, without its secret: who it speaks for and its history.

    >>> KeyInfo("0a1b2c3d", "FBI", "records unit", dt.datetime(2025, 1, 2, tzinfo=dt.UTC)).revoked
    False
    """

    key_id: str
    agency_id: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just issued: ``key`` is the only copy there will ever be (kept out of ``repr``).

    >>> info = KeyInfo("0a1b2c3d", "FBI", "", dt.datetime(2025, 1, 2, tzinfo=dt.UTC))
    >>> "secret" in repr(IssuedKey(info, "sgk_0a1b2c3d_secret"))
    False
    """

    info: KeyInfo
    key: str = field(repr=False)


def key_hash(key: str) -> bytes:
    """The stored digest of a whole key (id and secret).

    SHA-256, not a slow password hash: the secret is 256 bits from ``secrets``, so there is no
    dictionary to try and no brute force within reach, and bcrypt/argon2 would only make every
    request slower. The digest covers the key id too, so it is bound to its row.

    >>> key_hash("sgk_0a1b2c3d_" + "A" * 43).hex()[:8] != key_hash("sgk_0a1b2c3e_" + "A" * 43).hex()[:8]
    True
    """
    return hashlib.sha256(_HASH_DOMAIN + key.encode("utf-8")).digest()


def parse_key(presented: str | None) -> str:
    """The key id of a presented key; :class:`AuthenticationError` if it is absent or not a key.

    >>> parse_key("sgk_0a1b2c3d_" + "x" * 43)
    '0a1b2c3d'
    >>> parse_key("hunter2")
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.AuthenticationError: malformed API key: expected sgk_<key id>_<secret>
    """
    if presented is None or not presented.strip():
        raise AuthenticationError(
            "no API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            reason="missing")
    found = _KEY.fullmatch(presented.strip())
    if found is None:  # never echo what was presented: it may be a secret of something else
        raise AuthenticationError("malformed API key: expected sgk_<key id>_<secret>",
                                  reason="malformed")
    return found.group(1)


def insert_key(conn: Connection, agency_id: str, label: str = "", *,
               at: dt.datetime | None = None) -> IssuedKey:
    """Store a new key for ``agency_id`` (the caller checked it against the directory) in the
    caller's transaction; the returned key is not stored anywhere. A label is printable text.

    >>> from sanctuarygate.store.db import make_engine, upgrade
    >>> engine = make_engine("sqlite://"); upgrade(engine)
    >>> with engine.begin() as conn:
    ...     issued = insert_key(conn, "FBI", "records unit")
    >>> issued.info.agency_id, issued.key.startswith(f"sgk_{issued.info.key_id}_")
    ('FBI', True)
    """
    label = label.strip()
    if len(label) > LABEL_MAX or not label.isprintable():
        raise InputError(f"a label is printable text of at most {LABEL_MAX} characters",
                         field="label")
    when = at or dt.datetime.now(dt.UTC)
    key_id = _new_key_id(conn)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    conn.execute(insert(agency_key).values(key_id=key_id, agency_id=agency_id, label=label,
                                           secret_hash=key_hash(key), created_at=when))
    return IssuedKey(KeyInfo(key_id, agency_id, label, when), key)


def list_keys(conn: Connection, *, agency_id: str | None = None) -> list[KeyInfo]:
    """Every key (or one agency's), oldest first; revoked ones included."""
    query = select(agency_key).order_by(agency_key.c.created_at, agency_key.c.key_id)
    if agency_id is not None:
        query = query.where(agency_key.c.agency_id == agency_id)
    return [_info(row) for row in conn.execute(query).mappings()]


def revoke(conn: Connection, key_id: str, *, at: dt.datetime | None = None) -> KeyInfo:
    """Mark a key revoked from ``at`` (default now); an unknown or already revoked key is an
    error. Accepts the key id, or a whole key (an agency reporting a leaked key may only have
    that)."""
    key_id = key_id.strip()
    if key_id.startswith(f"{KEY_PREFIX}_"):
        key_id = key_id.split("_", 2)[1]  # the id only: an error message must not echo a secret
    if not _KEY_ID.fullmatch(key_id):
        raise UnknownAgencyKeyError(key_id, field="key_id")
    when = at or dt.datetime.now(dt.UTC)
    done = conn.execute(update(agency_key)
                        .where(agency_key.c.key_id == key_id, agency_key.c.revoked_at.is_(None))
                        .values(revoked_at=when))
    row = conn.execute(select(agency_key).where(agency_key.c.key_id == key_id)).mappings().first()
    if row is None:
        raise UnknownAgencyKeyError(key_id, field="key_id")
    info = _info(row)
    if done.rowcount != 1:
        raise AgencyKeyRevokedError(key_id, revoked_at=_human(info.revoked_at))
    return info


def authenticate(conn: Connection, presented: str | None) -> KeyInfo:
    """The key a caller presented, if it is one issued here and not revoked.

    Raises :class:`AuthenticationError` with ``reason`` ``missing``, ``malformed``, ``unknown``
    (never issued, or a wrong secret: the two are not told apart) or ``revoked`` (said only to
    a caller holding the right secret). The comparison takes constant time. This only reads:
    the caller records the use (``gateway.keys.record_key_use``), in the transaction of its
    work.
    """
    key_id = parse_key(presented)
    assert presented is not None  # parse_key refused None
    row = conn.execute(select(agency_key).where(agency_key.c.key_id == key_id)).mappings().first()
    stored = bytes(row["secret_hash"]) if row is not None else _NO_HASH
    if not hmac.compare_digest(key_hash(presented.strip()), stored) or row is None:
        raise AuthenticationError("unknown API key: it was not issued here, or it was mistyped",
                                  reason="unknown")
    info = _info(row)
    if info.revoked_at is not None:
        raise AuthenticationError(f"revoked API key: key {key_id} was revoked on "
                                  f"{_human(info.revoked_at)}; ask the city for a new one",
                                  reason="revoked")
    return info


def touch_key(conn: Connection, info: KeyInfo, *, at: dt.datetime | None = None) -> None:
    """Set an authenticated key's ``last_used_at``; a key revoked since it was authenticated is
    an :class:`AuthenticationError` here, so the work it was used for fails too."""
    done = conn.execute(update(agency_key)
                        .where(agency_key.c.key_id == info.key_id,
                               agency_key.c.revoked_at.is_(None))
                        .values(last_used_at=at or dt.datetime.now(dt.UTC)))
    if done.rowcount != 1:
        raise AuthenticationError(f"revoked API key: key {info.key_id} was revoked meanwhile",
                                  reason="revoked")


def require_agency(info: KeyInfo, claimed: str | None) -> KeyInfo:
    """The key, if the agency a request names (if any) is the key's own; else a 401 error.

    A key speaks for exactly one agency, not for its parents or children.

    >>> info = KeyInfo("0a1b2c3d", "FBI", "", dt.datetime(2025, 1, 2, tzinfo=dt.UTC))
    >>> require_agency(info, "FBI").agency_id, require_agency(info, None).agency_id
    ('FBI', 'FBI')
    >>> require_agency(info, "ICE-ERO")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.AuthenticationError: this API key belongs to FBI, not to ICE-ERO: ...
    """
    if claimed is not None and claimed != info.agency_id:
        raise AuthenticationError(f"this API key belongs to {info.agency_id}, not to {claimed}: "
                                  "a key speaks only for its own agency", reason="wrong-agency")
    return info


def _new_key_id(conn: Connection) -> str:
    """A key id not in use yet (ids are 32 bits; the primary key guards against a race)."""
    for _ in range(16):
        candidate = secrets.token_hex(KEY_ID_HEX // 2)
        taken = conn.execute(select(agency_key.c.key_id)
                             .where(agency_key.c.key_id == candidate)).first()
        if taken is None:
            return candidate
    raise RuntimeError("no free agency key id after 16 tries")  # 2**32 ids: not in practice


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _human(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _info(row: RowMapping) -> KeyInfo:
    created = _utc(row["created_at"])
    assert created is not None
    return KeyInfo(str(row["key_id"]), str(row["agency_id"]), str(row["label"]), created,
                   _utc(row["revoked_at"]), _utc(row["last_used_at"]))
