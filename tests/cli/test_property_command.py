"""``sanctuarygate property import|list|show`` and ``decide`` by property id, end to end in a
fresh data directory: a bad file imports nothing, the same file twice adds nothing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from cli_run import run_cli
from sanctuarygate.settings import get_settings

DEMO = Path(__file__).resolve().parents[2] / "src" / "sanctuarygate" / "demo" / "property"


def sg(*args: str, env: dict[str, str], stdin: str | None = None
       ) -> subprocess.CompletedProcess[str]:
    return run_cli(args, stdin=stdin, env={**os.environ, **env})


def test_import_list_show_and_decide_by_id(tmp_path: Path) -> None:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path / "data")}
    good = DEMO / "north-chicago.geojson"
    data = json.loads(good.read_text(encoding="utf-8"))
    features = data["features"]
    bad = {**data, "features": [
        *features,
        {**features[0], "properties": {**features[0]["properties"], "kind": "heliport"}},
        {**features[1], "id": "NC-NEW-1", "geometry": None},
    ]}
    bad_file = tmp_path / "bad.geojson"
    bad_file.write_text(json.dumps(bad), encoding="utf-8")
    refused = sg("property", "import", str(bad_file), "--place", "north-chicago", env=env)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert lines[0].startswith("error: feature 6 (id 'NC-LOT-14'): duplicate id (also feature 1)")
    assert any("feature 6 (id 'NC-LOT-14'): unknown kind 'heliport'" in line for line in lines)
    assert lines[-1].startswith("error: feature 7 (id 'NC-NEW-1'): no geometry")
    assert "nothing imported" in lines[-1]
    assert sg("property", "list", env=env).stdout == ""  # not one of the good features kept

    first = sg("property", "import", str(good), "--place", "north-chicago", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"north-chicago: {len(features)} properties added, 0 updated"
    again = sg("property", "import", str(good), "--place", "north-chicago", env=env)
    assert again.stdout.strip() == f"north-chicago: 0 properties added, {len(features)} updated"
    listed = json.loads(sg("property", "list", "--json", env=env).stdout)["properties"]
    assert sorted(p["id"] for p in listed) == sorted(f["id"] for f in features)
    unsigned = sg("property", "list", "--unsigned", "--department", "Public Works", env=env)
    assert [line.split("\t")[0] for line in unsigned.stdout.splitlines()] == ["NC-GAR-02"]
    shown = sg("property", "show", "NC-LOT-14", env=env)
    assert "posted 2025-10-27 by Public Works" in shown.stdout
    assert sg("property", "show", "NC-LOT-99", env=env).returncode == 2

    request = ("profile: north-chicago\ndate: {today}\nprincipal: {{agency: CBP-USBP}}\n"
               "action: use-property\nresource: {{type: Property, property_id: {pid}}}\n"
               "context: {{purpose: civil-immigration-enforcement, use: staging-area}}\n")
    today = get_settings().today().isoformat()
    decided = sg("decide", "-", "--json", stdin=request.format(today=today, pid="NC-LOT-14"),
                 env=env)
    assert decided.returncode == 0, decided.stderr
    body = json.loads(decided.stdout)
    assert body["outcome"] == "deny"
    assert body["request"]["resource"]["kind"] == "parking-lot"
    unknown = sg("decide", "-", stdin=request.format(today=today, pid="NC-LOT-99"), env=env)
    assert unknown.returncode == 2
    assert "not in the city's property registry" in unknown.stderr
