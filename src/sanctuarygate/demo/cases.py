"""Two cases waiting in the demo's review queue, so that each role a tour signs in as has
something to do: a desk officer's review (the USMS asks for a transfer on a federal criminal
warrant nobody has checked yet: a reviewer decides) and a partner agency's gateway query (the
FBI asks for arrest records it would share onward with the TSA: the records unit decides which
columns to release). Both are made through the product's own doors (``record_and_queue``, the
gateway's ``release``), so their log entries are the ones a real desk and agency would leave;
their actor is ``demo-seed``."""

from __future__ import annotations

from pathlib import Path

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.request import parse_request
from sanctuarygate.gateway.plan import QueryRefusedError
from sanctuarygate.gateway.release import Gateway, release
from sanctuarygate.policy.decide import Decider
from sanctuarygate.review.queue import record_and_queue
from sanctuarygate.settings import Settings
from sanctuarygate.store.case import list_cases
from sanctuarygate.store.credential import authenticate
from sanctuarygate.store.db import make_engine

#: The query the demo's FBI key asks; sharing onward with the TSA leaves it to a person.
GATEWAY_QUERY = {"dataset": "cpd-arrests", "fields": ["*"], "purpose": "criminal-investigation",
                 "onward_recipients": ["TSA"], "limit": 10}


def desk_request(today: str) -> dict[str, object]:
    """The README's request (step 2), for today: a review until the warrant is checked."""
    return {"profile": "chicago", "date": today, "principal": {"agency": "USMS"},
            "action": "transfer-custody",
            "resource": {"type": "Person", "in_custody": True, "has_detainer": True},
            "context": {"purpose": "criminal-investigation",
                        "document": {"kind": "federal-criminal-warrant", "verified": "unknown"}}}


def seed_cases(log: DecisionLog, decider: Decider, settings: Settings, *,
               records_url: str | None, key_file: Path) -> list[str]:
    """Open the two demo cases unless the queue already has cases; one line for each made.
    The gateway's case needs the records database (``records_url``) and the demo's FBI key."""
    with log.engine.connect() as conn:
        if list_cases(conn, limit=1):
            return []
    made = []
    request = parse_request(desk_request(settings.today().isoformat()))
    recorded = record_and_queue(log, request, decider.decide(request), actor="demo-seed",
                                source="desk", asked_by="Deputy (as told at the desk)")
    if recorded.case_id is not None:
        made.append(f"case {recorded.case_id} (a desk review) waits for a reviewer")
    if records_url is None:
        return made
    records = make_engine(records_url)
    try:
        with log.engine.connect() as conn:
            key = authenticate(conn, key_file.read_text(encoding="ascii").strip())
        gw = Gateway(decider, log, records, settings.profile, settings.data_dir,
                     settings.gateway_pack_ids, settings.timezone,
                     settings.review_release_hours)
        try:
            release(gw, key, dict(GATEWAY_QUERY), via="demo seed").close()
        except QueryRefusedError as refused:
            case_id = getattr(refused, "case_id", None)
            if case_id is not None:
                made.append(f"case {case_id} (an FBI gateway query) waits for the records unit")
    finally:
        records.dispose()
    return made
