"""Gateway queries a person decides (``gateway/reviewed.py``), as a library, on SQLite and
PostgreSQL: a ``review`` opens or joins a case; a reviewer releases some columns; the agency's
re-run with the case id receives exactly those; every other re-run is refused and logged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.domain.case import UnknownCaseError, parse_review
from sanctuarygate.errors import InputError
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.plan import SENSITIVE_TAGS, QueryRefusedError
from sanctuarygate.gateway.release import Gateway, Release, release
from sanctuarygate.gateway.reviewed import ReviewReleaseRefusedError
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.queue import decide_case, view_case
from sanctuarygate.store import case as store
from sanctuarygate.store.credential import KeyInfo
from sanctuarygate.store.db import upgrade

#: USSS is a DHS component: its criminal-work query over the data platform goes to a person.
QUERY: dict[str, Any] = {"dataset": "cpd-arrests", "fields": ["*"],
                         "purpose": "criminal-investigation", "limit": 7}
REVIEWER = "staff:s-0000beef"
VIA = "test: reviewed"


@pytest.fixture
def gw(db_engine: Engine, tmp_path: Path) -> Iterator[Gateway]:
    """The log, the cases and the records in one database (SQLite or PostgreSQL)."""
    upgrade(db_engine)
    generate(db_engine, 40, seed=9)
    log = DecisionLog(db_engine, origin="test.example/reviewed", data_dir=tmp_path / "data")
    yield Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data",
                  review_release_hours=72)


def key_of(gw: Gateway, agency: str) -> KeyInfo:
    with gw.log.engine.begin() as conn:
        return issue_key(conn, agency, "reviewed test").info


def entries(gw: Gateway, start: int) -> list[dict[str, Any]]:
    return [json.loads(e.body) for e in gw.log.entries(start, gw.log.size())]


def refused(gw: Gateway, key: KeyInfo, body: dict[str, Any]) -> QueryRefusedError:
    with pytest.raises(QueryRefusedError) as info:
        release(gw, key, body, via=VIA)
    return info.value


def decide(gw: Gateway, case_id: int, columns: list[str] | None, outcome: str = "allow",
           conditions: tuple[str, ...] = (), at: dt.datetime | None = None) -> Any:
    clause = view_case(gw.log, gw.decider, case_id).clauses[0]
    answer = parse_review(outcome, list(conditions), "Checked with the records unit.", clause)
    return decide_case(gw.log, gw.decider, case_id, answer, actor=REVIEWER, columns=columns,
                       at=at)


def rows_of(done: Release) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    lines = [json.loads(x) for x in b"".join(done.chunks).decode().splitlines() if x]
    return lines[:-1], lines[-1]["_trailer"]


def test_a_review_opens_a_case_and_the_same_query_joins_it(gw: Gateway) -> None:
    usss = key_of(gw, "USSS")
    first = refused(gw, usss, QUERY)
    assert first.decision is not None and first.decision.outcome == "review"
    assert first.case_id is not None and first.log_index is not None
    assert f'"case_id": {first.case_id}' in str(first)
    with gw.log.engine.connect() as conn:
        case = store.get_case(conn, first.case_id)
    assert (case.source, case.agency, case.log_index) == ("gateway", "USSS", first.log_index)
    offered = case.offered
    assert offered and "charge" in offered
    tags = dict(gw.decider.library.catalog.get("cpd-arrests").fields)
    assert not any(tags[c] & SENSITIVE_TAGS for c in offered)
    assert not {"citizenship", "birthplace", "immigration_status_note"} & set(offered)
    again = refused(gw, usss, QUERY)
    assert again.case_id == first.case_id and again.log_index != first.log_index
    with gw.log.engine.connect() as conn:
        joined = store.get_case(conn, first.case_id)
    assert [(e.what, e.log_index) for e in joined.events] == [
        ("opened", first.log_index), ("joined", again.log_index)]
    other = refused(gw, usss, {**QUERY, "filters": [{"field": "name", "op": "prefix",
                                                     "value": "Quetzalli"}]})
    assert other.case_id not in (None, first.case_id)
    with gw.log.engine.connect() as conn:
        filtered = store.get_case(conn, other.case_id or 0)
    assert filtered.query is not None and filtered.query["filters"] == [
        {"field": "name", "op": "prefix"}]  # the value (a name) only inside the keyed hash
    assert "Quetzalli" not in json.dumps(filtered.to_dict())
    assert "Quetzalli" not in json.dumps(entries(gw, 0))


def test_a_reviewer_cannot_widen_beyond_the_request(gw: Gateway) -> None:
    usss = key_of(gw, "USSS")
    narrow = refused(gw, usss, {**QUERY, "fields": ["arrest_id", "charge", "citizenship"]})
    case_id = narrow.case_id or 0
    for columns, field in [(["name"], "columns"),          # not asked for
                           (["citizenship"], "columns"),   # sensitive: the rules deny it
                           ([], "columns"),                 # an allow releases something
                           (None, "columns")]:
        with pytest.raises(InputError) as info:
            decide(gw, case_id, columns)
        assert info.value.field == field
    with pytest.raises(InputError, match="a deny releases no column"):
        decide(gw, case_id, ["charge"], outcome="deny")
    filtered = refused(gw, usss, {**QUERY, "filters": [{"field": "district", "op": "eq",
                                                        "value": "011"}]})
    with pytest.raises(InputError, match="filters or sorts on 'district'"):
        decide(gw, filtered.case_id or 0, ["charge"])
    with gw.log.engine.connect() as conn:
        assert store.get_case(conn, case_id).waiting  # nothing was recorded
    decided = decide(gw, case_id, ["charge", "arrest_id"])
    assert decided.review.columns == ("arrest_id", "charge")


def test_the_re_run_releases_exactly_the_decided_columns(gw: Gateway) -> None:
    usss = key_of(gw, "USSS")
    case_id = refused(gw, usss, QUERY).case_id or 0
    decided = decide(gw, case_id, ["charge", "district", "arrest_date"],
                     outcome="allow-with-conditions", conditions=("no-onward-sharing",))
    before = gw.log.size()
    done = release(gw, usss, {**QUERY, "case_id": case_id}, via=VIA)
    rows, trailer = rows_of(done)
    assert len(rows) == 7 == trailer["rows"]
    assert all(set(r) == {"charge", "district", "arrest_date", "_wm"} for r in rows)
    assert {"kind": "no-onward-sharing", "values": [],
            "rule": f"review:{decided.review_index}"} in trailer["terms"]
    query = next(e for e in entries(gw, before) if e["kind"] == "query")
    assert (query["status"], query["case"], query["review"]) == (
        "released", case_id, decided.review_index)
    assert set(query["released"]) == {"charge", "district", "arrest_date"}
    review = entries(gw, decided.review_index)[0]
    assert review["kind"] == "review"  # the columns in the catalog's order
    assert review["columns"] == ["charge", "arrest_date", "district"]
    csv = release(gw, usss, {**QUERY, "case_id": case_id, "format": "csv"}, via=VIA)
    assert b"".join(csv.chunks).decode().splitlines()[0] == "charge,arrest_date,district,_wm"


def test_every_mismatch_is_refused_and_logged(gw: Gateway) -> None:
    usss, fema = key_of(gw, "USSS"), key_of(gw, "FEMA")
    case_id = refused(gw, usss, QUERY).case_id or 0
    undecided = {**QUERY, "case_id": case_id}
    with pytest.raises(ReviewReleaseRefusedError, match="no reviewer has decided"):
        release(gw, usss, undecided, via=VIA)
    at = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    decide(gw, case_id, ["charge"], at=at)
    denied = refused(gw, usss, {**QUERY, "limit": 3}).case_id or 0
    decide(gw, denied, None, outcome="deny")
    closed = refused(gw, usss, {**QUERY, "limit": 2}).case_id or 0
    decide(gw, closed, ["charge"])
    with gw.log.engine.begin() as conn:
        store.close_case(conn, closed, actor=REVIEWER)
    within = at + dt.timedelta(hours=71, minutes=59)
    assert rows_of(release(gw, usss, undecided, via=VIA, now=within))[1]["rows"] == 7
    before = gw.log.size()
    attempts: list[tuple[KeyInfo, dict[str, Any], type[Exception], str, dt.datetime]] = [
        (fema, undecided, UnknownCaseError, "no case", within),          # another agency
        (usss, {**QUERY, "case_id": 99999}, UnknownCaseError, "no case", within),
        (usss, {**undecided, "dataset": "cpd-incidents"}, ReviewReleaseRefusedError,
         "not the one reviewed", within),                                   # another dataset
        (usss, {**undecided, "filters": [{"field": "charge", "op": "prefix", "value": "B"}]},
         ReviewReleaseRefusedError, "not the one reviewed", within),        # another filter
        (usss, {**undecided, "fields": ["charge"]}, ReviewReleaseRefusedError,
         "not the one reviewed", within),                                   # other fields
        (usss, {**undecided, "limit": 8}, ReviewReleaseRefusedError, "not the one reviewed",
         within),
        (usss, {**QUERY, "limit": 3, "case_id": denied}, ReviewReleaseRefusedError,
         "denied", within),
        (usss, undecided, ReviewReleaseRefusedError, "expired", at + dt.timedelta(hours=72)),
        (usss, {**QUERY, "limit": 2, "case_id": closed}, ReviewReleaseRefusedError,
         "closed", within),
    ]
    for key, body, error, words, now in attempts:
        with pytest.raises(error, match=words) as info:
            release(gw, key, body, via=VIA, now=now)
        if isinstance(info.value, QueryRefusedError):
            assert info.value.log_index is not None
    logged = [e for e in entries(gw, before) if e["kind"].startswith("query")]
    assert len(logged) == len(attempts)
    assert all(e["status"] == "rejected" and e["released"] == [] for e in logged)
    assert [e["case"] for e in logged] == [b["case_id"] for _, b, _, _, _ in attempts]
    assert {e["error"] for e in logged} == {"UnknownGatewayCaseError",
                                            "ReviewReleaseRefusedError"}


@pytest.mark.parametrize("case_id", ["7", True, 0, -1, 1.5])
def test_a_case_id_that_is_not_a_case_number_is_rejected(gw: Gateway, case_id: Any) -> None:
    usss = key_of(gw, "USSS")
    before = gw.log.size()
    with pytest.raises(InputError) as info:
        release(gw, usss, {**QUERY, "case_id": case_id}, via=VIA)
    assert info.value.field == "case_id"
    assert entries(gw, before)[-1]["status"] == "rejected"


def test_an_allowed_query_with_a_case_id_is_held_to_the_review(gw: Gateway) -> None:
    """The FBI's own query is allowed by the rules; a case of its review (sharing onward with
    TSA) releases on the re-run only the columns decided, not what the rules would give."""
    fbi = key_of(gw, "FBI")
    body = {**QUERY, "onward_recipients": ["TSA"]}
    case_id = refused(gw, fbi, body).case_id or 0
    decide(gw, case_id, ["charge"])
    rows, _ = rows_of(release(gw, fbi, {**body, "case_id": case_id}, via=VIA))
    assert rows and all(set(r) == {"charge", "_wm"} for r in rows)
    with pytest.raises(ReviewReleaseRefusedError):
        release(gw, fbi, {**QUERY, "case_id": case_id}, via=VIA)


ALL_FIELDS = [name for name, _ in default_decider().library.catalog.get("cpd-arrests").fields]


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_nothing_outside_the_decided_columns_is_ever_released(gw: Gateway, data: Any) -> None:
    """Over generated queries, reviewer choices and re-runs (the same query, other fields,
    another filter or limit, another case): a released row holds only decided columns (and its
    watermark), and the same query re-run holds exactly them."""
    usss = key_of(gw, "USSS")
    asked = data.draw(st.lists(st.sampled_from(ALL_FIELDS), min_size=1, max_size=6,
                               unique=True) | st.just(["*"]), label="fields")
    body = {**QUERY, "fields": asked}
    refusal = refused(gw, usss, body)
    with gw.log.engine.connect() as conn:
        offered = store.get_case(conn, refusal.case_id or 0).offered or ()
    assume(offered)
    chosen = data.draw(st.lists(st.sampled_from(offered), min_size=1, unique=True),
                       label="released")
    decide(gw, refusal.case_id or 0, chosen)
    rerun = data.draw(st.sampled_from([
        body,
        {**body, "fields": data.draw(st.lists(st.sampled_from(ALL_FIELDS), min_size=1,
                                              max_size=4, unique=True), label="other")},
        {**body, "limit": 3},
        {**body, "filters": [{"field": "charge", "op": "prefix", "value": "A"}]},
        {**body, "format": "csv"},
    ]), label="rerun")
    case_id = data.draw(st.sampled_from([refusal.case_id, (refusal.case_id or 0) + 1]),
                        label="case_id")
    try:
        done = release(gw, usss, {**rerun, "case_id": case_id}, via=VIA)
    except (QueryRefusedError, InputError):
        event("refused")
        return
    event("released")
    text = b"".join(done.chunks).decode()
    if rerun.get("format") == "csv":
        header = text.splitlines()[0].split(",")
        got = [set(header)]
    else:
        got = [set(json.loads(x)) for x in text.splitlines()[:-1]]
    assert all(row - {"_wm"} <= set(chosen) for row in got)
    if rerun in (body, {**body, "format": "csv"}):
        assert all(row - {"_wm"} == set(chosen) for row in got)


def test_the_rules_are_asked_again_on_the_re_run(gw: Gateway) -> None:
    """A city that adopts the OCAD order after the review: the rules now deny the dataset to
    every DHS agency, and the reviewed case releases nothing (the refusal logged)."""
    usss = key_of(gw, "USSS")
    case_id = refused(gw, usss, QUERY).case_id or 0
    decide(gw, case_id, ["charge"])
    adopted = dataclasses.replace(gw, packs=("ocad-proposed-eo-2019",))
    before = gw.log.size()
    denied = refused(adopted, usss, {**QUERY, "case_id": case_id})
    assert denied.decision is not None and denied.decision.outcome == "deny"
    assert [(e["kind"], e.get("status")) for e in entries(gw, before)] == [
        ("key-use", None), ("query", "refused")]
