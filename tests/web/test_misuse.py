"""The public misuse report form and the staff's list, through the app (no browser).

A good report is kept with a receipt; every refusal (bad fields, a file that is no photo, a
photo or request too large, too many reports, a robot's hidden field, a missing or forged
form token) stores nothing and says why. Photos are kept without EXIF. Staff with the
property role review and link reports; auditors read; other roles get 403."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from sanctuarygate.domain.case import STATUS_WORDS
from sanctuarygate.policy.decide import Decider
from sanctuarygate.store.case import open_case

from .conftest import TestClient
from .misuse_fixtures import (
    GOOD,
    TOKEN,
    jpeg_with_gps,
    member_of,
    photo_files,
    report_app,
    send,
    stored_rows,
)

NUMBER = re.compile(r"r-[0-9a-f]{10}")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def client(decider: Decider, folder: Path) -> TestClient:
    return report_app(decider, folder, report_photo_max_bytes=200_000, report_max_photos=2)


@pytest.mark.parametrize(("lang", "heading"), [
    ("en", "Report use of city property"), ("es", "Reporte el uso de propiedad"),
    ("pl", "Zgłoś użycie mienia miejskiego"), ("zh", "举报移民执法部门使用市政物业")])
def test_the_form_speaks_four_languages(client: TestClient, lang: str, heading: str) -> None:
    page = client.get(f"/report?lang={lang}")
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text and heading in page.text
    assert "Lot 14, Sheridan Rd (NC-LOT-14)" in page.text  # the registry's list


def test_a_good_report_with_a_photo_is_kept_without_exif(client: TestClient,
                                                         folder: Path) -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # GPS is there
    answer = send(client, files=[("IMG_0001.jpg", original)], lang="es")
    assert answer.status_code == 200, answer.text
    assert "Reporte recibido" in answer.text
    [row] = stored_rows(client)
    assert NUMBER.fullmatch(row["id"]) and row["id"] in answer.text
    assert (row["property_id"], row["what_seen"], row["state"]) == ("NC-LOT-14",
                                                                    "staging vehicles", "new")
    [path] = photo_files(folder)
    assert [path.name] == json.loads(row["photos"]) and "IMG_0001" not in str(row)
    kept = path.read_bytes()
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert dict(image.getexif()) == {} and image.info.get("exif") is None
    for trace in (b"Exif", b"PhoneMaker", b"Model X-42", b"2026:11:30"):
        assert trace not in kept
    # nothing about the sender: no address, no browser
    assert "testclient" not in str(row) and "python-httpx" not in str(row)


def test_every_bad_field_at_once_and_nothing_kept(client: TestClient) -> None:
    answer = send(client, {"place": "north-chicago", "seen_on": "2031-01-01", "seen_time": "25:00",
                           "what_seen": ["other", "bogus"], "lat": "91", "lon": "x",
                           "details": "He is UNDOCUMENTED."})
    assert answer.status_code == 400
    named = set(re.findall(r'class="field-error" id="([a-z_]+)-error"', answer.text))
    assert named == {"lat", "seen_on", "seen_time", "what_seen", "details"}
    assert 'aria-invalid="true"' in answer.text and 'id="error-summary"' in answer.text
    assert stored_rows(client) == []


def test_a_text_file_named_jpg_is_refused(client: TestClient, folder: Path) -> None:
    answer = send(client, files=[("photo.jpg", b"GIF89a? no, just text pretending\n" * 20)])
    assert answer.status_code == 400
    assert "not a photo we can read" in answer.text
    assert stored_rows(client) == [] and photo_files(folder) == []


def test_an_oversized_photo_and_an_oversized_request_store_nothing(client: TestClient,
                                                                   folder: Path) -> None:
    noise = Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3))
    big = io.BytesIO()
    noise.save(big, "PNG")
    assert len(big.getvalue()) > 200_000
    answer = send(client, files=[("big.png", big.getvalue())])
    assert answer.status_code == 413 and "larger than the limit" in answer.text
    whole = send(client, files=[("a.jpg", b"x" * 190_000)] * 3)  # over 2 x 200 kB + 64 KiB
    assert whole.status_code == 413 and "with its photos is larger" in whole.text
    assert stored_rows(client) == [] and photo_files(folder) == []


def test_too_many_reports_from_one_client(decider: Decider, tmp_path: Path) -> None:
    client = report_app(decider, tmp_path)
    client.app.state.report_throttle.limit = 2  # type: ignore[attr-defined]
    assert [send(client).status_code for _ in range(2)] == [200, 200]
    third = send(client, lang="pl")
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
    assert "Zbyt wiele zgłoszeń" in third.text
    assert len(stored_rows(client)) == 2


def test_a_robot_and_a_forged_token_are_refused(client: TestClient) -> None:
    robot = send(client, {**GOOD, "website": "http://spam.example"})
    assert robot.status_code == 400 and "looks automated" in robot.text
    forged = client.post("/report", data={**GOOD, "form_token": "abc.def.ghi"})
    assert forged.status_code == 403
    missing = client.post("/report", data=GOOD)
    assert missing.status_code == 403
    assert stored_rows(client) == []


def test_a_form_sends_one_report(client: TestClient, folder: Path) -> None:
    """Sent again (a second click, the back button), the same form keeps nothing more: 409
    naming the report it sent, in the reader's language; a form the reporter corrects after a
    refusal still sends (a refused form kept nothing)."""
    page = client.get("/report")
    found = TOKEN.search(page.text)
    assert found
    token = found.group(1)
    refused = client.post("/report", data={"form_token": token, **GOOD, "seen_on": "soon"})
    assert refused.status_code == 400 and stored_rows(client) == []
    first = client.post("/report", data={"form_token": token, **GOOD})
    assert first.status_code == 200, first.text
    [row] = stored_rows(client)
    again = client.post("/report?lang=es", data={"form_token": token, **GOOD}, files=[
        ("photos", ("a.jpg", jpeg_with_gps(), "image/jpeg"))])
    assert again.status_code == 409
    assert f"su reporte es el número {row['id']}" in again.text
    assert len(stored_rows(client)) == 1 and photo_files(folder) == []  # its photo not kept
    assert send(client).status_code == 200 and len(stored_rows(client)) == 2  # a new form


def test_status_words_are_never_stored(client: TestClient) -> None:
    """The issue's test: each word of the status vocabulary, sent in the description or the
    contact line, is refused; then a search of every stored report finds none."""
    assert send(client, {**GOOD, "contact": "555-0100"}).status_code == 200
    for word in STATUS_WORDS:
        for name in ("details", "contact"):
            answer = send(client, {**GOOD, name: f"they shouted {word} at him"})
            assert answer.status_code == 400, (word, name)
    rows = stored_rows(client)
    assert len(rows) == 1
    text = " ".join(str(v) for row in rows for v in row.values()).lower()
    assert [w for w in STATUS_WORDS if re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])",
                                                 text)] == []


def test_staff_roles(client: TestClient) -> None:
    assert send(client).status_code == 200
    [row] = stored_rows(client)
    assert client.get("/reports").status_code == 401
    _, desk_csrf = member_of(client, "desk")
    assert client.get("/reports").status_code == 403
    assert client.post(f"/reports/{row['id']}/review",
                       data={"csrf_token": desk_csrf}).status_code == 403
    client.post("/signout", data={"csrf_token": desk_csrf})
    _, auditor_csrf = member_of(client, "auditor")
    page = client.get("/reports")
    assert page.status_code == 200 and row["id"] in page.text and "Mark reviewed" not in page.text
    assert client.post(f"/reports/{row['id']}/review",
                       data={"csrf_token": auditor_csrf}).status_code == 403
    assert stored_rows(client)[0]["state"] == "new"


def test_the_property_role_reviews_and_links_a_case(client: TestClient) -> None:
    assert send(client).status_code == 200
    assert send(client, {**GOOD, "property_id": "NC-GAR-2"}).status_code == 200
    member, csrf = member_of(client, "property")
    rows = {r["property_id"]: r for r in stored_rows(client)}
    lot = rows["NC-LOT-14"]["id"]
    works = client.get("/reports?department=Public+Works")
    assert lot in works.text and rows["NC-GAR-2"]["id"] not in works.text
    assert client.post(f"/reports/{lot}/review", data={}).status_code == 403  # no CSRF
    done = client.post(f"/reports/{lot}/review", data={"csrf_token": csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    engine = client.app.state.log.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        case_id = open_case(conn, {"action": "use-property"}, {"outcome": "review"},
                            agency="ICE-ERO", source="desk", log_index=None,
                            actor=member.actor)
    linked = client.post(f"/reports/{lot}/case", data={"csrf_token": csrf,
                                                      "case_id": str(case_id)},
                         follow_redirects=False)
    assert linked.status_code == 303
    assert client.post(f"/reports/{lot}/case", data={"csrf_token": csrf, "case_id": "99999"}
                       ).status_code == 404
    after = {r["id"]: r for r in stored_rows(client)}[lot]
    assert (after["state"], after["reviewed_by"], after["case_id"]) == ("reviewed", member.id,
                                                                       case_id)


def test_photos_are_served_to_staff_only(client: TestClient, folder: Path) -> None:
    assert send(client, files=[("p.jpg", jpeg_with_gps())]).status_code == 200
    [path] = photo_files(folder)
    assert client.get(f"/reports/photos/{path.name}").status_code == 401
    member_of(client, "property")
    shown = client.get(f"/reports/photos/{path.name}")
    assert shown.status_code == 200 and shown.content == path.read_bytes()
    assert client.get("/reports/photos/..%2Fkeys.jpg").status_code in (400, 404)


def test_counts_are_public_and_suppressed(client: TestClient) -> None:
    for _ in range(6):
        assert send(client).status_code == 200
    assert send(client, {**GOOD, "property_id": "NC-GAR-2"}).status_code == 200
    csv = client.get("/reports/counts.csv")
    assert csv.status_code == 200
    lines = csv.text.splitlines()
    assert lines[0] == "property,2026-11,total"
    assert "NC-GAR-2,<5,<5" in lines and "NC-LOT-14,withheld,withheld" in lines


def test_the_form_and_the_receipt_set_no_cookie(client: TestClient) -> None:
    """Nothing on the reporter's device either: no language, session or tracking cookie."""
    form = client.get("/report?lang=es")
    receipt = send(client, lang="es")
    assert receipt.status_code == 200
    assert "set-cookie" not in form.headers and "set-cookie" not in receipt.headers


def test_the_transparency_page_points_to_the_counts(client: TestClient) -> None:
    page = client.get("/transparency?lang=es")
    assert page.status_code == 200
    assert 'href="/reports/counts.csv"' in page.text
    assert "Reportes de uso de propiedad de la ciudad" in page.text
