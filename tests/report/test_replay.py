"""``report.replay``: logged decisions decided again under changed rules, on a hand-made log.

The log (recorded with ``DecisionLog.record``): in 2025, ICE-HSI and CBP-USBP ask for CPD arrest
data (DHS agencies), the FBI asks for it too, ICE-HSI asks to interview a person in custody and
ICE-ERO to be told of a release; on 2021-01-20 (before O2021-117), ICE-HSI asks to interview a
person in custody for a criminal investigation and ICE-ERO to be told of a release.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from sanctuarygate.audit.bundle import BundleError
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.report.replay import (
    decide_classes,
    logged_requests,
    render_replay,
    replay,
    verified_entries,
)
from sanctuarygate.store.db import Engine, upgrade
from sanctuarygate.store.tables import log_entry

OCAD = "ocad-proposed-eo-2019"
Y2025 = {"profile": "chicago", "start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)}


def ask(agency: str, action: str, resource: dict[str, Any], purpose: str,
        date: str = "2025-03-10", **context: Any) -> Request:
    return parse_request({"profile": "chicago", "date": date, "principal": {"agency": agency},
                          "action": action, "resource": resource,
                          "context": {"purpose": purpose, "document": {"kind": "none"},
                                      **context}})


ARRESTS = {"type": "Dataset", "id": "cpd-arrests"}
IN_CUSTODY = {"type": "Person", "in_custody": True}
CRIMINAL, CIVIL = "criminal-investigation", "civil-immigration-enforcement"
LOGGED = [
    ask("ICE-HSI", "query-dataset", ARRESTS, CRIMINAL),
    ask("ICE-HSI", "query-dataset", ARRESTS, CRIMINAL),
    ask("CBP-USBP", "query-dataset", ARRESTS, CRIMINAL),
    ask("FBI", "query-dataset", ARRESTS, CRIMINAL),
    ask("ICE-HSI", "grant-access", IN_CUSTODY, CRIMINAL, channel="in-person"),
    ask("ICE-ERO", "notify-release", IN_CUSTODY, CIVIL),
    ask("ICE-HSI", "grant-access", IN_CUSTODY, CRIMINAL, date="2021-01-20", channel="in-person"),
    ask("ICE-ERO", "notify-release", IN_CUSTODY, CIVIL, date="2021-01-20"),
]


@pytest.fixture
def log(db_engine: Engine, tmp_path: Path) -> DecisionLog:
    upgrade(db_engine)
    out = DecisionLog(db_engine, origin="test.example/log", data_dir=tmp_path / "data")
    decider = default_decider()
    for request in LOGGED:
        out.record(request, decider.decide(request), actor="staff:s-test")
    return out


def test_adding_the_ocad_proposal_moves_exactly_the_dhs_data_requests(log: DecisionLog) -> None:
    decider = default_decider()
    before = {r.principal.id: decider.decide(r).outcome for r in LOGGED[:4]}
    size = log.size()
    result = replay(log, decider, add=[OCAD], **Y2025)  # type: ignore[arg-type]
    assert log.size() == size  # nothing written
    assert result.replayed == 6 and result.size == 8
    moved_agencies = {(g, act) for g, act, _, _ in result.by_agency_action}
    # The FBI's request and the requests that are not for data do not move; CBP-USBP's was
    # already a deny (the city's own rules), so it cannot move to one.
    assert moved_agencies == {("ICE-HSI", "query-dataset")}
    assert before["CBP-USBP"] == "deny" and before["FBI"] != "deny"
    assert result.moved == {(before["ICE-HSI"], "deny"): 2}
    assert result.rules[f"+ {OCAD}/dhs-databases"] == 2
    assert result.differs_from_logged == 0
    examples = result.examples[(before["ICE-HSI"], "deny")]
    assert [e["log_index"] for e in examples] == [0, 1]
    assert "in_custody" not in render_replay(result)  # the log holds no person facts


def test_removing_a_pack_takes_its_rules_out(log: DecisionLog) -> None:
    size = log.size()
    result = replay(log, default_decider(), remove=["chi-wco-2021"], **Y2025)  # type: ignore[arg-type]
    assert log.size() == size
    # Without the Welcoming City Ordinance, the city's own clauses no longer decide: the FBI's
    # data request loses its conditions and ICE-HSI's interview goes to a person (state law).
    assert result.by_agency_action == {
        ("FBI", "query-dataset", "allow-with-conditions", "allow"): 1,
        ("ICE-HSI", "grant-access", "deny", "review"): 1}
    assert result.rules["- chi-wco-2021/2-173-020a2-access"] == 1
    assert not any(r.startswith("+ chi-wco-2021/") for r in result.rules)


def test_as_of_replays_the_2021_carve_out_removal(log: DecisionLog) -> None:
    result = replay(log, default_decider(), profile="chicago", start=dt.date(2021, 1, 1),
                    end=dt.date(2021, 1, 31), as_of=dt.date(2021, 6, 1))
    assert result.replayed == 2
    # O2021-117 removed the 2012 "legitimate law-enforcement purpose" carve-out: the interview
    # a supervisor could allow is now refused; the release notice was refused either way.
    assert result.moved == {("review", "deny"): 1}
    assert result.by_agency_action == {("ICE-HSI", "grant-access", "review", "deny"): 1}
    assert any(r.startswith("- chi-wco-2012/") for r in result.rules)
    assert result.unchanged == {"deny": 1}


def test_bad_input_is_refused_before_reading_the_log(log: DecisionLog) -> None:
    decider = default_decider()
    with pytest.raises(InputError, match="unknown pack"):
        replay(log, decider, add=["no-such-pack"], **Y2025)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="nothing to replay"):
        replay(log, decider, **Y2025)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="after"):
        replay(log, decider, profile="chicago", start=dt.date(2026, 1, 1),
               end=dt.date(2025, 1, 1), add=[OCAD])
    with pytest.raises(InputError):
        replay(log, decider, profile="atlantis", start=dt.date(2025, 1, 1),
               end=dt.date(2025, 1, 1), add=[OCAD])


def test_a_log_that_does_not_verify_is_not_replayed(log: DecisionLog) -> None:
    log.checkpoint()
    with log.engine.begin() as conn:
        body = log.entries(0, 1)[0].body.replace("ICE-HSI", "ICE-ERO")
        conn.execute(update(log_entry).where(log_entry.c.idx == 0).values(body=body))
    with pytest.raises(BundleError, match="refusing to replay"):
        replay(log, default_decider(), add=[OCAD], **Y2025)  # type: ignore[arg-type]


def test_a_pack_removed_is_never_in_force() -> None:
    decider = default_decider()
    request = LOGGED[0]
    without = Decider(decider.library, without=frozenset({"il-trust-2021"}))
    ids = [p.id for p in without.engine_requests(request)[0]]
    assert "il-trust-2021" in [p.id for p in decider.engine_requests(request)[0]]
    assert "il-trust-2021" not in ids and "chi-wco-2021" in ids


def test_deciding_each_class_once_gives_what_deciding_each_request_gives() -> None:
    requests = [ask(agency, "query-dataset", ARRESTS, CRIMINAL, date=day)
                for day in ("2021-01-20", "2021-06-01", "2025-03-10", "2025-03-11")
                for agency in ("ICE-HSI", "FBI")]
    decider = Decider(default_decider().library, cache_size=0)
    classes = decide_classes(decider, requests, batch=3)
    each = [decider.decide(r) for r in requests]
    assert [(d.outcome, d.rules) for d in classes] == [(d.outcome, d.rules) for d in each]
    # The 2021 carve-out removal is between the first two days: they are different classes.
    assert classes[0].outcome != classes[2].outcome


def test_each_rebuilt_request_keeps_its_own_date(log: DecisionLog) -> None:
    entries, _ = verified_entries(log)
    logged, what_if = logged_requests(entries, profile="chicago", start=dt.date(2021, 1, 1),
                                      end=dt.date(2025, 12, 31))
    assert what_if == 0
    # ICE-HSI's interview is logged on 2025-03-10 and on 2021-01-20: one class, two dates.
    assert [(i.index, i.request.date) for i in logged if i.request.action == "grant-access"] == [
        (4, dt.date(2025, 3, 10)), (6, dt.date(2021, 1, 20))]
    assert [i.request.to_dict()["resource"] for i in logged][:1] == [ARRESTS]


def test_the_bounds_refuse_a_longer_range_before_deciding(log: DecisionLog) -> None:
    decider = default_decider()
    with pytest.raises(InputError, match="at most 30 days"):
        replay(log, decider, add=[OCAD], max_days=30, **Y2025)  # type: ignore[arg-type]
    # 2025 holds 6 logged decisions of chicago: 5 are too many, 6 are not.
    with pytest.raises(InputError, match=r"6 logged decisions .* at most 5"):
        replay(log, decider, add=[OCAD], max_decisions=5, **Y2025)  # type: ignore[arg-type]
    bounded = replay(log, decider, add=[OCAD], max_days=365, max_decisions=6,
                     **Y2025)  # type: ignore[arg-type]
    assert bounded.replayed == 6 and bounded.origin == "test.example/log"
