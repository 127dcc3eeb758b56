"""Misuse reports in the store, on SQLite and PostgreSQL: kept whole, listed by department,
reviewed once, linked to a real case, counted by property and month, and never holding a word
of the status vocabulary."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Connection, Engine, text

from sanctuarygate.domain.case import STATUS_WORDS, UnknownCaseError
from sanctuarygate.domain.misuse import ReportForm, ReportState, parse_report
from sanctuarygate.errors import FieldErrors, InputError
from sanctuarygate.store.case import open_case
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.misuse import (
    MAP_POINT,
    add_report,
    all_stored_text,
    get_report,
    link_case,
    list_reports,
    mark_reviewed,
    monthly_counts,
    registered_properties,
)

TODAY = dt.date(2026, 12, 3)


def _property(conn: Connection, pid: str, place: str, department: str) -> None:
    conn.execute(text(
        "INSERT INTO city_property (id, place, name, kind, owner, leased, department, geometry,"
        " updated_at) VALUES (:id, :place, :name, 'parking-lot', 'city', false, :dept, :geo,"
        " :at)"), {"id": pid, "place": place, "name": f"Lot {pid}", "dept": department,
                   "geo": json.dumps({"type": "Point", "coordinates": [-87.8, 42.3]}),
                   "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})


@pytest.fixture
def engine(db_engine: Engine) -> Engine:
    upgrade(db_engine)
    with db_engine.begin() as conn:
        _property(conn, "NC-LOT-14", "north-chicago", "Public Works")
        _property(conn, "NC-GAR-2", "north-chicago", "Parks")
    return db_engine


def _form(**changes: object) -> ReportForm:
    fields: dict[str, object] = {"place": "north-chicago", "property_id": "NC-LOT-14",
                                 "seen_on": "2026-11-30", "what_seen": ["vehicles"],
                                 "details": "Four unmarked SUVs by the east gate."}
    fields.update(changes)
    return parse_report(fields, today=TODAY)  # type: ignore[arg-type]


def test_a_report_is_kept_listed_by_department_and_reviewed_once(engine: Engine) -> None:
    with engine.begin() as conn:
        lot = add_report(conn, _form(), photos=["a" * 32 + ".jpg"])
        garage = add_report(conn, _form(property_id="NC-GAR-2", what_seen=["staging", "other"]),
                            photos=[])
        point = add_report(conn, _form(property_id="", lat="42.31", lon="-87.84"), photos=[])
    with engine.begin() as conn:
        assert {r.id for r in list_reports(conn)} == {lot.id, garage.id, point.id}
        works = list_reports(conn, department="Public Works")
        assert [r.id for r in works] == [lot.id]
        assert works[0].property is not None and works[0].property.name == "Lot NC-LOT-14"
        assert works[0].photos == ("a" * 32 + ".jpg",)
        assert get_report(conn, garage.id).what_seen == ("other", "staging")
        assert get_report(conn, point.id).point == (42.31, -87.84)
        first = mark_reviewed(conn, lot.id, staff_id="s-0a1b2c3d")
        again = mark_reviewed(conn, lot.id, staff_id="s-99999999")
        assert (first.state, first.reviewed_by) == (ReportState.REVIEWED, "s-0a1b2c3d")
        assert again.reviewed_by == "s-0a1b2c3d"
        assert [r.id for r in list_reports(conn, state="new")] != []
        assert lot.id not in {r.id for r in list_reports(conn, state="new")}


def test_an_unknown_property_or_another_places_is_refused_and_nothing_kept(
        engine: Engine) -> None:
    for form in (_form(property_id="NC-LOT-99"), _form(place="waukegan")):
        with pytest.raises(InputError) as caught, engine.begin() as conn:
            add_report(conn, form, photos=[])
        assert caught.value.field == "property_id"
    with engine.connect() as conn:
        assert list_reports(conn) == []


def test_a_report_links_to_an_existing_case_only(engine: Engine) -> None:
    with engine.begin() as conn:
        report = add_report(conn, _form(), photos=[])
        case_id = open_case(conn, {"action": "use-property"}, {"outcome": "review"},
                            agency="ICE-ERO", source="desk", log_index=None,
                            actor="staff:s-0a1b2c3d")
    with engine.begin() as conn:
        assert link_case(conn, report.id, case_id).case_id == case_id
    with pytest.raises(UnknownCaseError), engine.begin() as conn:
        link_case(conn, report.id, case_id + 1000)
    with pytest.raises(UnknownCaseError), engine.begin() as conn:
        link_case(conn, "r-0000000000", case_id)


def test_counts_by_property_and_month(engine: Engine) -> None:
    with engine.begin() as conn:
        for day in ("2026-10-02", "2026-11-03", "2026-11-30"):
            add_report(conn, _form(seen_on=day), photos=[])
        add_report(conn, _form(property_id="", lat="42.3", lon="-87.8"), photos=[])
        counts = monthly_counts(conn)
        assert registered_properties(conn, "waukegan") == []
    assert counts == {("NC-LOT-14", "2026-10"): 1, ("NC-LOT-14", "2026-11"): 2,
                      (MAP_POINT, "2026-11"): 1}


def test_no_stored_report_holds_a_status_word(engine: Engine) -> None:
    """Every status word, in the description and in the contact line: refused by the form and
    by the store; a search of everything stored then finds none."""
    with engine.begin() as conn:
        add_report(conn, _form(contact="call 555-0100 after 6"), photos=[])
    for word in STATUS_WORDS:
        for name in ("details", "contact"):
            with pytest.raises((FieldErrors, InputError)) as caught:
                _form(**{name: f"The man by the gate said {word.upper()} twice"})
            assert name in {f for f, _ in caught.value.field_errors}
        smuggled = _form()
        object.__setattr__(smuggled, "details", f"they asked about {word}")
        with pytest.raises(InputError), engine.begin() as conn:
            add_report(conn, smuggled, photos=[])
    with engine.connect() as conn:
        stored = " ".join(all_stored_text(conn)).lower()
        assert len(list_reports(conn)) == 1
    assert "555-0100" in stored
    assert [w for w in STATUS_WORDS if w in stored] == []
