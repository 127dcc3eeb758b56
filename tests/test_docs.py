"""Documentation that must not drift: the CLI reference and the settings table."""

from __future__ import annotations

from pathlib import Path

from sanctuarygate.cli.reference import reference
from sanctuarygate.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference(), \
        "docs/cli.md is out of date: run `make docs`"


def test_every_setting_is_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields
               if f"SANCTUARYGATE_{name.upper()}" not in readme]
    assert missing == []


def test_public_api() -> None:
    import sanctuarygate

    for name in sanctuarygate.__all__:
        assert getattr(sanctuarygate, name) is not None
    assert callable(sanctuarygate.decide)
