"""Staff accounts: passwords hashed, lock-out, disabled accounts, tokens shown once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from cli_run import run_cli
from sanctuarygate.domain.staff import Role
from sanctuarygate.domain.staff import StaffMember as StaffMember_
from sanctuarygate.errors import AuthenticationError, InputError
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.staff import (
    MAX_FAILURES,
    TokenGrant,
    add_staff,
    authenticate_token,
    disable_staff,
    identified_member,
    issue_token,
    lapsed_grants,
    list_staff,
    list_tokens,
    revoke_token,
    set_password,
    sign_in,
)
from sanctuarygate.store.tables import staff_account, staff_token

T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'staff.db'}")
    upgrade(engine)
    return engine


def test_add_and_sign_in(engine: Engine) -> None:
    with engine.begin() as conn:
        member, made = add_staff(conn, "JDoe", ["desk", "reviewer"], at=T0)
    assert made is not None and len(made) >= 16
    assert member.name == "jdoe" and member.roles == {Role.DESK, Role.REVIEWER}
    assert member.actor.startswith("staff:s-") and "jdoe" not in member.actor
    with engine.begin() as conn:
        stored = conn.execute(select(staff_account.c.password_hash)).scalar_one()
        assert made not in stored and stored.startswith("$argon2id$")
        assert sign_in(conn, "jdoe", made).id == member.id


@pytest.mark.parametrize(("name", "roles", "password", "field"), [
    ("x", ["desk"], PASSWORD, "name"),
    ("two words", ["desk"], PASSWORD, "name"),
    ("jdoe", [], PASSWORD, "role"),
    ("jdoe", ["clerk"], PASSWORD, "role"),
    ("jdoe", ["desk"], "short", "password"),
])
def test_bad_accounts_are_refused_naming_the_field(engine: Engine, name: str, roles: list[str],
                                                   password: str, field: str) -> None:
    with engine.begin() as conn, pytest.raises(InputError) as caught:
        add_staff(conn, name, roles, password=password)
    assert caught.value.field == field


def test_a_name_is_taken_once(engine: Engine) -> None:
    with engine.begin() as conn:
        add_staff(conn, "jdoe", ["desk"], password=PASSWORD)
    with engine.begin() as conn, pytest.raises(InputError, match="already an account"):
        add_staff(conn, "JDOE", ["auditor"], password=PASSWORD)


def _fail(engine: Engine, name: str, at: dt.datetime) -> str:
    with engine.begin() as conn:  # the failure is counted: the transaction commits
        try:
            sign_in(conn, name, "wrong password!", at=at)
        except AuthenticationError as exc:
            return exc.reason
    raise AssertionError("a wrong password signed in")


def test_lock_out_after_repeated_failures_then_expiry(engine: Engine) -> None:
    with engine.begin() as conn:
        add_staff(conn, "jdoe", ["desk"], password=PASSWORD)
    reasons = [_fail(engine, "jdoe", T0) for _ in range(MAX_FAILURES)]
    assert reasons == ["unknown"] * MAX_FAILURES
    with engine.begin() as conn, pytest.raises(AuthenticationError) as caught:
        sign_in(conn, "jdoe", PASSWORD, at=T0 + dt.timedelta(minutes=1))  # right password, locked
    assert caught.value.reason == "locked" and "locked until 09:15" in str(caught.value)
    with engine.begin() as conn:
        assert sign_in(conn, "jdoe", PASSWORD, at=T0 + dt.timedelta(minutes=16)).name == "jdoe"
    with engine.begin() as conn:  # a success cleared the count
        row = conn.execute(select(staff_account.c.failed_sign_ins)).scalar_one()
    assert row == 0


def test_unknown_name_and_wrong_password_look_the_same(engine: Engine) -> None:
    with engine.begin() as conn:
        add_staff(conn, "jdoe", ["desk"], password=PASSWORD)
    messages = set()
    for name in ("jdoe", "nobody", "not a name"):
        with engine.begin() as conn, pytest.raises(AuthenticationError) as caught:
            sign_in(conn, name, "wrong password!")
        messages.add((str(caught.value), caught.value.reason))
    assert messages == {("wrong name or password", "unknown")}


def test_disabled_accounts_and_their_tokens_stop(engine: Engine) -> None:
    with engine.begin() as conn:
        add_staff(conn, "jdoe", ["records"], password=PASSWORD)
        issued = issue_token(conn, "jdoe", "nightly export")
    with engine.begin() as conn:
        assert authenticate_token(conn, issued.token).name == "jdoe"
        disable_staff(conn, "jdoe")
    for attempt in (lambda c: sign_in(c, "jdoe", PASSWORD),
                    lambda c: authenticate_token(c, issued.token)):
        with engine.begin() as conn, pytest.raises(AuthenticationError) as caught:
            attempt(conn)
        assert caught.value.reason == "disabled"
    with engine.begin() as conn:
        assert list_staff(conn)[0].disabled


def test_tokens_are_shown_once_stored_hashed_and_revocable(engine: Engine) -> None:
    with engine.begin() as conn:
        add_staff(conn, "jdoe", ["auditor"], password=PASSWORD)
        issued = issue_token(conn, "jdoe")
    assert issued.token.startswith(f"sgs_{issued.token_id}_") and issued.token not in repr(issued)
    with engine.begin() as conn:
        stored = conn.execute(select(staff_token.c.secret_hash)).scalar_one()
        assert issued.token.encode() not in bytes(stored)
        tampered = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
        for bad, reason in ((None, "missing"), ("hunter2", "malformed"), (tampered, "unknown")):
            with pytest.raises(AuthenticationError) as caught:
                authenticate_token(conn, bad)
            assert caught.value.reason == reason
        revoke_token(conn, issued.token)  # by the whole token: the id is taken from it
        with pytest.raises(AuthenticationError, match="revoked"):
            authenticate_token(conn, issued.token)
        with pytest.raises(InputError, match="already revoked"):
            revoke_token(conn, issued.token_id)


def test_a_token_use_is_noted_at_most_once_a_minute(engine: Engine) -> None:
    # A script recording a decision a second must not make each request a write of its own.
    with engine.begin() as conn:
        add_staff(conn, "clerk", ["desk"], password=PASSWORD)
        issued = issue_token(conn, "clerk")
    for seconds, noted in ((0, 0), (30, 0), (59, 0), (60, 60), (61, 60), (-3600, -3600)):
        with engine.begin() as conn:
            authenticate_token(conn, issued.token, at=T0 + dt.timedelta(seconds=seconds))
            assert list_tokens(conn)[0].last_used_at == T0 + dt.timedelta(seconds=noted), seconds


def test_set_password_clears_a_lock(engine: Engine) -> None:
    with engine.begin() as conn:
        add_staff(conn, "jdoe", ["desk"], password=PASSWORD)
    for _ in range(MAX_FAILURES):
        _fail(engine, "jdoe", dt.datetime.now(dt.UTC))
    with engine.begin() as conn:
        set_password(conn, "jdoe", "another long passphrase")
        assert sign_in(conn, "jdoe", "another long passphrase").name == "jdoe"


def test_the_identity_providers_sign_in_finds_an_enabled_account(engine: Engine) -> None:
    """``identified_member``: the provider said who it is; the account and roles are ours."""
    with engine.begin() as conn:
        kim, made = add_staff(conn, "Kim@City.example", ["auditor"], no_password=True, at=T0)
        add_staff(conn, "jdoe", ["desk"], password=PASSWORD, at=T0)
    assert made is None and kim.name == "kim@city.example"
    with engine.begin() as conn:
        assert identified_member(conn, " KIM@city.example ").roles == {Role.AUDITOR}
        for guess in ("", "!no-password", PASSWORD):  # no password opens it
            with pytest.raises(AuthenticationError):
                sign_in(conn, kim.name, guess, at=T0)
        for _ in range(MAX_FAILURES):  # a lock-out guards the password only
            with pytest.raises(AuthenticationError):
                sign_in(conn, "jdoe", "not the password", at=T0)
        with pytest.raises(AuthenticationError, match="locked"):
            sign_in(conn, "jdoe", PASSWORD, at=T0)
        assert identified_member(conn, "jdoe").name == "jdoe"
        for name in ("nobody", "<script>", "", "s-0a1b2c3d"):
            with pytest.raises(AuthenticationError) as caught:
                identified_member(conn, name)
            assert caught.value.reason == "unknown"
        disable_staff(conn, "jdoe", at=T0)
        with pytest.raises(AuthenticationError) as caught:
            identified_member(conn, "jdoe")
        assert caught.value.reason == "disabled"
        with pytest.raises(InputError) as refused:
            add_staff(conn, "ann", ["desk"], password=PASSWORD, no_password=True)
        assert refused.value.field == "password"
        set_password(conn, kim.name, PASSWORD)  # a password later, if the city wants
        assert sign_in(conn, kim.name, PASSWORD, at=T0).id == kim.id


def test_cli_add_prints_the_password_once_and_it_signs_in(tmp_path: Path) -> None:
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(tmp_path)}

    def sg(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(["staff", *args], stdin=stdin, env=env)

    added = sg("add", "jdoe", "--role", "desk", "--role", "reviewer")
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip().splitlines()[-1]
    assert sg("add", "jdoe", "--role", "desk").returncode == 2
    assert sg("add", "kim", "--role", "janitor").returncode == 2
    assert sg("add", "kim", "--role", "auditor", "--password-stdin",
              stdin=PASSWORD + "\n").returncode == 0
    listed = sg("list").stdout
    assert "jdoe" in listed and "desk,reviewer" in listed and password not in listed
    token = sg("token", "issue", "kim").stdout.strip().splitlines()[-1]
    engine = make_engine(f"sqlite:///{tmp_path / 'sanctuarygate.db'}")
    with engine.begin() as conn:
        assert sign_in(conn, "jdoe", password).has(Role.REVIEWER)
        assert authenticate_token(conn, token).name == "kim"
    oidc = sg("add", "ann@city.example", "--role", "desk", "--oidc-only")
    assert oidc.returncode == 0, oidc.stderr
    assert "identity provider" in oidc.stdout.splitlines()[-1]  # and no password printed
    assert sg("disable", "kim").returncode == 0
    with engine.begin() as conn, pytest.raises(AuthenticationError):
        authenticate_token(conn, token)


def test_a_token_is_checked_on_each_backend_in_autocommit_or_a_transaction(
        db_engine: Engine) -> None:
    """The token check as a recorded request makes it (one statement, in autocommit; sent to
    psycopg itself on PostgreSQL) and inside a transaction: the account and its roles; then a
    revoked token and a disabled account's token are refused on their next use."""
    upgrade(db_engine)
    with db_engine.begin() as conn:
        add_staff(conn, "clerk", ["desk", "reviewer"], password=PASSWORD)
        add_staff(conn, "other", ["desk"], password=PASSWORD)
        kept, revoked = issue_token(conn, "clerk"), issue_token(conn, "clerk")
        disabled = issue_token(conn, "other")
    for token in (kept, revoked, disabled):
        with db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            member = authenticate_token(conn, token.token, at=T0)
        assert member.roles == ({Role.DESK} if token is disabled else {Role.DESK, Role.REVIEWER})
    with db_engine.begin() as conn:
        assert authenticate_token(conn, kept.token).name == "clerk"
        revoke_token(conn, revoked.token)
        disable_staff(conn, "other")
    for token, reason in ((revoked, "revoked"), (disabled, "disabled"),
                          (kept.token[:-1] + ("A" if kept.token[-1] != "A" else "B"), "unknown")):
        with db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, \
                pytest.raises(AuthenticationError) as caught:
            authenticate_token(conn, token if isinstance(token, str) else token.token)
        assert caught.value.reason == reason
    with db_engine.connect() as conn:
        assert {t.token_id: t.last_used_at for t in list_tokens(conn)}[disabled.token_id] == T0


