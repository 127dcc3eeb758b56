"""``sanctuarygate property sign``: one property's sign, a department's at once, and the refusals
(one line, exit 2), end to end in a fresh data directory with the demo registry imported."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pypdf import PdfReader

from cli_run import run_cli

DEMO = Path(__file__).resolve().parents[2] / "src" / "sanctuarygate" / "demo" / "property"


def sg(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env={**os.environ, **env})


def test_sign_one_a_department_and_the_refusals(tmp_path: Path) -> None:
    env = {"SANCTUARYGATE_DATA_DIR": str(tmp_path / "data"),
           "SANCTUARYGATE_PUBLIC_URL": "https://city.example"}
    assert sg("property", "import", str(DEMO / "chicago.geojson"), "--place", "chicago",
              env=env).returncode == 0

    one = sg("property", "sign", "CHI-GAR-01", "--out", str(tmp_path / "g.pdf"), "--lang", "es",
             env=env)
    assert one.returncode == 0, one.stderr
    text = " ".join(PdfReader(tmp_path / "g.pdf").pages[0].extract_text().split())
    assert "Esta propiedad es de la Ciudad de Chicago" in text and "CHI-GAR-01" in text
    assert "https://city.example/property/CHI-GAR-01" in text

    out_dir = tmp_path / "signs"
    out_dir.mkdir()
    bulk = sg("property", "sign", "--department", "Fleet and Facility Management", "--out-dir",
              str(out_dir), "--paper", "a4", env=env)
    assert bulk.returncode == 0, bulk.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["CHI-BLD-02-en.pdf", "CHI-GAR-01-en.pdf"]

    # A department whose property the order does not clearly cover: listed, exit 2.
    park = sg("property", "sign", "--department", "Park District", "--out-dir", str(out_dir),
              env=env)
    assert park.returncode == 2
    assert "refused CHI-PARK-03: property: the rules answer review" in park.stderr
    assert park.stderr.strip().splitlines()[-1].startswith("error: 1 of 1 signs not printed")
    assert not (out_dir / "CHI-PARK-03-en.pdf").exists()

    for args, says in [
        (("NOPE", "--out", str(tmp_path / "x.pdf")), "not in the city's property registry"),
        (("CHI-GAR-01", "--out", str(tmp_path / "x.pdf"), "--lang", "fr"), "--lang is one of"),
    ]:
        bad = sg("property", "sign", *args, env=env)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
        assert says in bad.stderr
    assert not (tmp_path / "x.pdf").exists()
