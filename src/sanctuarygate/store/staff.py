"""Staff accounts: sign-in with a password (argon2), lock-out, and API tokens for scripts.

Passwords are hashed with argon2id (``argon2-cffi``'s defaults, which follow RFC 9106); a
password shown once by ``staff add`` is random and long. Five failed sign-ins in a row lock the
account for fifteen minutes; an unknown name costs the same work as a known one, and the error
never says which of the two was wrong. A disabled account cannot sign in nor use its tokens.

Tokens read ``sgs_<token id>_<secret>`` and are kept like agency keys: shown once, stored as a
SHA-256 hash (the secret has 256 bits, so a slow hash would only slow every request), revocable.

    with engine.begin() as conn:
        member, password = add_staff(conn, "jdoe", ["desk"])   # password: give it once
    with engine.begin() as conn:
        member = sign_in(conn, "jdoe", password)               # AuthenticationError if not
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg.rows import dict_row
from sqlalchemy import ColumnElement, Connection, RowMapping, bindparam, insert, select, update
from sqlalchemy.engine import Dialect

from sanctuarygate.domain.staff import Role, StaffMember, check_name, parse_roles
from sanctuarygate.errors import AuthenticationError, InputError
from sanctuarygate.store.db import driver_errors
from sanctuarygate.store.tables import staff_account, staff_token

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
TOKEN_PREFIX = "sgs"
LABEL_MAX = 200

#: The stored "hash" of an account no password opens: no argon2 hash, so no password verifies.
NO_PASSWORD: Final = "!no-password"

_HASHER = PasswordHasher()
#: Verified against when the name is unknown, so both failures cost the same.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
_TOKEN = re.compile(rf"{TOKEN_PREFIX}_([0-9a-f]{{8}})_([A-Za-z0-9_-]{{43}})")
_TOKEN_DOMAIN = b"sanctuarygate staff token v1\n"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued: ``token`` is the only copy there will be (kept out of ``repr``)."""

    token_id: str
    staff_id: str
    label: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    token_id: str
    staff_id: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a staff token was found to grant when it was checked: its id and its account's
    roles then. An entry written on it is committed only if the grant still holds in the
    transaction that writes it (:func:`lapsed_grants`): the token not revoked, the account
    there, not disabled, its roles the same.

    >>> TokenGrant.of("sgs_0a1b2c3d_x", StaffMember("s-1", "jdoe", frozenset({Role.DESK})))
    TokenGrant(token_id='0a1b2c3d', roles=frozenset({<Role.DESK: 'desk'>}))
    """

    token_id: str
    roles: frozenset[Role]

    @classmethod
    def of(cls, presented: str, member: StaffMember) -> TokenGrant:
        """The grant of a token :func:`authenticate_token` has just accepted for ``member``."""
        found = _TOKEN_ID_PREFIX.match(presented.strip())
        if found is None:
            raise InputError("malformed staff token", field="token")
        return cls(found.group(1), member.roles)


def check_password(password: str) -> str:
    """A password good enough to set: long enough, not absurdly long, printable.

    >>> check_password("correct horse battery")
    'correct horse battery'
    >>> check_password("hunter2")
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: password: use at least 12 characters
    """
    if len(password) < MIN_PASSWORD:
        raise InputError(f"use at least {MIN_PASSWORD} characters", field="password")
    if len(password) > MAX_PASSWORD or not password.isprintable():
        raise InputError(f"use at most {MAX_PASSWORD} printable characters", field="password")
    return password


def add_staff(conn: Connection, name: str, roles: Iterable[str], *, password: str | None = None,
              no_password: bool = False,
              at: dt.datetime | None = None) -> tuple[StaffMember, str | None]:
    """Create an account. Without ``password``, one is made and returned (show it once);
    with one, it is checked and ``None`` is returned. ``no_password``: no password opens it
    (none is made; it signs in through the identity provider, :func:`identified_member`, until
    ``set_password`` gives it one). A name in use is an :class:`InputError`."""
    name = check_name(name)
    chosen = parse_roles(roles)
    if no_password and password is not None:
        raise InputError("an account without a password takes none", field="password")
    made = None if password is not None or no_password else secrets.token_urlsafe(15)
    secret = check_password(password) if password is not None else made
    if conn.execute(select(staff_account.c.id).where(staff_account.c.name == name)).first():
        raise InputError(f"there is already an account named {name!r}", field="name")
    when = at or dt.datetime.now(dt.UTC)
    member_id = _new_id(conn, staff_account.c.id, "s-")
    conn.execute(insert(staff_account).values(
        id=member_id, name=name, roles=_roles_text(chosen),
        password_hash=_HASHER.hash(secret) if secret is not None else NO_PASSWORD,
        created_at=when, failed_sign_ins=0))
    return StaffMember(member_id, name, chosen, when), made


def set_password(conn: Connection, name: str, password: str) -> StaffMember:
    """Set a new password (and clear a lock-out)."""
    member = get_staff(conn, name)
    conn.execute(update(staff_account).where(staff_account.c.id == member.id).values(
        password_hash=_HASHER.hash(check_password(password)), failed_sign_ins=0,
        locked_until=None))
    return member


def get_staff(conn: Connection, name_or_id: str) -> StaffMember:
    """An account by sign-in name or public id; :class:`InputError` if there is none."""
    key = name_or_id.strip().lower()
    column = staff_account.c.id if key.startswith("s-") else staff_account.c.name
    row = conn.execute(select(staff_account).where(column == key)).mappings().first()
    if row is None:
        raise InputError(f"no staff account {name_or_id.strip()!r}", field="name")
    return _member(row)


def list_staff(conn: Connection) -> list[StaffMember]:
    """Every account, by name; disabled ones included."""
    rows = conn.execute(select(staff_account).order_by(staff_account.c.name)).mappings()
    return [_member(row) for row in rows]


def disable_staff(conn: Connection, name: str, *, at: dt.datetime | None = None) -> StaffMember:
    """Disable an account from now on: no sign-in, no token works. Idempotent."""
    member = get_staff(conn, name)
    when = at or dt.datetime.now(dt.UTC)
    conn.execute(update(staff_account)
                 .where(staff_account.c.id == member.id, staff_account.c.disabled_at.is_(None))
                 .values(disabled_at=when))
    return get_staff(conn, member.id)


def sign_in(conn: Connection, name: str, password: str, *,
            at: dt.datetime | None = None) -> StaffMember:
    """The account, if ``password`` is its password and it may sign in.

    Raises :class:`AuthenticationError`: ``unknown`` (wrong name or password: not told apart),
    ``locked`` (too many failures; says until when), ``disabled``. A failure is counted in the
    caller's transaction, so the caller must commit it even when it answers 401.
    """
    when = at or dt.datetime.now(dt.UTC)
    try:
        key = check_name(name)
    except InputError:
        key = ""
    row = conn.execute(select(staff_account).where(staff_account.c.name == key)).mappings().first()
    stored = str(row["password_hash"]) if row is not None else _DUMMY_HASH
    try:
        good: bool = _HASHER.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        good = False
    if row is None:
        raise AuthenticationError("wrong name or password", reason="unknown")
    member = _member(row)
    if member.locked_until is not None and member.locked_until > when:
        raise AuthenticationError(f"too many failed sign-ins: the account is locked until "
                                  f"{member.locked_until:%H:%M} UTC", reason="locked")
    if member.disabled:
        raise AuthenticationError("this account is disabled; ask an administrator",
                                  reason="disabled")
    if not good:
        failures = int(row["failed_sign_ins"]) + 1
        locked = when + LOCK_FOR if failures >= MAX_FAILURES else None
        conn.execute(update(staff_account).where(staff_account.c.id == member.id).values(
            failed_sign_ins=0 if locked else failures, locked_until=locked))
        raise AuthenticationError("wrong name or password", reason="unknown")
    changes: dict[str, object] = {"failed_sign_ins": 0, "locked_until": None}
    if _HASHER.check_needs_rehash(stored):
        changes["password_hash"] = _HASHER.hash(password)
    conn.execute(update(staff_account).where(staff_account.c.id == member.id).values(**changes))
    return member


def identified_member(conn: Connection, name: str) -> StaffMember:
    """The account an identity provider's sign-in names (``web/signin_oidc.py``: the provider
    has checked who the person is; the roles are the account's, here), if it may sign in.

    Raises :class:`AuthenticationError`: ``unknown`` (no such account, or not a sign-in name),
    ``disabled``. A password lock-out does not stop it: the lock guards the password, which
    this sign-in does not use, and so password guesses cannot shut a member out of both.
    """
    try:
        key = check_name(name)
    except InputError:
        raise AuthenticationError("no staff account of that name", reason="unknown") from None
    row = conn.execute(select(staff_account).where(staff_account.c.name == key)).mappings().first()
    if row is None:
        raise AuthenticationError("no staff account of that name", reason="unknown")
    member = _member(row)
    if member.disabled:
        raise AuthenticationError("this account is disabled; ask an administrator",
                                  reason="disabled")
    return member


def issue_token(conn: Connection, name: str, label: str = "", *,
                at: dt.datetime | None = None) -> IssuedToken:
    """A new API token for an account that may sign in; the token is not stored anywhere."""
    member = get_staff(conn, name)
    if member.disabled:
        raise InputError(f"account {member.name!r} is disabled", field="name")
    label = label.strip()
    if len(label) > LABEL_MAX or not label.isprintable():
        raise InputError(f"a label is printable text of at most {LABEL_MAX} characters",
                         field="label")
    token_id = _new_id(conn, staff_token.c.token_id, "")
    token = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    conn.execute(insert(staff_token).values(
        token_id=token_id, staff_id=member.id, label=label, secret_hash=_token_hash(token),
        created_at=at or dt.datetime.now(dt.UTC)))
    return IssuedToken(token_id, member.id, label, token)


def revoke_token(conn: Connection, token_id: str, *, at: dt.datetime | None = None) -> TokenInfo:
    """Revoke a token (by id, or the whole token); unknown or already revoked is an error."""
    token_id = token_id.strip()
    if token_id.startswith(f"{TOKEN_PREFIX}_"):
        token_id = token_id.split("_", 2)[1]  # never echo a secret in an error
    done = conn.execute(update(staff_token)
                        .where(staff_token.c.token_id == token_id,
                               staff_token.c.revoked_at.is_(None))
                        .values(revoked_at=at or dt.datetime.now(dt.UTC)))
    row = conn.execute(select(staff_token).where(staff_token.c.token_id == token_id)
                       ).mappings().first()
    if row is None:
        raise InputError(f"no staff token {token_id!r}", field="token_id")
    if done.rowcount != 1:
        raise InputError(f"staff token {token_id} is already revoked", field="token_id")
    return _token(row)


def list_tokens(conn: Connection, name: str | None = None) -> list[TokenInfo]:
    """Every token (or one account's), oldest first."""
    query = select(staff_token).order_by(staff_token.c.created_at, staff_token.c.token_id)
    if name is not None:
        query = query.where(staff_token.c.staff_id == get_staff(conn, name).id)
    return [_token(row) for row in conn.execute(query).mappings()]


_TOKEN_ID_PREFIX = re.compile(rf"{TOKEN_PREFIX}_([0-9a-f]{{8}})_")


def presented_token_id(presented: str | None) -> str | None:
    """The token id at the start of a presented staff token, if it has one (a malformed or
    unknown token may still name its id), as ``sgs_<id>``; never anything else of it.

    >>> presented_token_id("sgs_0a1b2c3d_truncated"), presented_token_id("hunter2")
    ('sgs_0a1b2c3d', None)
    """
    found = _TOKEN_ID_PREFIX.match(presented.strip()) if presented else None
    return f"{TOKEN_PREFIX}_{found.group(1)}" if found else None


#: A token's ``last_used_at`` is noted at most this often: a script recording a decision a second
#: would otherwise make every request a durable write of its own before the log's.
USE_NOTED_EVERY: Final = dt.timedelta(minutes=1)


def authenticate_token(conn: Connection, presented: str | None, *,
                       at: dt.datetime | None = None) -> StaffMember:
    """The account a presented token speaks for; :class:`AuthenticationError` otherwise
    (``missing``, ``malformed``, ``unknown`` — never issued or a wrong secret —, ``revoked``,
    ``disabled``). Notes the use (``last_used_at``, at most once a minute) in the caller's
    transaction."""
    if presented is None or not presented.strip():
        raise AuthenticationError("no staff token: send 'Authorization: Bearer <token>'",
                                  reason="missing")
    found = _TOKEN.fullmatch(presented.strip())
    if found is None:
        raise AuthenticationError("malformed staff token: expected sgs_<token id>_<secret>",
                                  reason="malformed")
    row = _token_row(conn, found.group(1))
    stored = bytes(row["secret_hash"]) if row is not None else bytes(32)
    if not hmac.compare_digest(_token_hash(presented.strip()), stored) or row is None:
        raise AuthenticationError("unknown staff token", reason="unknown")
    if row["revoked_at"] is not None:
        raise AuthenticationError(f"staff token {found.group(1)} was revoked", reason="revoked")
    if row["id"] is None:  # the token's account is gone: as get_staff says
        raise InputError(f"no staff account {row['staff_id']!r}", field="name")
    member = _member(row)
    if member.disabled:
        raise AuthenticationError("this account is disabled", reason="disabled")
    when = at or dt.datetime.now(dt.UTC)
    last = _utc(row["last_used_at"])
    if last is None or not dt.timedelta(0) <= when - last < USE_NOTED_EVERY:
        conn.execute(update(staff_token).where(staff_token.c.token_id == found.group(1))
                     .values(last_used_at=when))
    return member


#: A token and its account, in one statement (every recorded request checks its token).
_TOKEN_AND_ACCOUNT = (
    select(staff_token.c.secret_hash, staff_token.c.revoked_at, staff_token.c.last_used_at,
           staff_token.c.staff_id, staff_account.c.id, staff_account.c.name,
           staff_account.c.roles, staff_account.c.created_at, staff_account.c.disabled_at,
           staff_account.c.locked_until)
    .select_from(staff_token.outerjoin(staff_account,
                                       staff_account.c.id == staff_token.c.staff_id))
    .where(staff_token.c.token_id == bindparam("token_id")))


def _token_row(conn: Connection, token_id: str) -> Mapping[Any, Any] | None:
    """The token's row, with its account's columns (None if no such token). On PostgreSQL
    the statement goes to psycopg itself: SQLAlchemy's execution and result machinery cost
    about twice the statement's own time, on every recorded request (``docs/benchmarks.md``)."""
    if conn.dialect.name != "postgresql":
        return conn.execute(_TOKEN_AND_ACCOUNT, {"token_id": token_id}).mappings().first()
    sql = _driver_sql(conn.dialect)
    driver = conn.connection.driver_connection
    assert driver is not None  # a checked-out connection
    with driver_errors(conn, sql):
        row: dict[str, Any] | None = driver.cursor(row_factory=dict_row).execute(
            sql, {"token_id": token_id}).fetchone()
    return row


@functools.cache
def _driver_sql(dialect: Dialect) -> str:
    """:data:`_TOKEN_AND_ACCOUNT` as the driver takes it (``%(token_id)s``)."""
    return str(_TOKEN_AND_ACCOUNT.compile(dialect=dialect))


def lapsed_grants(conn: Connection, grants: Collection[TokenGrant]) -> set[TokenGrant]:
    """The grants among ``grants`` that no longer hold, read in the caller's transaction (one
    statement): the token revoked or gone, its account gone or disabled, or the account's roles
    not the grant's any more."""
    if not grants:
        return set()
    ids = grant_ids(grants)
    rows: Iterable[Sequence[Any]]
    if conn.dialect.name == "postgresql":  # psycopg itself, as _token_row: once every commit
        driver = conn.connection.driver_connection
        assert driver is not None  # a checked-out connection
        with driver_errors(conn, _PG_HOLDING):
            rows = driver.execute(_PG_HOLDING, {"ids": ids}).fetchall()
    else:
        rows = conn.execute(_HOLDING, {"ids": ids}).all()
    return lapsed_among(grants, rows)


def grant_ids(grants: Collection[TokenGrant]) -> list[str]:
    """The token ids :data:`PG_HOLDING` asks about (its ``ids``), in order."""
    return sorted({g.token_id for g in grants})


def lapsed_among(grants: Collection[TokenGrant], rows: Iterable[Sequence[Any]]) -> set[TokenGrant]:
    """The grants that no longer hold, given the rows :data:`PG_HOLDING` (or its SQLAlchemy
    form) returned for them: ``(token_id, roles)`` of the tokens still valid."""
    holding = {str(tid): _known_roles(roles) for tid, roles in rows}
    return {g for g in grants if holding.get(g.token_id) != g.roles}


def _known_roles(stored: object) -> frozenset[Role] | None:
    """An account's stored roles, or None if one of them is no role this version knows (an
    account written by hand): the grant made of them lapses, and its token's full check
    answers for it, rather than the whole commit failing on one account."""
    try:
        return _roles_of(stored)
    except ValueError:
        return None


#: The tokens among ``ids`` that are not revoked, of an account there and not disabled.
_HOLDING = (
    select(staff_token.c.token_id, staff_account.c.roles)
    .select_from(staff_token.join(staff_account, staff_account.c.id == staff_token.c.staff_id))
    .where(staff_token.c.token_id.in_(bindparam("ids", expanding=True)),
           staff_token.c.revoked_at.is_(None), staff_account.c.disabled_at.is_(None)))
_PG_HOLDING = ("SELECT t.token_id, a.roles FROM staff_token t JOIN staff_account a"
               " ON a.id = t.staff_id WHERE t.token_id = ANY(%(ids)s)"
               " AND t.revoked_at IS NULL AND a.disabled_at IS NULL")
#: The same statement for a caller on a psycopg connection of its own (``ids``: :func:`grant_ids`).
PG_HOLDING = _PG_HOLDING


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(_TOKEN_DOMAIN + token.encode("utf-8")).digest()


def _roles_text(roles: Iterable[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))


def _new_id(conn: Connection, column: ColumnElement[str], prefix: str) -> str:
    """A random id of 8 hex digits (after ``prefix``) not in use yet."""
    for _ in range(16):
        candidate = prefix + secrets.token_hex(4)
        if conn.execute(select(column).where(column == candidate)).first() is None:
            return candidate
    raise RuntimeError("no free id after 16 tries")  # 2**32 ids: not in practice


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _roles_of(stored: object) -> frozenset[Role]:
    """The roles an account's ``roles`` column holds (``_roles_text``'s form)."""
    return frozenset(Role(r) for r in str(stored).split(",") if r)


def _member(row: Mapping[Any, Any]) -> StaffMember:
    roles = _roles_of(row["roles"])
    return StaffMember(str(row["id"]), str(row["name"]), roles, _utc(row["created_at"]),
                       _utc(row["disabled_at"]), _utc(row["locked_until"]))


def _token(row: RowMapping) -> TokenInfo:
    created = _utc(row["created_at"])
    assert created is not None
    return TokenInfo(str(row["token_id"]), str(row["staff_id"]), str(row["label"]), created,
                     _utc(row["revoked_at"]), _utc(row["last_used_at"]))
