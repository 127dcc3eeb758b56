"""Agency keys: issue, authenticate, record each use, revoke; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import Engine, inspect, select, text

from sanctuarygate.errors import (
    AgencyKeyRevokedError,
    AuthenticationError,
    InputError,
    UnknownAgencyError,
    UnknownAgencyKeyError,
)
from sanctuarygate.gateway.keys import issue_key, record_key_use, revoke_key
from sanctuarygate.store.credential import (
    IssuedKey,
    KeyInfo,
    authenticate,
    key_hash,
    list_keys,
    require_agency,
)
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.log import entries, tree_size
from sanctuarygate.store.tables import agency_key

KEY_FORMAT = re.compile(r"sgk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")
T0 = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)


def _issue(engine: Engine, agency: str = "FBI", label: str = "records unit") -> IssuedKey:
    with engine.begin() as conn:
        return issue_key(conn, agency, label, at=T0)


def _log(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [json.loads(e.body) for e in entries(conn, 0, tree_size(conn))]


def _secret(issued: IssuedKey) -> str:
    return issued.key.split("_", 2)[2]


def test_key_format_and_stored_row(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    assert KEY_FORMAT.fullmatch(issued.key)
    assert issued.key.startswith(f"sgk_{issued.info.key_id}_")
    assert issued.info == KeyInfo(issued.info.key_id, "FBI", "records unit", T0)
    with db_engine.connect() as conn:
        (row,) = conn.execute(select(agency_key)).mappings()
    assert bytes(row["secret_hash"]) == key_hash(issued.key)
    assert row["revoked_at"] is None and row["last_used_at"] is None
    assert _issue(db_engine).key != issued.key


def test_issue_and_revoke_are_logged_without_the_key(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    with db_engine.begin() as conn:
        revoke_key(conn, issued.info.key_id, at=T0 + dt.timedelta(days=1))
    assert _log(db_engine) == [
        {"v": 1, "kind": "key-issue", "time": "2025-11-03T09:30:00Z",
         "key_id": issued.info.key_id, "agency": "FBI"},
        {"v": 1, "kind": "key-revoke", "time": "2025-11-04T09:30:00Z",
         "key_id": issued.info.key_id, "agency": "FBI"}]


def test_authenticate_then_record_use(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    used = T0 + dt.timedelta(hours=2)
    with db_engine.begin() as conn:
        info = authenticate(conn, issued.key)
        index = record_key_use(conn, info, what="POST /api/v1/query", at=used)
    assert info == issued.info
    with db_engine.connect() as conn:
        (listed,) = list_keys(conn)
    assert listed.last_used_at == used and listed.revoked_at is None
    log = _log(db_engine)
    assert index == len(log) - 1
    assert log[index] == {"v": 1, "kind": "key-use", "time": "2025-11-03T11:30:00Z",
                          "key_id": info.key_id, "agency": "FBI", "what": "POST /api/v1/query"}


def test_use_rolls_back_with_the_work_it_guards(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    size = len(_log(db_engine))
    with pytest.raises(RuntimeError), db_engine.begin() as conn:
        record_key_use(conn, authenticate(conn, issued.key), what="POST /api/v1/query")
        raise RuntimeError("the query failed")
    assert len(_log(db_engine)) == size
    with db_engine.connect() as conn:
        assert list_keys(conn)[0].last_used_at is None


def _wrong_secret(issued: IssuedKey) -> str:
    secret = _secret(issued)
    return issued.key[: -len(secret)] + ("A" if secret[0] != "A" else "B") + secret[1:]


def _unknown_id(issued: IssuedKey) -> str:
    other = "0" * 8 if issued.info.key_id != "0" * 8 else "1" * 8
    return f"sgk_{other}_{_secret(issued)}"


@pytest.mark.parametrize(("make", "reason", "needle"), [
    (lambda k: None, "missing", "no API key"),
    (lambda k: "   ", "missing", "no API key"),
    (lambda k: "hunter2", "malformed", "malformed API key"),
    (lambda k: k.key + "x", "malformed", "malformed API key"),
    (lambda k: k.key.replace("sgk_", "sgx_"), "malformed", "malformed API key"),
    (lambda k: k.key.upper(), "malformed", "malformed API key"),
    (_wrong_secret, "unknown", "unknown API key"),
    (_unknown_id, "unknown", "unknown API key"),
], ids=["none", "blank", "not-a-key", "too-long", "wrong-prefix", "upper-case-id",
        "wrong-secret", "unknown-key-id"])
def test_unusable_keys_are_refused_with_a_reason(db_engine: Engine, make, reason: str,  # type: ignore[no-untyped-def]
                                                  needle: str) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    presented = make(issued)
    with pytest.raises(AuthenticationError) as caught, db_engine.connect() as conn:
        authenticate(conn, presented)
    assert caught.value.reason == reason
    assert needle in str(caught.value)
    assert _secret(issued) not in str(caught.value)


def test_revoked_key_is_refused(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued, other = _issue(db_engine), _issue(db_engine, "ISP")
    with db_engine.begin() as conn:
        revoked = revoke_key(conn, issued.info.key_id, at=T0 + dt.timedelta(days=1))
    assert revoked.revoked and revoked.revoked_at == T0 + dt.timedelta(days=1)
    with pytest.raises(AuthenticationError) as caught, db_engine.connect() as conn:
        authenticate(conn, issued.key)
    assert caught.value.reason == "revoked"
    assert "revoked API key" in str(caught.value) and "2025-11-04 09:30 UTC" in str(caught.value)
    with db_engine.connect() as conn:
        assert authenticate(conn, other.key).agency_id == "ISP"  # only that key is revoked


def test_revoked_status_is_told_only_to_the_holder_of_the_secret(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    with db_engine.begin() as conn:
        revoke_key(conn, issued.info.key_id)
    with pytest.raises(AuthenticationError) as caught, db_engine.connect() as conn:
        authenticate(conn, _wrong_secret(issued))
    assert caught.value.reason == "unknown"


def test_use_after_revocation_is_refused_and_not_logged(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    with db_engine.connect() as conn:
        info = authenticate(conn, issued.key)
    with db_engine.begin() as conn:
        revoke_key(conn, info.key_id)
    size = len(_log(db_engine))
    with pytest.raises(AuthenticationError) as caught, db_engine.begin() as conn:
        record_key_use(conn, info, what="GET /api/v1/query")
    assert caught.value.reason == "revoked"
    assert len(_log(db_engine)) == size


def test_revoke_unknown_or_twice_is_an_input_error(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    with pytest.raises(UnknownAgencyKeyError), db_engine.begin() as conn:
        revoke_key(conn, "0badc0de" if issued.info.key_id != "0badc0de" else "0badc0df")
    with pytest.raises(UnknownAgencyKeyError), db_engine.begin() as conn:
        revoke_key(conn, "not hex")
    with db_engine.begin() as conn:
        assert revoke_key(conn, issued.key).key_id == issued.info.key_id  # a whole key works too
    with pytest.raises(AgencyKeyRevokedError) as caught, db_engine.begin() as conn:
        revoke_key(conn, issued.info.key_id)
    assert "already revoked" in str(caught.value)


def test_unknown_agency_gets_no_key(db_engine: Engine) -> None:
    upgrade(db_engine)
    with pytest.raises(UnknownAgencyError), db_engine.begin() as conn:
        issue_key(conn, "NOBODY", "x")
    with pytest.raises(InputError, match="label"), db_engine.begin() as conn:
        issue_key(conn, "FBI", "x" * 201)
    with db_engine.connect() as conn:
        assert list_keys(conn) == []
        assert tree_size(conn) == 0


def test_list_keys_by_agency(db_engine: Engine) -> None:
    upgrade(db_engine)
    a, b, c = _issue(db_engine, "FBI", "a"), _issue(db_engine, "ISP", "b"), _issue(db_engine, "FBI")
    with db_engine.connect() as conn:
        assert {k.key_id for k in list_keys(conn)} == {a.info.key_id, b.info.key_id, c.info.key_id}
        assert {k.key_id for k in list_keys(conn, agency_id="FBI")} == {a.info.key_id, c.info.key_id}


def test_the_key_is_nowhere_in_the_database(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    with db_engine.begin() as conn:
        record_key_use(conn, authenticate(conn, issued.key), what="POST /api/v1/query")
    secret = _secret(issued)
    needles = [secret, issued.key, secret[:16]]
    tables = inspect(db_engine).get_table_names()
    assert "agency_key" in tables and "log_entry" in tables
    with db_engine.connect() as conn:
        for table in tables:
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    blob = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    for needle in needles:
                        assert needle.encode() not in blob, f"{table} holds the key"
    assert all(secret not in json.dumps(e) for e in _log(db_engine))


def test_what_may_not_carry_a_key(db_engine: Engine) -> None:
    upgrade(db_engine)
    issued = _issue(db_engine)
    with pytest.raises(ValueError), db_engine.begin() as conn:
        record_key_use(conn, issued.info, what=f"GET /x?key={issued.key}")


def test_require_agency() -> None:
    info = KeyInfo("0a1b2c3d", "ICE-HSI", "", T0)
    assert require_agency(info, None) is info and require_agency(info, "ICE-HSI") is info
    for claimed in ("ICE", "ICE-ERO", "ice-hsi"):  # not the parent, a sibling, another spelling
        with pytest.raises(AuthenticationError) as caught:
            require_agency(info, claimed)
        assert caught.value.reason == "wrong-agency"
