"""Synthetic records: generation is deterministic, proportionate and the same on SQLite and
PostgreSQL; ``records generate`` writes them and ``records info`` counts them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

import sanctuarygate.demo.records as records_module
from sanctuarygate.cli.main import app
from sanctuarygate.demo.records import generate, table_sizes
from sanctuarygate.errors import InputError
from sanctuarygate.gateway.records import TABLES, view_counts, view_of
from sanctuarygate.policy.default import default_library
from sanctuarygate.store.db import make_engine

CATALOG = default_library().catalog


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
        monkeypatch.setattr(records_module, "_uses_copy", lambda conn: False)
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



def test_bad_sizes_fail_loudly() -> None:
    with pytest.raises(InputError, match="rows"):
        table_sizes(-1)


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
