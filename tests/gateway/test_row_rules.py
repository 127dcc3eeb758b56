"""Row rules: a pack's ``rows-where`` obligation becomes SQL WHERE, on SQLite and PostgreSQL.

No shipped pack needs a row rule (REFERENCE.md has no row-level rule in force), so these tests
add a small pack of their own to a copy of the shipped packs.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, select

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.errors import PolicyEvaluationError, PolicyLoadError
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.plan import Plan, parse_spec, plan_query
from sanctuarygate.gateway.records import view_of
from sanctuarygate.gateway.stream import rows
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.settings import PACKAGE_PACKS, Settings
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web.app import create_app

with warnings.catch_warnings():  # Starlette's TestClient warns about httpx (see tests/web)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DAY = dt.date(2025, 11, 22)
MANIFEST = {"id": "test-rows", "title": "Test row rules", "jurisdiction": "chicago",
            "kind": "ordinance", "version": "1", "effective_from": dt.date(2020, 1, 1),
            "effective_until": None, "confidence": "C", "sources": ["tests"]}


def _library(tmp_path: Path, obligations: str, *, dataset: str = "cpd-warrants") -> PolicyLibrary:
    packs = tmp_path / "packs"
    shutil.copytree(PACKAGE_PACKS, packs)
    pack = packs / "test-rows"
    pack.mkdir()
    (pack / "manifest.yaml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
    (pack / "rules.cedar").write_text(
        '@id("test-rows/only-some-rows")\n@citation("test")\n@summary("Test: a row rule.")\n'
        f'@obligations("{obligations}")\n'
        'permit (principal == Agency::"FBI", action == Action::"query-dataset", '
        f'resource == Dataset::"{dataset}");\n', encoding="utf-8")
    profiles = packs / "profiles.yaml"
    data = yaml.safe_load(profiles.read_text(encoding="utf-8"))
    data["profiles"]["chicago"]["packs"].append("test-rows")
    profiles.write_text(yaml.safe_dump(data), encoding="utf-8")
    return PolicyLibrary.load(packs, Settings().pack_dates())


PlanFor = Callable[..., Plan]


@pytest.fixture
def plan_for(tmp_path: Path) -> PlanFor:
    def make(obligations: str, dataset: str = "cpd-warrants", **body: Any) -> Plan:
        lib = _library(tmp_path / obligations.replace(" ", "_").replace(",", "+"), obligations,
                       dataset=dataset)
        spec = parse_spec({"dataset": dataset, "purpose": "criminal-investigation",
                           "limit": 100_000, **body}, lib.catalog)
        return plan_query(Decider(lib, cache_size=0), spec, agency="FBI", profile="chicago",
                          day=DAY)
    return make


def _count(engine: Engine, dataset: Any, where: Any = None) -> int:
    view = view_of(dataset)
    query = select(func.count()).select_from(view)
    if where is not None:
        query = query.where(where(view))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_row_rule_is_in_the_plan_and_not_a_term(plan_for: PlanFor) -> None:
    plan = plan_for("rows-where=status eq active")
    assert plan.decision.outcome == "allow-with-conditions"
    assert [r.to_dict() for r in plan.row_rules] == [
        {"field": "status", "op": "eq", "value": "active", "rule": "test-rows/only-some-rows"}]
    assert plan.to_dict()["row_rules"][0]["rule"] == "test-rows/only-some-rows"
    assert "rows-where" not in {t.kind for t in plan.terms}


def test_only_matching_rows_are_read(db_engine: Engine, plan_for: PlanFor) -> None:
    generate(db_engine, 400, seed=5)
    plan = plan_for("rows-where=status eq active")
    got = list(rows(db_engine, plan, b"k" * 32))
    active = _count(db_engine, plan.dataset, lambda v: v.c.status == "active")
    assert 0 < active < _count(db_engine, plan.dataset)
    assert len(got) == active and {r["status"] for r in got} == {"active"}


def test_row_rule_and_client_filter_both_apply(db_engine: Engine, plan_for: PlanFor) -> None:
    generate(db_engine, 400, seed=5)
    plan = plan_for("rows-where=warrant_id le 150",
                    filters=[{"field": "status", "op": "in", "value": ["served", "recalled"]}])
    got = list(rows(db_engine, plan, b"k" * 32))
    expected = _count(db_engine, plan.dataset, lambda v: (v.c.warrant_id <= 150)
                      & v.c.status.in_(["served", "recalled"]))
    assert got and len(got) == expected
    assert all(r["warrant_id"] <= 150 and r["status"] != "active" for r in got)


def test_in_rule_with_several_values(db_engine: Engine, plan_for: PlanFor) -> None:
    generate(db_engine, 200, seed=6)
    plan = plan_for("rows-where=status in served,recalled")
    got = list(rows(db_engine, plan, b"k" * 32))
    assert got and {r["status"] for r in got} <= {"served", "recalled"}


def test_a_date_row_rule_compares_dates(db_engine: Engine, plan_for: PlanFor) -> None:
    """A date column is compared as a date on both engines (not as text, not refused mid-way)."""
    generate(db_engine, 400, seed=8)
    plan = plan_for("rows-where=issued_on ge 2020-01-01")
    assert plan.row_rules[0].filter.value == dt.date(2020, 1, 1)
    got = list(rows(db_engine, plan, b"k" * 32))
    expected = _count(db_engine, plan.dataset, lambda v: v.c.issued_on >= dt.date(2020, 1, 1))
    assert 0 < expected < _count(db_engine, plan.dataset)
    assert len(got) == expected and min(r["issued_on"] for r in got) >= "2020-01-01"
    assert plan.to_dict()["row_rules"][0]["value"] == "2020-01-01"


@pytest.mark.parametrize("obligations", ["rows-where=shoe_size eq 9",
                                         "rows-where=warrant_id lt many",
                                         "rows-where=issued_on ge someday",
                                         "rows-where=issued_on in 2020-01-01,2020-13-01",
                                         "rows-where=warrant_id prefix 1"])
def test_a_row_rule_the_dataset_cannot_take_releases_nothing(plan_for: PlanFor,
                                                             obligations: str) -> None:
    with pytest.raises(PolicyEvaluationError, match="nothing is released"):
        plan_for(obligations)


@pytest.mark.parametrize("obligations", ["rows-where=status", "rows-where=status like act%",
                                         "rows-where=status eq a,b", "rows-where=status is-null x"])
def test_bad_row_rule_syntax_fails_at_load(tmp_path: Path, obligations: str) -> None:
    with pytest.raises(PolicyLoadError, match="rows-where needs FIELD OP"):
        _library(tmp_path, obligations)


def test_over_http_the_row_rule_applies_and_is_logged(db_engine: Engine, tmp_path: Path) -> None:
    generate(db_engine, 300, seed=7)
    log_engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(log_engine)
    log = DecisionLog(log_engine, origin="test.example/rows", data_dir=tmp_path / "data")
    with log_engine.begin() as conn:
        key = issue_key(conn, "FBI", "rows test").key
    app = create_app(decider=Decider(_library(tmp_path, "rows-where=status eq active")), log=log,
                     records=db_engine)
    r = TestClient(app).post("/api/v1/query", headers={"Authorization": f"Bearer {key}"}, json={
        "dataset": "cpd-warrants", "purpose": "criminal-investigation", "limit": 1000})
    assert r.status_code == 200, r.text
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert lines[-1]["_trailer"]["rows"] == len(lines) - 1 > 0
    assert {row["status"] for row in lines[:-1]} == {"active"}
    entry = json.loads(log.entries(int(r.headers["X-Log-Index"]),
                                   int(r.headers["X-Log-Index"]) + 1)[0].body)
    assert entry["row_rules"] == [{"field": "status", "op": "eq", "value": "active",
                                   "rule": "test-rows/only-some-rows"}]
    log_engine.dispose()
