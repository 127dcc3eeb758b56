"""The public transparency page: the numbers of the offline report, at a checkpoint it names.

A private log gets a hand-counted history (ICE-ERO asks 7 times to be told of a release, CBP-USBP
twice, ICE-HSI 3 times to interview someone; one FBI gateway query of 12 rows; FEMA's request
for a city garage goes to a reviewer 5 times, who allows one with conditions; three
exceptions: one approved by a second reviewer and expired, one that never got its second
approval and expired, one in force at the last entry); the page's tables, list and CSV files
must be those ``report transparency --from-export`` computes from the export of the
checkpoint the page shows.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sanctuarygate.audit.bundle import export_bundle, published_policy
from sanctuarygate.audit.entries import (
    ExceptionApprovalEntry,
    ExceptionEntry,
    KeyIssueEntry,
    QueryCompleteEntry,
    QueryEntry,
    ReviewEntry,
)
from sanctuarygate.audit.keys import Verifier, generate_key
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record, record_decision
from sanctuarygate.audit.witnessing import city_policy, witnessed_checkpoint
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.decide import Decider
from sanctuarygate.report import Families, report_from_export, report_from_log
from sanctuarygate.report.render import exceptions_csv, table_csv
from sanctuarygate.settings import load_settings
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web import transparency
from sanctuarygate.web.app import create_app
from sanctuarygate.web.publisher import publish_round

from .conftest import TestClient
from .test_publisher import Witnesses

SPANISH = {"accept-language": "es"}
TABLES = ("decisions", "reviews", "review_outcomes", "refusals", "queries", "rows_released",
          "key_events")


def _at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2025, month, day, 10, 0, tzinfo=dt.UTC)


def _ask(agency: str, action: str, resource: dict[str, Any], purpose: str,
         **context: Any) -> Any:
    return parse_request({"profile": "chicago", "date": "2025-03-10",
                          "principal": {"agency": agency}, "action": action,
                          "resource": resource,
                          "context": {"purpose": purpose, "document": {"kind": "none"},
                                      **context}})


def fill(log: DecisionLog, decider: Decider) -> None:
    """The history the module docstring describes, all in March 2025."""
    release = ("notify-release", {"type": "Person", "in_custody": True},
               "civil-immigration-enforcement")
    interview = ("grant-access", {"type": "Person", "in_custody": True},
                 "criminal-investigation")
    plan = [("ICE-ERO", release, {}, 7), ("CBP-USBP", release, {}, 2),
            ("ICE-HSI", interview, {"channel": "in-person"}, 3)]
    with log.engine.begin() as conn:
        for agency, (action, resource, purpose), extra, times in plan:
            request = _ask(agency, action, resource, purpose, **extra)
            decision = decider.decide(request)
            for i in range(times):
                record_decision(conn, request, decision, actor="desk", at=_at(3, 1 + i))
        q = record(conn, QueryEntry.of(
            status="released", at=_at(3, 20), agency="FBI", key_id="0a1b2c3d",
            dataset="cpd-arrests", purpose="criminal-investigation", document_kind="none",
            onward_recipients=[], released=["charge"], withheld=[], filters=[], row_rules=[],
            decision=Decision("allow"), terms=[], watermark_key="abc"))
        record(conn, QueryCompleteEntry(query=q, rows=12))
        record(conn, KeyIssueEntry(time=_at(3, 1), key_id="0a1b2c3d", agency="FBI"))
        answer(conn, decider)


#: The clause the reviews and exceptions rely on (a citation of the log's decisions).
CITED = "MCC 2-173-020(a)(3)"


def answer(conn: Any, decider: Decider) -> None:
    """Five requests sent to a person, one review, and three exceptions (cases 1-3: approved
    and expired; never approved and expired; in force at the last entry, which is its own)."""
    garage = _ask("FEMA", "use-property", {"type": "Property", "kind": "garage",
                                           "owner": "city"}, "disaster-relief",
                  use="staging-area")
    decided = decider.decide(garage)
    assert decided.outcome == "review"
    sent = record_decision(conn, garage, decided, actor="desk", at=_at(3, 22))
    for _ in range(4):
        record_decision(conn, garage, decided, actor="desk", at=_at(3, 22))
    record(conn, ReviewEntry(time=_at(3, 23), actor="staff:s-0a1b2c3d", case=4, decision=sent,
                             outcome="allow-with-conditions", conditions=("no-onward-sharing",),
                             clause=CITED))
    plan = [(1, _at(3, 24), 4, True), (2, _at(3, 26), 2, True), (3, _at(3, 28), 24, False)]
    granted: list[int] = []
    for case, when, hours, second in plan:
        granted.append(record(conn, ExceptionEntry(
            time=when, actor="staff:s-0a1b2c3d", case=case, decision=case - 1,
            rules_outcome="deny", outcome="allow" if second else "deny", conditions=(),
            clause=CITED, expires=when + dt.timedelta(hours=hours), needs_second=second)))
        if case == 1:
            record(conn, ExceptionApprovalEntry(time=when + dt.timedelta(hours=1),
                                                actor="staff:s-11223344", case=1,
                                                exception=granted[0]))


@pytest.fixture
def log(tmp_path: Path, decider: Decider) -> Iterator[DecisionLog]:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.sqlite'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="city.example/log", data_dir=tmp_path / "data")
    fill(log, decider)
    yield log
    engine.dispose()


@pytest.fixture
def client(log: DecisionLog, decider: Decider) -> TestClient:
    return TestClient(create_app(load_settings(), decider=decider, log=log))


def test_the_page_is_public_and_names_its_checkpoint(client: TestClient,
                                                     log: DecisionLog) -> None:
    page = client.get("/transparency")
    assert page.status_code == 200, page.text
    html = page.text
    size = log.size()
    with log.engine.connect() as conn:
        root = base64.b64encode(log.reader.root(conn, size)[1]).decode()
    assert f'<dd id="checkpoint-size">{size}</dd>' in html
    assert f'<code id="checkpoint-root">{root}</code>' in html
    assert 'href="/api/v1/log/checkpoint"' in html and "city.example/log" in html
    assert "sanctuarygate report transparency --from-export EXPORT/" in html
    assert "sanctuarygate log verify EXPORT/ --policy city-policy.txt" in html
    assert "--min-cell 5" in html


def test_small_counts_are_fewer_than_n_never_numbers(client: TestClient) -> None:
    html = client.get("/transparency").text
    decisions = html[html.index('id="table-decisions"'):html.index('id="table-reviews"')]
    rows = re.findall(r"<tr>(.*?)</tr>", decisions, re.S)
    ice = next(r for r in rows if "Tell them when someone will be released" in r
               and ">ICE<" in r)
    cbp = next(r for r in rows if ">CBP<" in r)
    interview = next(r for r in rows if "Let them interview" in r)
    assert "<td class=\"num\">7</td>" in ice  # 7 refusals are shown
    assert "fewer than 5" in cbp and ">2<" not in cbp  # 2 is not
    assert "fewer than 5" in interview and ">3<" not in interview
    assert 'href="/transparency/decisions.csv"' in html


def test_the_csv_files_are_the_offline_reports(client: TestClient, log: DecisionLog,
                                               decider: Decider, tmp_path: Path) -> None:
    """Rebuilt from the export with the offline command's code, every table is the same."""
    export_bundle(log, tmp_path / "export")
    offline = report_from_export(tmp_path / "export", trust=published_policy(log),
                                 families=Families(decider.library.directory), min_cell=5)
    assert offline.source.verified and offline.source.entries == log.size()
    for table in offline.tables:
        served = client.get(f"/transparency/{table.name}.csv")
        assert served.status_code == 200 and served.headers["content-type"].startswith("text/csv")
        assert served.text == table_csv(table, 5), table.name
        assert served.headers["x-log-size"] == str(log.size())
    assert [t.name for t in offline.tables] == list(TABLES)
    served = client.get("/transparency/exceptions.csv")
    assert served.status_code == 200 and served.text == exceptions_csv(offline)
    assert len(offline.exceptions) == 3 and served.headers["x-log-size"] == str(log.size())
    assert "<5" in client.get("/transparency/decisions.csv").text
    assert "cpd-arrests" in client.get("/transparency/rows_released.csv").text


