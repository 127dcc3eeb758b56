"""A copy of the document shown for a case: uploaded by staff who record answers (API and the
case page's form), checked by content, size-limited, kept under the data directory with a
random name, and served only to staff who read cases (401 / 403 otherwise)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sanctuarygate.audit.default import default_log
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import get_settings
from sanctuarygate.store.document_copy import FOLDER

from .conftest import TestClient, web_app
from .staff import new_member, sign_in, token_of
from .test_cases import split_body, split_form

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def app(decider: Decider) -> Any:
    return web_app(decider)


def _bearer(token: str, media: str = "application/pdf") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": media}


def _case(client: TestClient, desk: str) -> int:
    made = client.post("/api/v1/decisions", json=split_body(), headers=_bearer(
        desk, "application/json")).json()
    return int(made["case_id"])


def test_the_api_takes_a_copy_and_serves_it_to_readers_only(app: Any) -> None:
    client = TestClient(app)
    _, desk = token_of("desk")
    _, auditor = token_of("auditor")
    _, records = token_of("records")
    case_id = _case(client, desk)
    path = f"/api/v1/cases/{case_id}/document"
    copy = f"{path}/copy"
    size = default_log().size()

    assert client.put(path, content=PDF).status_code == 401
    assert client.put(path, content=PDF, headers=_bearer(auditor)).status_code == 403
    assert client.put(path, content=PDF, headers=_bearer(records)).status_code == 403
    stored = client.put(path, content=PDF, headers=_bearer(desk))
    assert stored.status_code == 200, stored.text
    assert stored.json()["copy"]["media_type"] == "application/pdf"
    assert stored.json()["copy"]["size"] == len(PDF)

    assert client.get(copy).status_code == 401
    assert client.get(copy, headers=_bearer(desk)).status_code == 403
    # the records unit reads the gateway's cases only: a desk case is no case to it
    assert client.get(copy, headers=_bearer(records)).status_code == 404
    served = client.get(copy, headers=_bearer(auditor))
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["x-content-type-options"] == "nosniff"
    case = client.get(f"/api/v1/cases/{case_id}", headers=_bearer(auditor)).json()
    assert case["document"]["copy"]["href"] == f"/cases/{case_id}/document"

    folder = Path(get_settings().data_dir) / FOLDER
    kept = [p for p in folder.iterdir() if p.read_bytes() == PDF]
    assert len(kept) == 1 and len(kept[0].stem) == 32 and kept[0].suffix == ".pdf"
    assert oct(kept[0].stat().st_mode & 0o777) == "0o600"

    again = client.put(path, content=PNG, headers=_bearer(desk, "application/pdf"))
    assert again.status_code == 200 and again.json()["copy"]["media_type"] == "image/png"
    assert not kept[0].exists()  # the replaced copy is removed
    assert client.get(copy, headers=_bearer(auditor)).content == PNG
    assert default_log().size() == size  # nothing goes to the public log


def test_a_copy_is_checked_by_content_and_size(app: Any) -> None:
    client = TestClient(app)
    _, desk = token_of("desk")
    case_id = _case(client, desk)
    path = f"/api/v1/cases/{case_id}/document"
    folder = Path(get_settings().data_dir) / FOLDER
    before = set(folder.iterdir()) if folder.exists() else set()
    text = client.put(path, content=b"<html>not a warrant</html>", headers=_bearer(desk))
    assert text.status_code == 422 and "PDF, a JPEG or a PNG" in text.text
    assert text.headers["content-type"].startswith("application/problem+json")
    gif = client.put(path, content=b"GIF89a" + b"\x00" * 32, headers=_bearer(desk, "image/png"))
    assert gif.status_code == 422
    limit = get_settings().case_document_max_bytes
    big = client.put(path, content=b"%PDF-" + b"x" * limit, headers=_bearer(desk))
    assert big.status_code == 413
    huge = client.put(path, content=b"%PDF-" + b"x" * (limit + 70_000), headers=_bearer(desk))
    assert huge.status_code == 413
    assert client.put("/api/v1/cases/999999/document", content=PDF,
                      headers=_bearer(desk)).status_code == 404
    after = set(folder.iterdir()) if folder.exists() else set()
    assert after == before  # nothing refused was kept
    no_copy = client.get(f"{path}/copy", headers=_bearer(token_of("reviewer")[1]))
    assert no_copy.status_code == 404


def test_the_case_page_form_takes_a_copy_and_links_it(app: Any) -> None:
    client = TestClient(app)
    _, desk = token_of("desk")
    case_id = _case(client, desk)
    reviewer = TestClient(app)
    token = sign_in(reviewer, new_member("reviewer"))
    page = reviewer.get(f"/cases/{case_id}").text
    assert 'id="case-document-form"' in page and 'id="case-document-copy"' not in page
    refused = reviewer.post(f"/cases/{case_id}/document", files={"file": ("w.pdf", PDF)})
    assert refused.status_code == 403  # no CSRF token
    sent = reviewer.post(f"/cases/{case_id}/document", files={"file": ("w.pdf", PDF)},
                         data={"csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert 'id="case-document-copy"' in reviewer.get(f"/cases/{case_id}").text
    assert reviewer.get(f"/cases/{case_id}/document").content == PDF

    assert TestClient(app).get(f"/cases/{case_id}/document").status_code == 401
    auditor = TestClient(app)
    sign_in(auditor, new_member("auditor"))
    assert auditor.get(f"/cases/{case_id}/document").content == PDF
    assert 'id="case-document-form"' not in auditor.get(f"/cases/{case_id}").text
    desk_page = TestClient(app)
    sign_in(desk_page, new_member("desk"))
    assert desk_page.get(f"/cases/{case_id}/document").status_code == 403


def test_the_desk_card_attaches_a_copy_to_the_case_it_opened(app: Any) -> None:
    desk = TestClient(app)
    token = sign_in(desk, new_member("desk"))
    desk.headers["X-CSRF-Token"] = token
    card = desk.post("/decide", data={**split_form(), "mode": "record"},
                     headers={"HX-Request": "true"})
    found = re.search(r'action="/cases/(\d+)/document"', card.text)
    assert found, card.text
    case_id = int(found.group(1))
    sent = desk.post(f"/cases/{case_id}/document", files={"file": ("w.png", PNG)},
                     data={"csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"/cases/{case_id}/status"
    bad = desk.post(f"/cases/{case_id}/document", files={"file": ("w.pdf", b"plain text")},
                    data={"csrf_token": token})
    assert bad.status_code == 422
    _, auditor = token_of("auditor")
    assert TestClient(app).get(f"/api/v1/cases/{case_id}/document/copy",
                               headers=_bearer(auditor)).content == PNG
    tried = desk.post("/decide", data={**split_form(), "mode": "try"},
                      headers={"HX-Request": "true"})
    assert tried.status_code == 200 and "NOT RECORDED" in tried.text
    assert "case-document-form" not in tried.text  # a try opens no case
