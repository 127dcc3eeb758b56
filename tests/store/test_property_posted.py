"""Recording a posted sign on a registered property, on SQLite and PostgreSQL; and the command."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cli_run import run_cli
from sanctuarygate.domain.property import Property
from sanctuarygate.errors import InputError
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.property import import_properties, list_properties, record_sign

LOT = Property("T-LOT-1", "north-chicago", "Lot 1", "parking-lot", "city",
               department="Public Works")


def test_a_posted_sign_is_recorded_and_the_unsigned_list_drops_it(db_engine: Engine) -> None:
    upgrade(db_engine)
    with db_engine.begin() as conn:
        import_properties(conn, "north-chicago", [LOT])
        assert [p.id for p in list_properties(conn, unsigned=True)] == ["T-LOT-1"]
        done = record_sign(conn, "T-LOT-1", dt.date(2025, 11, 3), "  Public   Works crew 2 ")
        assert (done.sign_posted_on, done.sign_posted_by) == (dt.date(2025, 11, 3),
                                                              "Public Works crew 2")
        assert list_properties(conn, unsigned=True) == []
        for bad, says in [(("NOPE", dt.date(2025, 11, 3), "Works"), "not in the city's"),
                          (("T-LOT-1", dt.date.today() + dt.timedelta(days=5), "Works"),
                           "in the future"),
                          (("T-LOT-1", dt.date(2025, 11, 3), "   "), "say who posted")]:
            with pytest.raises(InputError, match=says):
                record_sign(conn, *bad)


def test_the_command_records_and_refuses_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(tmp_path / "data")}
    demo = Path(__file__).resolve().parents[2] / "src/sanctuarygate/demo/property/waukegan.geojson"

    def sg(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(["property", *args], env=env)

    assert sg("import", str(demo), "--place", "waukegan").returncode == 0
    first = sg("list", "--unsigned").stdout.split("\t")[0]
    done = sg("posted", first, "--by", "Public Works", "--on", "2025-11-04")
    assert done.returncode == 0 and done.stdout.strip() == \
        f"{first}: sign posted on 2025-11-04 by Public Works"
    assert first not in sg("list", "--unsigned").stdout
    bad = sg("posted", first, "--by", "Public Works", "--on", "4 Nov")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "YYYY-MM-DD" in bad.stderr
