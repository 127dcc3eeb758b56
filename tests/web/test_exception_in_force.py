"""An exception applies on the desk card and in the API only while it is in force: it waits for
its second approver, then overrides the answer until it expires, then the answer holds again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sanctuarygate.audit.default import default_log
from sanctuarygate.domain.case import ExceptionGrant
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.decide import Decider
from sanctuarygate.review.exception import approve_exception, grant_exception
from sanctuarygate.review.queue import case_decision
from sanctuarygate.store.case import open_case

from .conftest import TestClient, web_app
from .staff import new_member, sign_in, token_of
from .test_cases import denied_body

HTMX = {"HX-Request": "true"}
GRANT = ExceptionGrant("allow", (), "Emergency order 3", "Evacuation of the building.", 4)


def _denied_case(decider: Decider) -> int:
    asked = parse_request(denied_body())
    with default_log().engine.begin() as conn:
        return open_case(conn, asked.to_dict(), case_decision(decider.decide(asked)),
                         agency="ICE-ERO", log_index=None, source="desk", actor="desk")


def _card(app: Any, case_id: int) -> str:
    desk = TestClient(app)
    sign_in(desk, new_member("desk"))
    answer = desk.get(f"/cases/{case_id}/status", headers=HTMX)
    assert answer.status_code == 200
    return answer.text


def _api(app: Any, case_id: int) -> dict[str, Any]:
    _, token = token_of("auditor")
    got = TestClient(app).get(f"/api/v1/cases/{case_id}",
                              headers={"authorization": f"Bearer {token}"})
    assert got.status_code == 200, got.text
    return dict(got.json()["answer_in_force"])


def test_an_exception_waits_then_applies(decider: Decider) -> None:
    app, log = web_app(decider), default_log()
    case_id = _denied_case(decider)
    granted = grant_exception(log, decider, case_id, GRANT, actor="staff:s-0000aaaa")
    card = _card(app, case_id)
    assert 'id="exception-pending"' in card and 'id="exception-answer"' not in card
    assert 'hx-trigger="every' in card  # the card keeps asking until it is decided
    assert _api(app, case_id) == {"source": "rules", "outcome": "deny", "conditions": [],
                                  "clause": "", "by": None, "until": None, "exception": None,
                                  "awaiting_approval": granted.id}
    approve_exception(log, granted.id, actor="staff:s-0000bbbb")
    card = _card(app, case_id)
    assert 'id="exception-answer"' in card and "ALLOW" in card.upper()
    assert "staff:s-0000bbbb" in card and "Emergency order 3" in card
    assert f'href="/log/{granted.log_index}"' in card
    answer = _api(app, case_id)
    assert (answer["source"], answer["outcome"], answer["exception"]) == ("exception", "allow",
                                                                          granted.id)


def test_an_expired_exception_no_longer_applies(decider: Decider) -> None:
    app, log = web_app(decider), default_log()
    case_id = _denied_case(decider)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)  # granted for 4 hours, 6 hours ago
    granted = grant_exception(log, decider, case_id, GRANT, actor="staff:s-0000aaaa", at=past)
    approve_exception(log, granted.id, actor="staff:s-0000bbbb",
                      at=past + dt.timedelta(minutes=5))
    card = _card(app, case_id)
    assert 'id="exception-answer"' not in card and 'id="exception-pending"' not in card
    assert _api(app, case_id)["source"] == "rules"
