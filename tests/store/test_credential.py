"""The stored keys alone: insert, revoke, touch and authenticate write no log entry (the
gateway's logged operations do that, tests/gateway/test_keys.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from sanctuarygate.errors import AgencyKeyRevokedError, AuthenticationError, InputError
from sanctuarygate.store.credential import authenticate, insert_key, list_keys, revoke, touch_key
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.log import tree_size

T0 = dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC)


def test_the_stored_key_life_cycle_writes_no_log_entry(db_engine: Engine) -> None:
    upgrade(db_engine)
    with db_engine.begin() as conn:
        issued = insert_key(conn, "FBI", " records unit ", at=T0)
    with db_engine.begin() as conn:
        info = authenticate(conn, issued.key)
        touch_key(conn, info, at=T0 + dt.timedelta(hours=1))
    with db_engine.begin() as conn:
        revoked = revoke(conn, issued.info.key_id, at=T0 + dt.timedelta(days=1))
    with db_engine.connect() as conn:
        (listed,) = list_keys(conn)
        assert tree_size(conn) == 0
    assert info.agency_id == "FBI" and info.label == "records unit"
    assert listed.last_used_at == T0 + dt.timedelta(hours=1)
    assert revoked.revoked_at == T0 + dt.timedelta(days=1)


def test_a_revoked_key_is_neither_touched_nor_revoked_again(db_engine: Engine) -> None:
    upgrade(db_engine)
    with db_engine.begin() as conn:
        issued = insert_key(conn, "DEA", "x")
        info = authenticate(conn, issued.key)
        revoke(conn, issued.key)  # a whole key names its id
    with db_engine.begin() as conn, pytest.raises(AuthenticationError) as caught:
        touch_key(conn, info)
    assert caught.value.reason == "revoked"
    with db_engine.begin() as conn, pytest.raises(AgencyKeyRevokedError):
        revoke(conn, issued.info.key_id)


def test_a_label_is_printable_and_short(db_engine: Engine) -> None:
    upgrade(db_engine)
    with db_engine.begin() as conn, pytest.raises(InputError):
        insert_key(conn, "FBI", "x" * 201)
    with db_engine.begin() as conn, pytest.raises(InputError):
        insert_key(conn, "FBI", "bell\a")
