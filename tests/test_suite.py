"""The suite's own shape: pytest imports a test module of a folder with no ``__init__.py`` under
its file name alone, so two such modules of the same name stop the whole run at collection
("import file mismatch"), which a run of one folder never shows."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_two_top_level_test_modules_share_a_name() -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for module in TESTS.rglob("test_*.py"):
        if not (module.parent / "__init__.py").exists():
            by_name[module.name].append(str(module.relative_to(TESTS)))
    shared = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert not shared, f"rename one of each (or make its folder a package): {shared}"