def test_a_grant_lapses_with_its_token_its_account_or_its_roles(db_engine: Engine) -> None:
    """``lapsed_grants``: one statement in the caller's transaction; a grant holds while its
    token is not revoked and its account is there, enabled, with the same roles."""
    upgrade(db_engine)
    with db_engine.begin() as conn:
        kept, _ = add_staff(conn, "kept", ["desk"], password=PASSWORD)
        gone, _ = add_staff(conn, "gone", ["desk"], password=PASSWORD)
        moved, _ = add_staff(conn, "moved", ["desk", "reviewer"], password=PASSWORD)
        tokens = {name: issue_token(conn, name).token
                  for name in ("kept", "gone", "moved")}
        revoked = issue_token(conn, "kept", "revoked").token
    grants = {name: TokenGrant.of(token, member) for (name, token), member in
              zip(tokens.items(), (kept, gone, moved), strict=True)}
    grants["revoked"] = TokenGrant.of(revoked, kept)
    grants["unknown"] = TokenGrant("00000000", kept.roles)
    grants["claims more"] = TokenGrant(grants["kept"].token_id, frozenset({Role.DESK, Role.ADMIN}))
    with db_engine.begin() as conn:
        assert lapsed_grants(conn, set(grants.values())) == {
            grants["unknown"], grants["claims more"]}
        assert lapsed_grants(conn, set()) == set()
        revoke_token(conn, revoked)
        disable_staff(conn, "gone")
        conn.execute(update(staff_account).where(staff_account.c.id == moved.id)
                     .values(roles="reviewer"))
        assert lapsed_grants(conn, {grants["kept"], grants["gone"], grants["moved"],
                                    grants["revoked"]}) == {
            grants["gone"], grants["moved"], grants["revoked"]}
        # a role written by hand that this version does not know: that grant lapses, alone
        conn.execute(update(staff_account).where(staff_account.c.id == moved.id)
                     .values(roles="desk,superuser"))
        assert lapsed_grants(conn, {grants["kept"], grants["moved"]}) == {grants["moved"]}


def test_a_grant_is_read_off_an_accepted_token_only() -> None:
    member = StaffMember_("s-0a1b2c3d", "jdoe", frozenset({Role.DESK}))
    with pytest.raises(InputError, match="malformed"):
        TokenGrant.of("hunter2", member)
