"""The records database: schema and views match the catalog; generation is deterministic,
proportionate and the same on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Date, Engine, Integer, String, func, inspect, select
from sqlalchemy.types import NullType
from typer.testing import CliRunner

import sanctuarygate.gateway.generate as generate_module
from sanctuarygate.cli.main import app
from sanctuarygate.domain.dataset import Catalog
from sanctuarygate.errors import ConfigurationError, InputError, PolicyLoadError
from sanctuarygate.gateway.generate import generate, table_sizes
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


def digest(engine: Engine) -> str:
    return hashlib.sha256(repr(sorted(dump(engine).items())).encode()).hexdigest()


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


def test_generation_is_deterministic(db_engine: Engine) -> None:
    generate(db_engine, rows=300, seed=3)
    first = digest(db_engine)
    generate(db_engine, rows=300, seed=3)  # replaces the rows, does not add to them
    assert digest(db_engine) == first
    generate(db_engine, rows=300, seed=4)
    assert digest(db_engine) != first


@pytest.mark.parametrize("bulk", ["copy", "insert"])
def test_same_rows_on_every_backend(db_engine: Engine, tmp_path: Path, bulk: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    generate(reference, rows=400, seed=11)
    if bulk == "insert":  # PostgreSQL without COPY: the executemany path other drivers take
        monkeypatch.setattr(generate_module, "_uses_copy", lambda conn: False)
    generate(db_engine, rows=400, seed=11)
    assert dump(db_engine) == dump(reference)
    reference.dispose()


def test_counts_scale_with_rows(db_engine: Engine) -> None:
    for rows in (100, 400):
        written = generate(db_engine, rows=rows)
        assert written == table_sizes(rows)
        counts = view_counts(db_engine, CATALOG)
        assert counts["cpd-arrests"] == counts["cpd-incidents"] == rows
        assert counts["cpd-warrants"] == rows // 5 and counts["cpd-vehicles"] == rows // 2
        assert counts["cook-jail-bookings"] == rows // 2 and counts["water-billing"] == rows // 4
        assert (counts["waukegan-pd-records"] + counts["north-chicago-pd-records"]
                == written["suburban_records"])
        with db_engine.connect() as conn:
            for table in TABLES:
                assert conn.execute(select(func.count()).select_from(table)).scalar_one() \
                    == written[table.name]


def test_progress_reports_every_row_once() -> None:
    seen: list[tuple[str, int, int]] = []
    engine = make_engine("sqlite://")
    written = generate(engine, rows=50, progress=lambda t, d, n: seen.append((t, d, n)))
    done = [d for _, d, _ in seen]
    assert done == sorted(done) and done[-1] == seen[-1][2] == sum(written.values())
    assert {t for t, _, _ in seen} == {t.name for t in TABLES}


def test_bad_sizes_and_missing_views_fail_loudly() -> None:
    with pytest.raises(InputError, match="rows"):
        table_sizes(-1)
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


def test_cli_generate_and_info(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    runner = CliRunner()
    made = runner.invoke(app, ["records", "generate", "--rows", "40", "--seed", "2", "--url", url])
    assert made.exit_code == 0, made.output
    assert "generated 205 rows (40 arrests, seed 2)" in made.output
    shown = runner.invoke(app, ["records", "info", "--url", url])
    assert shown.exit_code == 0, shown.output
    assert any(line.split() == ["cpd-arrests", "cpd_arrests", "40"]
               for line in shown.output.splitlines())


def test_cli_info_without_a_database_is_a_configuration_error(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "sanctuarygate", "records", "info", "--url",
                          f"sqlite:///{tmp_path / 'none.db'}"], capture_output=True, text=True,
                         timeout=120, env=dict(os.environ))
    assert out.returncode == 5 and "records generate" in out.stderr
    assert not (tmp_path / "none.db").exists()
