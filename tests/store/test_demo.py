from __future__ import annotations

from pathlib import Path

from sanctuarygate.store.demo import seed_demo


def test_seed_demo_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo' / 'sg.db'}"
    first = seed_demo(url)
    assert "recorded answers" in first and (tmp_path / "demo" / "sg.db").exists()
    assert seed_demo(url) == first
