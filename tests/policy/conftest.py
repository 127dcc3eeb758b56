from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sanctuarygate.settings import PACKAGE_PACKS, Settings


@pytest.fixture
def packs_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped packs folder, safe to break."""
    target = tmp_path / "packs"
    shutil.copytree(PACKAGE_PACKS, target)
    return target


@pytest.fixture
def dates() -> dict[str, object]:
    return dict(Settings().pack_dates())
