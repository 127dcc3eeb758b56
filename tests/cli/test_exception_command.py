"""``sanctuarygate case exception grant|approve|list`` on SQLite and PostgreSQL: a grant is an
``exception`` log entry whose actor is the token's pseudonymous id; turning the rules' deny into
an allow waits for another reviewer; an expired exception is listed as not in force; a role
that may not act is refused in one line and nothing is written.

Each command runs through ``run()`` in this process (the exit codes and one-line errors of the
real command), against a data dir (or PostgreSQL schema) of its own. Time is injected by
granting through the library with ``at=`` in the past: nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from sanctuarygate.audit.default import default_log
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.cli import main
from sanctuarygate.domain.case import parse_exception
from sanctuarygate.domain.request import parse_request
from sanctuarygate.domain.staff import Role
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.exception import grant_exception
from sanctuarygate.review.queue import case_decision
from sanctuarygate.store import case as store
from sanctuarygate.store.staff import add_staff, issue_token
from sanctuarygate.web.signin_roles import (
    ACTIONS,
    DECIDE_REVIEW,
    GRANT_EXCEPTION,
    READ_CASES,
    READ_EXCEPTIONS,
    RECORD_DECISION,
    SCOPES,
)

PG_URL = os.environ.get("SANCTUARYGATE_TEST_POSTGRES_URL")  # as tests/conftest.py reads it
CLAUSE = "Emergency powers, MCC 2-4-160"
#: The FBI asks to take custody on a warrant not yet verified: the rules leave it to review.
SPLIT = {"profile": "chicago", "date": "2025-11-03", "principal": {"agency": "FBI"},
         "action": "transfer-custody", "resource": {"type": "Person", "in_custody": True},
         "context": {"purpose": "criminal-investigation",
                     "document": {"kind": "federal-criminal-warrant", "verified": "unknown"}}}
#: ICE asks to hold a person on a detainer: the rules deny.
DENIED = {"profile": "chicago", "date": "2025-11-03", "principal": {"agency": "ICE-ERO"},
          "action": "honor-detainer", "resource": {"type": "Person", "in_custody": True},
          "context": {"purpose": "civil-immigration-enforcement",
                      "document": {"kind": "detainer", "verified": True}}}


@dataclass(frozen=True)
class Staff:
    actor: str
    token: str


@dataclass(frozen=True)
class Database:
    """One database per backend for this module, with its staff; each test opens its cases."""

    env: dict[str, str]
    log: DecisionLog
    first: Staff  # reviewer
    second: Staff  # reviewer
    desk: Staff
    auditor: Staff


@dataclass(frozen=True)
class City:
    log: DecisionLog
    first: Staff
    second: Staff
    desk: Staff
    auditor: Staff
    split_case: int  # the rules leave it to review
    denied_case: int  # the rules deny


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path_factory.mktemp("exception") / "data")}
    schema = None
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("SANCTUARYGATE_TEST_POSTGRES_URL is not set (make test and CI set it)")
        schema = f"sg_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        env["SANCTUARYGATE_DATABASE_URL"] = f"{PG_URL}?options=-csearch_path%3D{schema}"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        if schema is None:
            patch.delenv("SANCTUARYGATE_DATABASE_URL", raising=False)
        log = default_log()  # the log the commands open: same settings, migrated
    people: list[Staff] = []
    with log.engine.begin() as conn:
        for name, role in (("grace", "reviewer"), ("hopper", "reviewer"), ("clerk", "desk"),
                           ("oversight", "auditor")):
            member, _ = add_staff(conn, name, [role])
            people.append(Staff(member.actor, issue_token(conn, name).token))
    try:
        yield Database(env, log, *people)
    finally:
        log.engine.dispose()
        if schema is not None and PG_URL:
            admin = create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def city(database: Database, monkeypatch: pytest.MonkeyPatch) -> City:
    """The module's database as the commands see it, with two new cases opened at the desk."""
    for key, value in database.env.items():
        monkeypatch.setenv(key, value)
    if "SANCTUARYGATE_DATABASE_URL" not in database.env:
        monkeypatch.delenv("SANCTUARYGATE_DATABASE_URL", raising=False)
    monkeypatch.delenv("SANCTUARYGATE_STAFF_TOKEN", raising=False)
    monkeypatch.delenv("SANCTUARYGATE_EXCEPTION_SECOND_APPROVER", raising=False)
    cases = []
    with database.log.engine.begin() as conn:
        for asked in (SPLIT, DENIED):
            parsed = parse_request(asked)
            cases.append(store.open_case(
                conn, parsed.to_dict(), case_decision(default_decider().decide(parsed)),
                agency=parsed.principal.id, log_index=None, source="desk",
                actor=database.desk.actor))
    return City(database.log, database.first, database.second, database.desk, database.auditor,
                *cases)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def sg(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
       as_: Staff | None = None) -> Ran:
    """``sanctuarygate case exception ARGS`` in this process, with ``as_``'s staff token."""
    if as_ is None:
        monkeypatch.delenv("SANCTUARYGATE_STAFF_TOKEN", raising=False)
    else:
        monkeypatch.setenv("SANCTUARYGATE_STAFF_TOKEN", as_.token)
    monkeypatch.setattr(sys, "argv", ["sanctuarygate", "case", "exception", *args])
    with pytest.raises(SystemExit) as ended:
        main.run()
    out, err = capsys.readouterr()
    return Ran(int(ended.value.code or 0), out, err)