def test_the_page_counts_only_up_to_its_checkpoint(client: TestClient, log: DecisionLog,
                                                   decider: Decider) -> None:
    """An entry appended after the checkpoint the page took is not counted in it: the next
    page takes a new checkpoint, and names it."""
    first = client.get("/transparency/decisions.csv")
    size = int(first.headers["x-log-size"])
    request = _ask("ICE-ERO", "notify-release", {"type": "Person", "in_custody": True},
                   "civil-immigration-enforcement")
    log.record(request, decider.decide(request), actor="desk")
    second = client.get("/transparency/decisions.csv")
    assert int(second.headers["x-log-size"]) == size + 1
    assert second.text != first.text


def test_an_unknown_table_is_a_404(client: TestClient) -> None:
    missing = client.get("/transparency/people.csv")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def _exceptions(html: str) -> list[str]:
    listed = html[html.index('<table class="counts" id="exceptions">'):]
    return re.findall(r'<tr data-state="[^"]+">(.*?)</tr>', listed[:listed.index("</table>")],
                      re.S)


def test_each_exception_is_listed_with_its_state(client: TestClient) -> None:
    html = client.get("/transparency").text
    assert "Exceptions granted (break-glass), each listed" in html
    assert "judged at the time of the newest entry counted: 2025-03-28T10:00:00Z" in html
    approved, unapproved, in_force = _exceptions(html)
    assert re.findall(r'data-state="([^"]+)"', html) == ["expired", "expired-unapproved",
                                                         "in-force"]
    assert "<td>1</td>" in approved and ">4</td>" in approved  # case 1, 4 hours
    assert "given (log entry" in approved and "staff:s-0a1b2c3d" in approved
    assert ">refused</td>" in approved and ">allowed</td>" in approved  # rules, granted
    assert CITED in approved
    assert "required, not given" in unapproved and "expired without a second approval" in \
        unapproved
    assert "not required" in in_force and ">in force</td>" in in_force
    reviews = html[html.index('id="table-review_outcomes"'):html.index('id="table-refusals"')]
    assert "Reviews decided, by month, agency family and how they ended" in reviews
    assert "other DHS" in reviews and "fewer than 5" in reviews and ">1<" not in reviews


