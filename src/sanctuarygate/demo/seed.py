"""The embedded demo: an SQLite database with the schema, example desk answers and their
entries in the public decision log (each answer and its entry in one transaction), a small
synthetic police records database for the gateway, and an FBI key to query it with."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record_decision
from sanctuarygate.demo.cases import seed_cases
from sanctuarygate.demo.property import seed_properties
from sanctuarygate.demo.records import generate
from sanctuarygate.errors import ConfigurationError
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.records import view_counts
from sanctuarygate.policy.default import default_decider
from sanctuarygate.policy.scenario import case_request, load_cases
from sanctuarygate.secret import publish_once
from sanctuarygate.settings import get_settings
from sanctuarygate.store.answer import count_by_outcome, record_answer
from sanctuarygate.store.case import count_by_state
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.staff import add_staff, list_staff
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
                    request = case_request(case)
                    decision = decider.decide(request)
                    with engine.begin() as conn:
                        record_answer(conn, request, decision, source="demo-seed")
                        record_decision(conn, request, decision, actor="demo-seed")
        key_file = _demo_key(engine, settings.data_dir)
        properties = seed_properties(engine)
        log.checkpoint()
        with engine.connect() as conn:
            counts = count_by_outcome(conn)
        size = log.size()
    finally:
        engine.dispose()
    records = _demo_records(settings.records_url_resolved if url is None else None)
    engine = make_engine(target)
    try:
        log = DecisionLog(engine, origin=settings.log_origin, data_dir=settings.data_dir)
        cases = seed_cases(log, default_decider(), settings, key_file=key_file,
                           records_url=settings.records_url_resolved if url is None else None)
        if cases:
            log.checkpoint()
            size = log.size()
        with engine.connect() as conn:
            waiting = count_by_state(conn).get("open", 0)
    finally:
        engine.dispose()
    total = sum(counts.values())
    parts = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    return (f"demo database ready at {target}: {total} recorded answers ({parts}); "
            f"decision log of {size} entries, checkpoint signed; {properties}; {records}; "
            f"an FBI gateway key is in {key_file}; {waiting} case(s) wait in the review queue")


#: One account for each role a tour of the demo meets; a second reviewer approves an exception
#: that turns a deny into an allow (the grantor may not approve their own).
DEMO_STAFF = (("demo-desk", "desk"), ("demo-reviewer", "reviewer"),
              ("demo-reviewer-2", "reviewer"), ("demo-records", "records"),
              ("demo-property", "property"), ("demo-auditor", "auditor"))


def demo_staff(url: str | None = None) -> list[str]:
    """Create the demo's staff accounts (:data:`DEMO_STAFF`) if missing;
    one line each, with the password made for it: shown only now, never stored in clear."""
    engine = make_engine(url or get_settings().database_url_resolved)
    lines = ["staff accounts (sign in at /signin; a password is shown only when made):"]
    try:
        for name, role in DEMO_STAFF:
            with engine.begin() as conn:
                if any(m.name == name for m in list_staff(conn)):
                    lines.append(f"  {name} ({role}): made before; 'sanctuarygate staff "
                                 f"password {name}' sets a new password")
                    continue
                _, password = add_staff(conn, name, [role])
            lines.append(f"  {name} ({role}): {password}")
    finally:
        engine.dispose()
    return lines


DEMO_ARRESTS = 2_000


def _demo_records(url: str | None) -> str:
    """Fill the records database with a small synthetic set, unless it already holds data."""
    if url is None:
        return "records database left alone"
    engine = make_engine(url)
    try:
        try:
            arrests = view_counts(engine, default_decider().library.catalog)["cpd-arrests"]
        except ConfigurationError:
            arrests = 0
        if not arrests:
            generate(engine, DEMO_ARRESTS, seed=0)
            arrests = DEMO_ARRESTS
    finally:
        engine.dispose()
    return f"records database with {arrests} arrests at {url}"


def _demo_key(engine: Engine, data_dir: Path) -> Path:
    """Issue one FBI key for the demo and keep it in the data directory (mode 0600).

    Two seeds racing each issue a key; only the first one written is kept in the file.
    """
    path = data_dir / "demo-fbi.key"
    if path.exists():
        return path
    with engine.begin() as conn:
        issued = issue_key(conn, "FBI", "demo")
    publish_once(path, (issued.key + "\n").encode())
    return path