def _entry(log: DecisionLog, index: int) -> dict[str, Any]:
    return dict(json.loads(log.entries(index, index + 1)[0].body))


def _listed(ran: Ran, city: City) -> dict[int, str]:
    """Exception id -> its status, from ``list``'s lines about this test's cases."""
    assert ran.code == 0, ran.err
    mine = {f"case {city.split_case}", f"case {city.denied_case}"}
    rows = [line.split("\t") for line in ran.out.splitlines()]
    return {int(row[0]): row[2] for row in rows if row[1] in mine}


def test_a_grant_is_an_exception_entry_with_the_pseudonymous_actor(
        city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    token_file = tmp_path / "grace.token"
    token_file.write_text(city.first.token + "\n")
    size = city.log.size()
    ran = sg(monkeypatch, capsys, "grant", str(city.split_case), "--outcome",
             "allow-with-conditions", "--condition", "purpose-limit", "--clause", CLAUSE,
             "--reason", "Grace checked the warrant with the court clerk.", "--hours", "4",
             "--json", "--token-file", str(token_file))
    assert ran.code == 0, ran.err
    granted = json.loads(ran.out)
    assert city.log.size() == size + 1 and granted["log_index"] == size
    entry = _entry(city.log, granted["log_index"])
    assert entry["kind"] == "exception" and entry["actor"] == city.first.actor
    assert entry["actor"].startswith("staff:s-")
    assert (entry["case"], entry["rules_outcome"], entry["outcome"], entry["clause"]) == (
        city.split_case, "review", "allow-with-conditions", CLAUSE)
    assert "grace" not in json.dumps(entry).lower()  # no name, no reason in the public log
    # a review the rules left open needs no second approver: in force at once
    assert (granted["needs_second"], granted["status"]) == (False, "in-force")
    assert _listed(sg(monkeypatch, capsys, "list", "--active", as_=city.auditor), city) == {
        granted["id"]: "in-force"}

    words = sg(monkeypatch, capsys, "grant", str(city.split_case), "--outcome", "deny",
               "--clause", CLAUSE, "--reason", "Withdrawn.", "--hours", "1", as_=city.first)
    assert words.code == 0, words.err
    assert words.out.startswith(f"exception {granted['id'] + 1} on case {city.split_case}: "
                                f"review -> deny on {CLAUSE}, until ")
    assert "not in force yet" not in words.out


def test_turning_a_deny_into_an_allow_waits_for_another_reviewer(
        city: City, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ran = sg(monkeypatch, capsys, "grant", str(city.denied_case), "--outcome", "allow",
             "--clause", CLAUSE, "--reason", "Flood evacuation: the shelter needs the list.",
             "--hours", "6", as_=city.first)
    assert ran.code == 0, ran.err
    exception_id = int(ran.out.split()[1])
    assert f"exception approve {exception_id}" in ran.out  # says it is not in force yet
    assert _listed(sg(monkeypatch, capsys, "list", as_=city.auditor), city) == {
        exception_id: "awaiting-approval"}
    assert _listed(sg(monkeypatch, capsys, "list", "--active", as_=city.first), city) == {}

    size = city.log.size()
    same = sg(monkeypatch, capsys, "approve", str(exception_id), as_=city.first)
    assert same.code == 3 and "another person" in same.err
    assert len(same.err.strip().splitlines()) == 1 and city.log.size() == size
    assert _listed(sg(monkeypatch, capsys, "list", "--active", as_=city.first), city) == {}

    other = sg(monkeypatch, capsys, "approve", str(exception_id), as_=city.second)
    assert other.code == 0, other.err
    assert other.out.startswith(f"exception {exception_id} on case {city.denied_case} approved")
    approval = _entry(city.log, size)
    assert (approval["kind"], approval["actor"], approval["case"]) == (
        "exception-approval", city.second.actor, city.denied_case)
    assert _listed(sg(monkeypatch, capsys, "list", "--active", as_=city.auditor), city) == {
        exception_id: "in-force"}
    twice = sg(monkeypatch, capsys, "approve", str(exception_id), as_=city.first)
    assert twice.code == 3 and "in-force" in twice.err and city.log.size() == size + 1


def test_an_expired_exception_is_listed_as_not_in_force(
        city: City, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    now = dt.datetime.now(dt.UTC)
    grant = parse_exception("deny", [], "Held back during the inquiry.", CLAUSE, 4)
    old = grant_exception(city.log, default_decider(), city.split_case, grant,
                          actor=city.first.actor, at=now - dt.timedelta(hours=5))
    waited = grant_exception(city.log, default_decider(), city.denied_case,
                             parse_exception("allow", [], "Evacuation.", CLAUSE, 2),
                             actor=city.first.actor, at=now - dt.timedelta(hours=3))
    fresh = grant_exception(city.log, default_decider(), city.split_case, grant,
                            actor=city.first.actor, at=now - dt.timedelta(hours=3))
    assert _listed(sg(monkeypatch, capsys, "list", as_=city.auditor), city) == {
        old.id: "expired", waited.id: "expired", fresh.id: "in-force"}
    assert _listed(sg(monkeypatch, capsys, "list", "--active", as_=city.auditor), city) == {
        fresh.id: "in-force"}
    shown = json.loads(sg(monkeypatch, capsys, "list", "--case", str(city.denied_case), "--json",
                          as_=city.auditor).out)
    assert [(x["id"], x["status"]) for x in shown["exceptions"]] == [(waited.id, "expired")]
    size = city.log.size()
    late = sg(monkeypatch, capsys, "approve", str(waited.id), as_=city.second)
    assert late.code == 3 and "expired" in late.err and city.log.size() == size


def test_a_role_that_may_not_act_is_refused_in_one_line(
        city: City, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    grant = ["grant", str(city.split_case), "--outcome", "allow", "--clause", CLAUSE,
             "--reason", "x", "--hours", "2"]
    size = city.log.size()
    for args, who, needs in ((grant, city.desk, "reviewer role"),
                             (grant, city.auditor, "reviewer role"),
                             (["approve", "1"], city.desk, "reviewer role"),
                             (["list"], city.desk, "auditor or reviewer role"),
                             (grant, None, "needs a staff token")):
        before = city.log.size()
        ran = sg(monkeypatch, capsys, *args, as_=who)
        assert ran.code == main.REFUSED, (args, ran)
        assert len(ran.err.strip().splitlines()) == 1 and needs in ran.err, ran.err
        assert ran.out == ""
        logged = [json.loads(e.body) for e in city.log.entries(before, city.log.size())]
        if args[0] == "list":  # reading writes nothing: its refusal is not an attempt to write
            assert logged == []
            continue
        # a refused attempt to write the log is on it, and the one line says where
        (entry,) = logged
        assert entry["kind"] == "auth-failed" and entry["what"].startswith("cli: ")
        assert entry["reason"] == ("missing" if who is None else "role")
        assert f"(log entry {before})" in ran.err
        if who is not None:
            assert entry["key_id"] == who.token[:12] and who.token not in json.dumps(entry)
    size = city.log.size()

    for bad, field in ((["--hours", "48"], "1 to 24 hours"), (["--outcome", "maybe"], "maybe")):
        args = [*grant, *bad]
        ran = sg(monkeypatch, capsys, *args, as_=city.first)
        assert ran.code == main.BAD_INPUT and len(ran.err.strip().splitlines()) == 1, ran
        assert field in ran.err
    unknown = sg(monkeypatch, capsys, "grant", "9999", *grant[2:], as_=city.first)
    assert unknown.code == main.BAD_INPUT and "no case 9999" in unknown.err
    assert sg(monkeypatch, capsys, "approve", "9999", as_=city.first).code == main.BAD_INPUT
    assert city.log.size() == size


def test_docs_roles_lists_each_command_with_the_roles_its_token_needs() -> None:
    """The roles-by-commands table of docs/roles.md says "yes" for exactly the roles of the
    action each command checks (web/signin_roles.py), and lists every exception command."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "roles.md").read_text(encoding="utf-8")
    table = doc.split("## Roles \u00d7 commands")[1].split("\n## ")[0]
    rows = [line.strip("|").split("|") for line in table.splitlines()
            if line.startswith("| `")]
    head = [cell.strip() for cell in table.split("\n| Command |")[1].splitlines()[0]
            .strip("|").split("|")][:-1]
    said = {row[0].strip().strip("`"): {head[i]: cell.strip() for i, cell in enumerate(row[1:-1])}
            for row in rows}
    guards = {"decide FILE --record": RECORD_DECISION,
              "case decide ID [--column C ...]": DECIDE_REVIEW,
              "case exception grant CASE_ID": GRANT_EXCEPTION,
              "case exception approve EXCEPTION_ID": GRANT_EXCEPTION,
              "case exception list [--active] [--case ID]": READ_EXCEPTIONS}
    guards["case list`, `case show ID"] = READ_CASES  # one row, two commands
    for command, action in guards.items():
        # a role scoped to some cases' sources says which ("gateway's only")
        expected = {role.value: ("no" if role not in ACTIONS[action] else
                                 "yes" if role not in SCOPES else
                                 " and ".join(sorted(SCOPES[role])) + "'s only")
                    for role in Role}
        assert said[command] == expected, command
