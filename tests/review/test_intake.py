"""What a case records at intake (who asked, about whom, the document's verification), on
SQLite and PostgreSQL: stored in the case only, never in the public log entry; a status word in
any field is refused naming the field; nothing stored states an immigration status."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.case import STATUS_WORDS, mentions_status
from sanctuarygate.domain.intake import FIELDS, Intake, parse_intake
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import FieldErrors, InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.queue import record_and_queue
from sanctuarygate.store import case as store
from sanctuarygate.store.case_document import get_document, record_copy
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.tables import case_document, case_event, case_file

from .test_queue import DENIED, DESK, SPLIT

CHECKED = dt.datetime(2025, 11, 3, 15, 5, tzinfo=dt.UTC)
TOLD = {"asked_by": "Special Agent R. Roe, badge 4411", "contact": "+1 312 555 0142",
        "person_ref": "CB-2025-004512", "document_verified_by": "Sgt. Mendez, records unit",
        "document_checked_at": "2025-11-03T09:05:00-06:00"}


@pytest.fixture(scope="module")
def decider() -> Decider:
    return default_decider()


@pytest.fixture
def log(db_engine: Engine, tmp_path: Path) -> Iterator[DecisionLog]:
    upgrade(db_engine)
    yield DecisionLog(db_engine, origin="test.example/intake", data_dir=tmp_path / "data")


def _record(log: DecisionLog, decider: Decider, body: Any = SPLIT,
            told: dict[str, str] = TOLD) -> tuple[int, int | None]:
    asked = parse_request(body)
    recorded = record_and_queue(log, asked, decider.decide(asked), actor=DESK, source="api",
                                intake=parse_intake(told))
    return recorded.log_index, recorded.case_id


def _entry(log: DecisionLog, index: int) -> str:
    """The public log entry at ``index``, as its text."""
    body = log.entries(index, index + 1)[0].body
    return body.decode() if isinstance(body, bytes) else str(body)


def test_intake_is_stored_in_the_case_and_never_in_the_log_entry(log: DecisionLog,
                                                                 decider: Decider) -> None:
    index, case_id = _record(log, decider)
    assert case_id is not None
    with log.engine.connect() as conn:
        case = store.get_case(conn, case_id)
        document = get_document(conn, case_id)
    assert (case.asked_by, case.contact, case.person_ref) == (
        TOLD["asked_by"], TOLD["contact"], TOLD["person_ref"])
    assert document is not None
    assert (document.verified_by, document.to_dict()["checked_at"]) == (
        TOLD["document_verified_by"], "2025-11-03T15:05:00Z")
    entry = _entry(log, index)
    assert json.loads(entry)["outcome"] == "review"
    for value in ("Roe", "4411", "555 0142", "CB-2025-004512", "Mendez", "2025-11-03T15:05"):
        assert value not in entry, value


def test_an_answer_that_opens_no_case_keeps_no_intake(log: DecisionLog,
                                                      decider: Decider) -> None:
    index, case_id = _record(log, decider, DENIED)
    assert case_id is None
    with log.engine.connect() as conn:
        assert conn.execute(select(case_document)).first() is None
    entry = _entry(log, index)
    assert "CB-2025-004512" not in entry and "Roe" not in entry


def test_nothing_given_stores_no_document_row(log: DecisionLog, decider: Decider) -> None:
    _, case_id = _record(log, decider, told={})
    assert case_id is not None
    with log.engine.connect() as conn:
        case = store.get_case(conn, case_id)
        assert get_document(conn, case_id) is None
    assert (case.asked_by, case.contact, case.person_ref) == (None, None, None)


def test_a_copy_joins_the_verification(log: DecisionLog, decider: Decider) -> None:
    _, case_id = _record(log, decider)
    assert case_id is not None
    with log.engine.begin() as conn:
        found = record_copy(conn, case_id, file_name="a" * 32 + ".pdf",
                            media_type="application/pdf", size=1234, actor=DESK, at=CHECKED)
    assert (found.verified_by, found.media_type, found.size) == (
        TOLD["document_verified_by"], "application/pdf", 1234)
    assert found.to_dict()["copy"]["href"] == f"/cases/{case_id}/document"
    assert "aaaa" not in json.dumps(found.to_dict())  # the stored name is never given out


@pytest.mark.parametrize("name", [n for n in FIELDS if n != "document_checked_at"])
def test_a_status_word_is_refused_naming_the_field(name: str) -> None:
    for word in ("undocumented", "visa", "DACA"):
        value = f"CB {word}" if name == "person_ref" else f"agent from the {word} unit"
        with pytest.raises(InputError, match="immigration status") as caught:
            parse_intake({name: value})
        assert caught.value.field == f"case.{name}"


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(FieldErrors) as caught:
        parse_intake({"asked_by": "x" * 201, "person_ref": "Jane Roe, asylum seeker",
                      "document_checked_at": "yesterday", "ssn": "1"}, prefix="c")
    assert [f for f, _ in caught.value.field_errors] == [
        "c.ssn", "c.asked_by", "c.person_ref", "c.document_checked_at"]


def test_times_are_read_in_the_city_zone_and_never_in_the_future() -> None:
    now = dt.datetime(2025, 11, 3, 16, 0, tzinfo=dt.UTC)
    chicago = dt.timezone(dt.timedelta(hours=-6))
    told = parse_intake({"document_checked_at": "2025-11-03T09:05"}, zone=chicago, now=now)
    assert told.document_checked_at == CHECKED
    with pytest.raises(InputError, match="future") as caught:
        parse_intake({"document_checked_at": "2025-11-03T11:00"}, zone=chicago, now=now)
    assert caught.value.field == "case.document_checked_at"
    assert parse_intake({"asked_by": "  ", "contact": ""}) == Intake()


def test_no_stored_intake_states_an_immigration_status(log: DecisionLog,
                                                       decider: Decider) -> None:
    """Cases opened with every intake field filled, and some refused: every stored value of
    the case tables, as text, holds none of the status vocabulary."""
    for n in range(3):
        _record(log, decider, told={**TOLD, "person_ref": f"CB-2025-00{n}"})
    for name in FIELDS[:4]:
        with pytest.raises(InputError):
            _record(log, decider, told={**TOLD, name: "undocumented"})
    with log.engine.connect() as conn:
        rows = [dict(r._mapping) for t in (case_file, case_event, case_document)
                for r in conn.execute(select(t))]
    assert len(rows) >= 9
    text = json.dumps(rows, default=str)
    assert mentions_status(text) is None, mentions_status(text)
    assert all(w not in text.lower() for w in STATUS_WORDS)


def test_a_copy_is_kept_replaced_and_never_left_behind(log: DecisionLog, decider: Decider,
                                                      tmp_path: Path) -> None:
    """``attach_copy`` on each database: a checked copy is written under a random name and
    recorded; a later one replaces it (the old file removed); a copy for no case, or one
    refused, leaves no file."""
    from sanctuarygate.domain.case import UnknownCaseError
    from sanctuarygate.review.case_copy import attach_copy, copy_file
    from sanctuarygate.store.document_copy import FOLDER, CopyTooLargeError

    data_dir = tmp_path / "copies"
    _, case_id = _record(log, decider)
    assert case_id is not None
    pdf, png = b"%PDF-1.7\n%%EOF\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
    first = attach_copy(log, case_id, pdf, data_dir=data_dir, actor=DESK, max_bytes=1_024)
    stored = copy_file(first, data_dir)
    assert stored is not None and stored.read_bytes() == pdf
    assert (first.media_type, first.size, first.uploaded_by, first.verified_by) == (
        "application/pdf", len(pdf), DESK, TOLD["document_verified_by"])
    second = attach_copy(log, case_id, png, data_dir=data_dir, actor=DESK, max_bytes=1_024)
    assert second.media_type == "image/png" and not stored.exists()
    with pytest.raises(UnknownCaseError):
        attach_copy(log, 999_999, pdf, data_dir=data_dir, actor=DESK, max_bytes=1_024)
    with pytest.raises(CopyTooLargeError):
        attach_copy(log, case_id, pdf + b"x" * 1_024, data_dir=data_dir, actor=DESK,
                    max_bytes=1_024)
    with pytest.raises(InputError, match="not a PDF"):
        attach_copy(log, case_id, b"MZ\x90\x00", data_dir=data_dir, actor=DESK, max_bytes=1_024)
    assert [p.name for p in (data_dir / FOLDER).iterdir()] == [second.file_name]
