"""Misuse reports keep photos and contact details only as long as the city's schedule says:
``forget_personal`` in the store (SQLite and PostgreSQL) and ``sanctuarygate misuse forget``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path

from sqlalchemy import Engine

from cli_run import run_cli
from sanctuarygate.domain.misuse import ReportForm
from sanctuarygate.store.case import open_case
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.misuse import (
    add_report,
    forget_personal,
    get_report,
    link_case,
    listed_photos,
    monthly_counts,
)
from sanctuarygate.web.misuse_photo import FOLDER, save_photos, stray_photos

NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


def _form(contact: str | None = "call 555-0100") -> ReportForm:
    return ReportForm("north-chicago", None, (42.3, -87.8), dt.date(2025, 6, 1), None,
                      ("vehicles",), "Two vans by the gate.", contact)


def test_old_reports_lose_photos_and_contact_unless_a_case_holds_them(
        db_engine: Engine) -> None:
    upgrade(db_engine)
    old, recent = NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=10)
    with db_engine.begin() as conn:
        aged = add_report(conn, _form(), photos=["a" * 32 + ".jpg", "b" * 32 + ".jpg"], at=old)
        bare = add_report(conn, _form(contact=None), photos=[], at=old)
        fresh = add_report(conn, _form(), photos=["c" * 32 + ".jpg"], at=recent)
        held = add_report(conn, _form(), photos=["d" * 32 + ".jpg"], at=old)
        case_id = open_case(conn, {"action": "use-property"}, {"outcome": "review"},
                            agency="ICE-ERO", log_index=None, source="desk", actor="staff:x")
        link_case(conn, held.id, case_id)
        counts = monthly_counts(conn)
    with db_engine.begin() as conn:
        gone = forget_personal(conn, received_before=NOW - dt.timedelta(days=365))
    assert gone.reports == (aged.id,)  # the bare one held nothing to forget
    assert sorted(gone.photos) == ["a" * 32 + ".jpg", "b" * 32 + ".jpg"]
    with db_engine.connect() as conn:
        after = {r: get_report(conn, r) for r in (aged.id, bare.id, fresh.id, held.id)}
        assert monthly_counts(conn) == counts  # the counts do not change
        assert listed_photos(conn) == {"c" * 32 + ".jpg", "d" * 32 + ".jpg"}
    assert (after[aged.id].photos, after[aged.id].contact) == ((), None)
    assert after[aged.id].details == "Two vans by the gate."  # the rest stays
    assert after[fresh.id].contact == "call 555-0100" and after[fresh.id].photos
    assert after[held.id].contact == "call 555-0100" and after[held.id].photos
    with db_engine.begin() as conn:  # a second run has nothing left to do
        assert forget_personal(conn, received_before=NOW).reports == (fresh.id,)


def test_stray_photo_files_are_found_only_when_old(tmp_path: Path) -> None:
    listed, stray = save_photos([b"x", b"y"], tmp_path)
    old = time.time() - 7200
    os.utime(tmp_path / FOLDER / stray, (old, old))
    os.utime(tmp_path / FOLDER / listed, (old, old))
    assert stray_photos({listed}, tmp_path, older_than=time.time() - 3600) == [stray]
    assert stray_photos({listed}, tmp_path, older_than=old - 1) == []  # too new to judge
    assert stray_photos(set(), tmp_path / "none", older_than=time.time()) == []


def test_the_command_forgets_old_reports_and_removes_their_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = make_engine(f"sqlite:///{data / 'sanctuarygate.db'}")
    upgrade(engine)
    names = save_photos([b"old photo", b"new photo"], data)
    with engine.begin() as conn:
        add_report(conn, _form(), photos=names[:1], at=dt.datetime.now(dt.UTC)
                   - dt.timedelta(days=100))
        kept = add_report(conn, _form(), photos=names[1:])
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANCTUARYGATE_")}

    def forget(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(["misuse", "forget", *args],
                       env={**env, "SANCTUARYGATE_DATA_DIR": str(data)})

    dry = forget("--days", "30", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove the photos (1) and contact details of 1 report(s)" in dry.stdout
    assert (data / FOLDER / names[0]).exists()
    done = forget("--days", "30")
    assert done.returncode == 0 and "removed the photos (1)" in done.stdout, done.stderr
    assert not (data / FOLDER / names[0]).exists() and (data / FOLDER / names[1]).exists()
    assert forget("--days", "0").returncode == 2  # at least a day
    engine = make_engine(f"sqlite:///{data / 'sanctuarygate.db'}")
    with engine.connect() as conn:
        assert get_report(conn, kept.id).photos == tuple(names[1:])
    engine.dispose()
