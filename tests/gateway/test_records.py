"""The records database: schema and views match the catalog (the synthetic rows' own tests are in
tests/demo/test_records.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Date, Engine, Integer, String, inspect, select
from sqlalchemy.types import NullType

from cli_run import run_cli
from sanctuarygate.demo.records import generate
from sanctuarygate.domain.dataset import Catalog
from sanctuarygate.errors import ConfigurationError, PolicyLoadError
from sanctuarygate.gateway.records import (
    TABLES,
    VIEWS,
    create_records_schema,
    view_counts,
    view_of,
)
from sanctuarygate.policy.default import default_library
from sanctuarygate.store.db import make_engine

CATALOG = default_library().catalog
SQL_CLASS = {"integer": Integer, "text": String, "date": Date}


def dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every view's rows, typed by the catalog, in key order."""
    out = {}
    with engine.connect() as conn:
        for ds in CATALOG:
            view = view_of(ds)
            out[ds.id] = [tuple(r) for r in conn.execute(select(view).order_by(view.c[ds.key]))]
    return out


def test_every_catalog_dataset_names_a_view_and_every_view_a_dataset() -> None:
    assert sorted(ds.table for ds in CATALOG) == sorted(VIEWS)
    assert {"cpd-arrests", "cpd-incidents", "cpd-warrants", "cpd-gang-database", "cpd-vehicles",
            "waukegan-pd-records", "north-chicago-pd-records", "cook-jail-bookings",
            "water-billing"} <= {ds.id for ds in CATALOG}


def test_schema_and_views_create_idempotently(db_engine: Engine) -> None:
    create_records_schema(db_engine)
    create_records_schema(db_engine)
    found = inspect(db_engine)
    assert {t.name for t in TABLES} <= set(found.get_table_names())
    assert set(VIEWS) <= set(found.get_view_names())


def test_view_columns_are_exactly_the_catalog_fields(db_engine: Engine) -> None:
    create_records_schema(db_engine)
    found = inspect(db_engine)
    for ds in CATALOG:
        columns = found.get_columns(ds.table)
        assert [c["name"] for c in columns] == [name for name, _ in ds.fields], ds.id
        for c in columns:
            kind = SQL_CLASS[ds.field_type(c["name"])]
            # SQLite declares no type for a computed view column (a name, an address)
            if not (db_engine.dialect.name == "sqlite" and isinstance(c["type"], NullType)):
                assert isinstance(c["type"], kind), (ds.id, c["name"], c["type"])


def test_first_field_is_a_unique_key_and_sensitive_fields_hold_data(db_engine: Engine) -> None:
    generate(db_engine, rows=600, seed=5)
    rows = dump(db_engine)
    for ds in CATALOG:
        keys = [r[0] for r in rows[ds.id]]
        assert keys and None not in keys and len(set(keys)) == len(keys), ds.id
    arrests = [dict(zip([n for n, _ in CATALOG.get("cpd-arrests").fields], r, strict=True))
               for r in rows["cpd-arrests"]]
    assert any(a["immigration_status_note"] for a in arrests)
    assert any(a["citizenship"] != "United States" for a in arrests)
    assert any(a["birthplace"] != "Chicago, IL" for a in arrests)
    assert all(a["name"] and a["arrest_date"] for a in arrests)


def test_missing_views_fail_loudly() -> None:
    with pytest.raises(ConfigurationError, match="no view"):
        view_counts(make_engine("sqlite://"), CATALOG)


def test_catalog_accepts_both_field_forms_and_rejects_bad_ones() -> None:
    both = Catalog.from_mapping({"datasets": [{"id": "a-b", "keeper": "CPD", "fields": {
        "k": {"type": "integer", "tags": []}, "n": ["identity"], "d": {"type": "date"}}}]})
    ds = both.get("a-b")
    assert ds.table == "a_b" and ds.key == "k" and ds.types == ("integer", "text", "date")
    assert dict(ds.fields)["n"] == {"identity"}
    for fields in ({"k": {"type": "float"}}, {"Bad Name": []}, {"k": {"tagz": []}}, {}):
        with pytest.raises(PolicyLoadError):
            Catalog.from_mapping({"datasets": [{"id": "x", "keeper": "CPD", "fields": fields}]})
    with pytest.raises(PolicyLoadError, match="identifier"):
        Catalog.from_mapping({"datasets": [{"id": "x", "keeper": "CPD", "table": "x; drop",
                                            "fields": {"k": []}}]})


def test_cli_info_without_a_database_is_a_configuration_error(tmp_path: Path) -> None:
    out = run_cli(["records", "info", "--url", f"sqlite:///{tmp_path / 'none.db'}"])
    assert out.returncode == 5 and "records generate" in out.stderr
    assert not (tmp_path / "none.db").exists()