def test_the_exceptions_in_spanish(client: TestClient) -> None:
    html = client.get("/transparency", headers=SPANISH).text
    approved, unapproved, in_force = _exceptions(html)
    assert "Excepciones concedidas (de emergencia), una por una" in html
    assert "dada (entrada del registro" in approved and ">vencida</td>" in approved
    assert "requerida, no dada" in unapproved and "nunca se aplicó" in unapproved
    assert ">en vigor</td>" in in_force and "no requerida" in in_force
    assert "Revisiones decididas, por mes" in html


def test_the_page_in_spanish(client: TestClient) -> None:
    html = client.get("/transparency", headers=SPANISH).text
    assert '<html lang="es">' in html
    assert "Cómo comprobar estas cifras usted mismo" in html
    assert "menos de 5" in html and "fewer than" not in html


def test_the_masthead_links_the_public_pages(client: TestClient) -> None:
    for path in ("/", "/transparency", "/rules", "/rules/chicago"):
        html = client.get(path).text
        assert 'href="/transparency"' in html and 'href="/rules"' in html
        public = "public record" in html  # the public pages' masthead, not the desk's
        assert public == (path != "/") and ("A cited answer, and what to say." in html) != public


def test_charts_are_images_with_alt_text_and_no_small_numbers(client: TestClient) -> None:
    html = client.get("/transparency").text
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"', html)
    assert len(images) == 6  # decisions, reviews (sent, ended), refusals, queries, rows
    # released; no keys
    alts = [alt for _, alt in images]
    assert alts[0] == ("All requests, by answer: allowed 0; allowed with conditions 0; "
                       "refused 12; sent to a person 5.")
    assert alts[2] == ("Reviews decided, by how they ended: allowed 0; allowed with conditions "
                       "fewer than 5; refused 0.")
    assert alts[5] == "Rows released, by agency family: DOJ 12."
    for data, _ in images:
        svg = base64.b64decode(data).decode()
        assert svg.startswith("<svg") and "<script" not in svg
    refusals = next(a for a in alts if a.startswith("Refusals by the clause"))
    assert "MCC 2-173-020(a)(2) fewer than 5" in refusals
    spanish = client.get("/transparency", headers=SPANISH).text
    assert 'alt="Todas las solicitudes, por respuesta: ' in spanish


