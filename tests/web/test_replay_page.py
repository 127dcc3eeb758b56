"""``/replay``: the what-if replay for reviewers and auditors, over a private log known by hand.

The log: on 2025-03-10, ICE-HSI asks twice for CPD arrest data for a criminal investigation
(review: a supervisor confirms the criminal case), CBP-USBP once (deny) and the FBI once (allow
with conditions). Adding the OCAD proposal (no DHS agency reads CPD data) turns ICE-HSI's two
requests from review to deny, by its ``dhs-databases`` rule; nothing else moves.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.request import parse_request
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import Settings, load_settings
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.staff import add_staff
from sanctuarygate.web.app import create_app

from .conftest import TestClient
from .staff import PASSWORD, sign_in

OCAD = "ocad-proposed-eo-2019"
YEAR = {"profile": "chicago", "date_from": "2025-01-01", "date_to": "2025-12-31"}


def fill(log: DecisionLog, decider: Decider) -> None:
    for agency in ("ICE-HSI", "ICE-HSI", "CBP-USBP", "FBI"):
        request = parse_request({
            "profile": "chicago", "date": "2025-03-10", "principal": {"agency": agency},
            "action": "query-dataset", "resource": {"type": "Dataset", "id": "cpd-arrests"},
            "context": {"purpose": "criminal-investigation", "document": {"kind": "none"}}})
        log.record(request, decider.decide(request), actor="staff:s-test")


def replay_log(engine: Engine, folder: Path, decider: Decider) -> DecisionLog:
    upgrade(engine)
    log = DecisionLog(engine, origin="city.example/log", data_dir=folder / "data")
    fill(log, decider)
    return log


class Site:
    """An app over a private log, and a way to make signed-in clients for it."""

    def __init__(self, log: DecisionLog, decider: Decider, settings: Settings) -> None:
        self.log = log
        self.app = create_app(settings, decider=decider, log=log)

    def member(self, *roles: str) -> StaffMember:
        with self.log.engine.begin() as conn:
            member, _ = add_staff(conn, f"r-{secrets.token_hex(4)}", roles,
                                  password=PASSWORD)
        return member

    def client(self, *roles: str) -> tuple[TestClient, str]:
        """A client signed in with ``roles`` (none: not signed in), and its CSRF token."""
        client = TestClient(self.app)
        if not roles:
            return client, ""
        return client, sign_in(client, self.member(*roles))


@pytest.fixture(scope="module")
def site(decider: Decider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("replay")
    engine = make_engine(f"sqlite:///{folder / 'log.sqlite'}")
    yield Site(replay_log(engine, folder, decider), decider, load_settings())
    engine.dispose()


def post(client: TestClient, token: str, path: str = "/replay", **form: Any) -> Any:
    return client.post(path, data={"csrf_token": token, **form})


def summary(html: str) -> str:
    found = re.search(r'id="replay-summary">(.*?)</div>', html, re.S)
    assert found, "no summary on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_a_reviewer_replays_the_year_with_the_ocad_proposal(site: Site) -> None:
    client, token = site.client("reviewer")
    form = client.get("/replay")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    size = site.log.size()
    page = post(client, token, **YEAR, add=[OCAD])
    assert page.status_code == 200, page.text
    assert site.log.size() == size  # nothing written
    assert summary(page.text) == ("Of 4 logged decisions replayed, 2 would have been answered "
                                  "differently and 2 the same. 2 requests: sent to a person, "
                                  "would have been refused.")
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>[^<]*</td><td>([^<]+)</td>'
                      r'<td>([^<]+)</td><td class="n">(\d+)</td>', page.text)
    assert rows == [("ICE-HSI", "sent to a person", "refused", "2")]
    assert f"{OCAD}/dhs-databases" in page.text and "newly decides" in page.text
    assert 'href="/log/0"' in page.text and 'href="/log/1"' in page.text  # the examples
    assert "in_custody" not in page.text


def test_an_auditor_may_replay_too(site: Site) -> None:
    client, token = site.client("auditor")
    page = post(client, token, **YEAR, remove=["chi-wco-2021"])
    assert page.status_code == 200, page.text
    assert 'id="replay-report"' in page.text


@pytest.mark.parametrize("roles", [("desk",), ("records",), ("admin",)])
def test_other_roles_are_refused(site: Site, roles: tuple[str, ...]) -> None:
    client, token = site.client(*roles)
    assert client.get("/replay").status_code == 403
    refused = post(client, token, **YEAR, add=[OCAD])
    assert refused.status_code == 403 and 'id="replay-report"' not in refused.text
    assert post(client, token, "/replay/pdf", **YEAR, add=[OCAD]).status_code == 403


def test_not_signed_in_is_asked_to_sign_in(site: Site) -> None:
    client, _ = site.client()
    answer = client.get("/replay")
    assert answer.status_code == 401 and "Sign in to replay" in answer.text


def test_a_post_without_this_sessions_csrf_token_is_refused(site: Site) -> None:
    client, _ = site.client("reviewer")
    for token in ("", "forged"):
        refused = post(client, token, **YEAR, add=[OCAD])
        assert refused.status_code == 403 and 'id="replay-report"' not in refused.text
        assert post(client, token, "/replay/pdf", **YEAR, add=[OCAD]).status_code == 403


@pytest.mark.parametrize(("change", "field", "says"), [
    ({"date_to": "2025-02-30"}, "date_to", "is not a date"),
    ({"add": ["no-such-pack"]}, None, "unknown pack"),
    ({"add": []}, None, "nothing to replay against"),
    ({"date_from": "2026-01-01"}, None, "after"),
    ({"date_from": "2020-01-01"}, None, "at most 366 days"),
    ({"profile": "atlantis"}, None, "atlantis"),
])
def test_bad_input_is_the_form_with_the_error_never_an_old_report(
        site: Site, change: dict[str, Any], field: str | None, says: str) -> None:
    client, token = site.client("reviewer")
    assert 'id="replay-report"' in post(client, token, **YEAR, add=[OCAD]).text
    page = post(client, token, **{**YEAR, "add": [OCAD], **change})
    assert page.status_code == 422, page.text
    assert 'id="replay-report"' not in page.text  # the earlier report is gone
    assert re.search(r'id="replay-error">.*' + re.escape(says), page.text), page.text
    if field:
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page.text)
    pdf = post(client, token, "/replay/pdf", **{**YEAR, "add": [OCAD], **change})
    assert pdf.status_code == 422 and pdf.headers["content-type"].startswith("text/html")


def test_a_range_with_more_decisions_than_the_setting_is_refused(
        decider: Decider, site: Site) -> None:
    bounded = Site(site.log, decider,
                   load_settings().model_copy(update={"replay_max_decisions": 3}))
    client, token = bounded.client("reviewer")
    page = post(client, token, **YEAR, add=[OCAD])
    assert page.status_code == 422
    assert "4 logged decisions" in page.text and "at most 3" in page.text
    narrow = post(client, token, **{**YEAR, "date_to": "2025-03-09"}, add=[OCAD])
    assert narrow.status_code == 200 and "Of 0 logged decisions replayed" in narrow.text


def test_one_replay_at_a_time_the_other_is_told_to_retry(site: Site) -> None:
    client, token = site.client("auditor")
    assert post(client, token, **YEAR, add=[OCAD]).status_code == 200
    slot = site.app.state.replay_slot  # held, as by a replay running in another thread
    assert slot.acquire(blocking=False)
    try:
        for path in ("/replay", "/replay/pdf"):
            busy = post(client, token, path, **YEAR, add=[OCAD])
            assert busy.status_code == 429 and busy.headers["retry-after"] == "30"
            assert "Another replay is running" in busy.text
            assert 'id="replay-report"' not in busy.text
    finally:
        slot.release()
    assert post(client, token, **YEAR, add=[OCAD]).status_code == 200


def test_the_page_in_spanish(site: Site) -> None:
    client, token = site.client("reviewer")
    client.cookies.set("lang", "es")
    page = post(client, token, **YEAR, add=[OCAD])
    assert page.status_code == 200
    assert '<html lang="es">' in page.text
    assert summary(page.text) == ("De 4 decisiones registradas y reproducidas, 2 habrían "
                                  "recibido otra respuesta y 2 la misma. 2 solicitudes: "
                                  "enviadas a una persona; habrían sido denegadas.")


def test_the_pdf_download_and_postgresql(decider: Decider, db_engine: Engine,
                                         tmp_path: Path) -> None:
    """The route on SQLite and PostgreSQL: the PDF holds the page's numbers."""
    from pypdf import PdfReader

    site = Site(replay_log(db_engine, tmp_path, decider), decider, load_settings())
    client, token = site.client("reviewer")
    answer = post(client, token, "/replay/pdf", **YEAR, add=[OCAD])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    text = " ".join(" ".join(p.extract_text().split())
                    for p in PdfReader(io.BytesIO(answer.content)).pages)
    assert "Of 4 logged decisions replayed, 2 would have been answered differently" in text
    assert "Decisions replayed 4 Answered differently 2 Answered the same 2" in text
    assert f"checkpoint of {site.log.size()} entries" in text
