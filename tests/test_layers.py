"""The package's layers, checked from the source: data flows top to bottom, never climbs back.

    cli, web          the doors (parse, call one library operation, print or answer)
    demo              demo data, the synthetic records database, the demo's first cases (uses
                      the library: the review queue and the gateway)
    gateway           the data gateway's operations (plan, release, trace; a query answered
                      review opens a case in the review queue)
    review            the review queue: cases, reviewers' answers
    policy            packs, the engine, decide, verify
    audit             the log's entries, tree, checkpoints, keys (no SQLAlchemy of its own)
    store             tables, migrations, sessions, the log's storage: the bottom layer
    domain            pure values: requests, decisions, agencies, datasets, advice
    errors, settings, secret

A module may import its own package and anything the table allows; nothing else.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sanctuarygate"
BASE = {"errors", "settings", "secret"}

#: What each package may import from sanctuarygate, besides itself.
ALLOWED: dict[str, set[str]] = {
    "domain": {"errors"},
    "store": {"errors", "settings", "domain"},
    "audit": BASE | {"domain", "store"},
    "policy": BASE | {"domain"},
    "gateway": BASE | {"domain", "store", "audit", "policy", "review"},
    "demo": BASE | {"domain", "store", "audit", "policy", "gateway", "review"},
    "review": BASE | {"domain", "store", "audit", "policy"},
    "witness": BASE | {"audit"},
    "report": BASE | {"domain", "audit", "policy"},
    "web": BASE | {"domain", "store", "audit", "policy", "gateway", "witness", "report",
                   "review"},
    "cli": BASE | {"domain", "store", "audit", "policy", "gateway", "demo", "web", "witness",
                   "report", "review"},
}

#: Third-party libraries a layer must not use directly.
FORBIDDEN_LIBS: dict[str, set[str]] = {
    "domain": {"sqlalchemy", "fastapi", "starlette", "typer", "cedarpy"},
    "audit": {"sqlalchemy", "fastapi", "starlette", "typer"},
    "policy": {"sqlalchemy", "fastapi", "starlette", "typer"},
    "gateway": {"fastapi", "starlette", "typer"},
    "review": {"fastapi", "starlette", "typer"},
    "store": {"fastapi", "starlette", "typer", "cedarpy"},
}


def imports(path: Path) -> set[str]:
    """Top-level names imported by a module, relative imports resolved to sanctuarygate."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.add("sanctuarygate." + ".".join(path.relative_to(PACKAGE).parts[:1]))
            elif node.module:
                found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted(p for p in (PACKAGE / package).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package: str) -> None:
    assert modules(package), f"no modules in {package}"
    allowed = ALLOWED[package] | {package}
    wrong = []
    for path in modules(package):
        for name in imports(path):
            parts = name.split(".")
            if parts[0] == "sanctuarygate" and len(parts) > 1 and parts[1] not in allowed:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if parts[0] in FORBIDDEN_LIBS.get(package, set()):
                wrong.append(f"{path.relative_to(PACKAGE)} uses {parts[0]}")
    assert not wrong, "\n".join(wrong)


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages - {"packs", "locale"} <= set(ALLOWED), packages - set(ALLOWED)


def test_the_table_detects_a_climb(tmp_path: Path) -> None:
    """The check itself can fail: a store module importing the web layer is caught."""
    module = PACKAGE / "store" / "answer.py"
    assert "sanctuarygate.web.app" not in imports(module)
    fake = tmp_path / "m.py"
    fake.write_text("from sanctuarygate.web.app import create_app\n", encoding="utf-8")
    names = {n.split(".")[1] for n in imports(fake) if n.startswith("sanctuarygate.")}
    assert names - ALLOWED["store"] == {"web"}
