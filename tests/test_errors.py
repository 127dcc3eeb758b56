"""The error tree drawn in ``errors.py``'s docstring is the real one: every class that derives
from SanctuaryGateError, in any module of the package, is drawn under its nearest such base."""

from __future__ import annotations

import importlib
import pkgutil
import re

import sanctuarygate
from sanctuarygate import errors
from sanctuarygate.errors import SanctuaryGateError

#: Modules not imported: the migration scripts run on import, ``__main__`` runs the CLI.
SKIP = ("sanctuarygate.store.migrations", "sanctuarygate.__main__")
#: A line of the drawing: the tree's guides, then a class name (a wrapped description line
#: starts with a lower-case word or punctuation, and is not a class).
LINE = re.compile(r"^(?P<guides>[ │├└─]*)(?P<name>[A-Z][A-Za-z0-9]*)\b")


def drawn_tree(doc: str) -> dict[str, str | None]:
    """Class name -> the name of the class drawn above it (None for the root).

    >>> drawn_tree("    A\\n    ├── B   text\\n    │   └── C\\n    └── D\\n")
    {'A': None, 'B': 'A', 'C': 'B', 'D': 'A'}
    """
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []  # (column of the name, name)
    for line in doc.splitlines():
        found = LINE.match(line)
        if found is None or not line.strip():
            continue
        column = found.start("name")
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[found["name"]] = stack[-1][1] if stack else None
        stack.append((column, found["name"]))
    return parents


def _tree_lines(doc: str) -> str:
    """The drawing only: from the line naming the root to the first blank line after it."""
    start = doc.index("    SanctuaryGateError")
    return doc[start:doc.index("\n\n", start)]


def every_error_class() -> dict[str, type[SanctuaryGateError]]:
    for info in pkgutil.walk_packages(sanctuarygate.__path__, "sanctuarygate."):
        if not info.name.startswith(SKIP):
            importlib.import_module(info.name)
    found: dict[str, type[SanctuaryGateError]] = {}
    todo: list[type[SanctuaryGateError]] = [SanctuaryGateError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("sanctuarygate."):  # not a test's own subclass
            assert found.setdefault(cls.__name__, cls) is cls, f"two classes named {cls.__name__}"
        todo += cls.__subclasses__()
    return found


def nearest_base(cls: type) -> str | None:
    """The nearest class above ``cls`` that derives from SanctuaryGateError."""
    if cls is SanctuaryGateError:
        return None
    for base in cls.__mro__[1:]:
        if issubclass(base, SanctuaryGateError):
            return base.__name__
    raise AssertionError(f"{cls} is not a SanctuaryGateError")


def test_the_drawn_tree_is_the_real_one() -> None:
    assert errors.__doc__ is not None
    drawn = drawn_tree(_tree_lines(errors.__doc__))
    real = {name: nearest_base(cls) for name, cls in every_error_class().items()}
    missing = sorted(set(real) - set(drawn))
    assert missing == [], f"not drawn in errors.py's tree: {missing}"
    not_classes = sorted(set(drawn) - set(real))
    assert not_classes == [], f"drawn but not an error class: {not_classes}"
    misplaced = {name: (drawn[name], real[name]) for name in real if drawn[name] != real[name]}
    assert misplaced == {}, f"drawn under the wrong class (drawn, real): {misplaced}"


def test_the_parser_sees_a_misplaced_class() -> None:
    """The check above can fail: a class drawn one level too deep is read as misplaced."""
    doc = "    SanctuaryGateError\n    ├── InputError\n    │   └── ConfigurationError\n"
    assert drawn_tree(doc)["ConfigurationError"] == "InputError"
    assert nearest_base(errors.ConfigurationError) == "SanctuaryGateError"