def test_a_checkpoint_is_counted_once(client: TestClient, log: DecisionLog, decider: Decider,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Views of the same checkpoint reuse its count; at a new checkpoint the count goes on from
    the kept one (reading only the new entries), and gives the numbers of a count from zero."""
    calls: list[tuple[int, int | None]] = []
    real = transparency.tally_log

    def counting(*args: Any, **kwargs: Any) -> Any:
        kept = kwargs.get("kept")
        calls.append((kwargs["size"], None if kept is None else kept.size))
        return real(*args, **kwargs)

    monkeypatch.setattr(transparency, "tally_log", counting)
    first = client.get("/transparency").text
    assert client.get("/transparency").text == first
    client.get("/transparency/decisions.csv")
    client.get("/transparency", headers=SPANISH)
    size = log.size()
    assert calls == [(size, None)]
    request = _ask("ICE-ERO", "notify-release", {"type": "Person", "in_custody": True},
                   "civil-immigration-enforcement")
    log.record(request, decider.decide(request), actor="desk")
    assert f'<dd id="checkpoint-size">{size + 1}</dd>' in client.get("/transparency").text
    assert calls == [(size, None), (size + 1, size)]
    fresh = report_from_log(log, families=Families(decider.library.directory), min_cell=5,
                            size=size + 1)
    for table in fresh.tables:
        assert client.get(f"/transparency/{table.name}.csv").text == table_csv(table, 5)


@pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
def test_with_witnesses_the_page_counts_at_the_checkpoint_they_cosigned(
        log: DecisionLog, decider: Decider, tmp_path: Path) -> None:
    """The export the city publishes ends at the newest cosigned checkpoint: so does the page,
    and the export, verified against the policy with its witnesses and quorum, gives its
    numbers. Until a witness cosigns, the page says so."""
    witnesses = Witnesses(tmp_path / "w", log)
    settings = load_settings().model_copy(update={
        "witnesses": ", ".join(f"{w.verifier.key} {w.url}" for w in witnesses.endpoints),
        "witness_quorum": 2, "witness_publish_seconds": 3600.0, "log_origin": log.origin})
    client = TestClient(create_app(settings, decider=decider, log=log))
    assert 'id="awaiting-witnesses"' in client.get("/transparency").text
    size = log.size()
    assert publish_round(log, witnesses.endpoints, witnesses.ask, 0) == size
    request = _ask("ICE-ERO", "notify-release", {"type": "Person", "in_custody": True},
                   "civil-immigration-enforcement")
    log.record(request, decider.decide(request), actor="desk")  # not yet cosigned
    html = client.get("/transparency").text
    assert f'<dd id="checkpoint-size">{size}</dd>' in html and "awaiting-witnesses" not in html
    assert "<code>council.example/w1</code>, <code>council.example/w2</code>" in html
    assert 'href="/api/v1/log/checkpoint?witnessed=true"' in html
    policy = city_policy(log, witnesses.endpoints, 2)
    export_bundle(log, tmp_path / "export", note=witnessed_checkpoint(log), policy=policy)
    offline = report_from_export(tmp_path / "export", trust=policy,
                                 families=Families(decider.library.directory), min_cell=5)
    assert offline.source.entries == size
    for table in offline.tables:
        assert client.get(f"/transparency/{table.name}.csv").text == table_csv(table, 5)


def test_a_checkpoint_that_does_not_verify_shows_no_numbers(
        log: DecisionLog, decider: Decider, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail closed: when the log's checkpoint does not verify with its keys (here: the keys
    replaced by another), the page and the CSV files are an error, never numbers, even with
    the count of that checkpoint kept from before."""
    client = TestClient(create_app(load_settings(), decider=decider, log=log),
                        raise_server_exceptions=False)
    assert client.get("/transparency/decisions.csv").status_code == 200
    _, stranger = generate_key(log.origin)
    monkeypatch.setattr(log, "verifiers", lambda: [Verifier.from_key(stranger)])
    for path in ("/transparency", "/transparency/decisions.csv"):
        answer = client.get(path, headers={"accept": "text/html"})
        assert answer.status_code == 500, path
        assert "<table" not in answer.text and "fewer than" not in answer.text


def test_a_chart_is_drawn_again_only_when_its_counts_change(
        client: TestClient, log: DecisionLog, decider: Decider,
        monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    real = transparency.table_chart

    def drawing(table: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append(table.name)
        return real(table, *args, **kwargs)

    monkeypatch.setattr(transparency, "table_chart", drawing)
    client.get("/transparency")
    charted = ["decisions", "reviews", "review_outcomes", "refusals", "queries", "rows_released"]
    assert drawn == charted
    client.get("/transparency")
    assert drawn == charted  # nothing drawn again
    client.get("/transparency", headers=SPANISH)
    assert drawn == charted * 2  # another language
    request = _ask("ICE-ERO", "notify-release", {"type": "Person", "in_custody": True},
                   "civil-immigration-enforcement")
    log.record(request, decider.decide(request), actor="desk")
    client.get("/transparency")
    # the reviews decided and the gateway's did not change
    assert drawn[12:] == ["decisions", "reviews", "refusals"]
