"""The demo's property registries: a small, clearly synthetic GeoJSON file per place
(``demo/property/<place>.geojson``: names and addresses say "synthetic", ids are made up),
imported as ``sanctuarygate property import`` would, all in one transaction."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from sanctuarygate.domain.property_file import read_features
from sanctuarygate.store.property import import_properties

FILES = Path(__file__).parent / "property"


def seed_properties(engine: Engine) -> str:
    """Import (or update: idempotent) every demo registry; one line saying how many."""
    total = 0
    with engine.begin() as conn:
        for path in sorted(FILES.glob("*.geojson")):
            place = path.stem
            found = read_features(json.loads(path.read_text(encoding="utf-8")), place)
            import_properties(conn, place, found)
            total += len(found)
    return f"{total} synthetic properties in the registry"
