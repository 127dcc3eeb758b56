"""Fixtures for the misuse report tests: an app over a private database (with two registered
properties), a client that loads the form and sends it as a browser would, photos made here."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from PIL import Image
from sqlalchemy import text

from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import Settings
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.staff import add_staff
from sanctuarygate.web.app import create_app

from .conftest import TestClient
from .staff import PASSWORD

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GOOD = {"place": "north-chicago", "property_id": "NC-LOT-14", "seen_on": "2026-11-30",
        "seen_time": "06:40", "what_seen": ["vehicles", "staging"],
        "details": "Six SUVs and a bus, agents in vests, by the east gate."}
PROPERTIES = [("NC-LOT-14", "north-chicago", "Lot 14, Sheridan Rd", "Public Works"),
              ("NC-GAR-2", "north-chicago", "Garage 2", "Parks")]


def report_app(decider: Decider, folder: Path, **settings: Any) -> TestClient:
    """A started app (migrated) over ``folder``, with the registry's two properties."""
    client = TestClient(bare_app(decider, folder, **settings))
    client.__enter__()  # the lifespan: migrations, keys
    return client


def bare_app(decider: Decider, folder: Path, **settings: Any) -> FastAPI:
    """The app over ``folder``, its database migrated, with the registry's two properties
    (not started: for a server run with ``lifespan="off"``)."""
    config = Settings(data_dir=folder, report_limit=1000, **settings)
    app = create_app(config, decider=decider)
    engine = app.state.log.engine
    upgrade(engine)
    with engine.begin() as conn:
        for pid, place, name, department in PROPERTIES:
            conn.execute(text(
                "INSERT INTO city_property (id, place, name, kind, owner, leased, department,"
                " geometry, updated_at) VALUES (:id, :place, :name, 'parking-lot', 'city',"
                " false, :dept, :geo, :at)"),
                {"id": pid, "place": place, "name": name, "dept": department,
                 "geo": json.dumps({"type": "Point", "coordinates": [-87.84, 42.31]}),
                 "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})
    return app


def send(client: TestClient, fields: dict[str, Any] | None = None,
         files: list[tuple[str, bytes]] | None = None, lang: str = "en") -> Any:
    """Load the form (its token), then post ``fields`` (default :data:`GOOD`) and files."""
    page = client.get(f"/report?lang={lang}")
    token = TOKEN.search(page.text)
    assert token, "no form token on /report"
    data = {"form_token": token.group(1), **(GOOD if fields is None else fields)}
    parts = [("photos", (name, body, "image/jpeg")) for name, body in files or []]
    return client.post(f"/report?lang={lang}", data=data, files=parts or None)


def stored_rows(client: TestClient) -> list[dict[str, Any]]:
    engine = client.app.state.log.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM misuse_report"))]


def photo_files(folder: Path) -> list[Path]:
    where = folder / "report-photos"
    return sorted(where.iterdir()) if where.is_dir() else []


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG carrying EXIF: a GPS position, a camera make and model, a time."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X-42"  # Model
    exif[0x0132] = "2026:11:30 06:40:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (42.0, 18.0, 36.0)
    gps[3], gps[4] = "W", (87.0, 50.0, 24.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def member_of(client: TestClient, *roles: str) -> tuple[StaffMember, str]:
    """A new account in the app's database, signed in; the session's CSRF token."""
    engine = client.app.state.log.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        member, _ = add_staff(conn, f"t-{secrets.token_hex(4)}", roles, password=PASSWORD)
    page = client.get("/signin")
    token = CSRF.search(page.text)
    assert token
    answer = client.post("/signin", data={"name": member.name, "password": PASSWORD,
                                          "csrf_token": token.group(1)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    found = CSRF.search(client.get("/").text)
    assert found
    return member, found.group(1)
