"""The demo's property registries: clearly synthetic, one per place, imported idempotently."""

from __future__ import annotations

from pathlib import Path

from sanctuarygate.demo.property import seed_properties
from sanctuarygate.policy.default import default_library
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.store.property import list_properties


def test_demo_registries_are_synthetic_and_seeded_once(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sg.db'}")
    upgrade(engine)
    first = seed_properties(engine)
    assert seed_properties(engine) == first
    with engine.connect() as conn:
        found = list_properties(conn)
    engine.dispose()
    assert first == f"{len(found)} synthetic properties in the registry"
    places = {p.place for p in found}
    assert places == {"chicago", "north-chicago", "waukegan"}
    assert places <= set(default_library().profiles)
    assert all("Synthetic" in p.name and "(synthetic)" in (p.address or "") for p in found)
    assert any(p.signed for p in found) and any(not p.signed for p in found)
