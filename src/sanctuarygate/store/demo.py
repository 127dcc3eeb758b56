"""The embedded demo: an SQLite database with the schema, example desk answers and their
entries in the public decision log (each answer and its entry in one transaction)."""

from __future__ import annotations

from sqlalchemy import func, select

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record_decision
from sanctuarygate.domain.request import parse_request
from sanctuarygate.policy.default import default_decider
from sanctuarygate.policy.scenario import load_cases
from sanctuarygate.settings import get_settings
from sanctuarygate.store.answer import count_by_outcome, record_answer
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.tables import desk_answer


def seed_demo(url: str | None = None) -> str:
    """Upgrade the schema and, if the database holds no answers yet, record the decisions for
    the example cases shipped with the packs, each with its log entry, then publish a signed
    checkpoint. Idempotent. Returns a one-line summary."""
    settings = get_settings()
    target = url or settings.database_url_resolved
    engine = make_engine(target)
    try:
        upgrade(engine)
        log = DecisionLog(engine, origin=settings.log_origin, data_dir=settings.data_dir)
        _ = log.signer  # make sure the signing key exists before the first append
        decider = default_decider()
        with engine.begin() as conn:
            existing = conn.execute(select(func.count()).select_from(desk_answer)).scalar_one()
        if not existing:
            for path in sorted(settings.packs_dir.glob("*/scenarios.yaml")):
                for case in load_cases(path):
                    request = parse_request(case)
                    decision = decider.decide(request)
                    with engine.begin() as conn:
                        record_answer(conn, request, decision, source="demo-seed")
                        record_decision(conn, request, decision, actor="demo-seed")
        log.checkpoint()
        with engine.connect() as conn:
            counts = count_by_outcome(conn)
        size = log.size()
    finally:
        engine.dispose()
    total = sum(counts.values())
    parts = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    return (f"demo database ready at {target}: {total} recorded answers ({parts}); "
            f"decision log of {size} entries, checkpoint signed")
