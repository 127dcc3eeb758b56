"""docs/log-format.md documents every entry kind and every field, and nothing that is not one:
its headings and tables are compared with ``audit/entries.py`` both ways."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import typing
from pathlib import Path

from sanctuarygate.audit import entries

DOC = Path(__file__).resolve().parents[2] / "docs" / "log-format.md"
KIND_HEADING = re.compile(r"^### `([a-z][a-z-]*)` \(v(\d+)\)$")
PART_HEADING = re.compile(r"^### Part `(\w+)`$")
FIELD_ROW = re.compile(r"^\| `(\w+)` \|")


def sections(text: str) -> dict[tuple[str, str], tuple[int | None, list[str]]]:
    """``{("kind", name) or ("part", class name): (version, documented fields)}``."""
    found: dict[tuple[str, str], tuple[int | None, list[str]]] = {}
    current: tuple[str, str] | None = None
    for line in text.split("\n"):
        if line.startswith("#"):
            current = None
            if kind := KIND_HEADING.match(line):
                current = ("kind", kind.group(1))
                found[current] = (int(kind.group(2)), [])
            elif part := PART_HEADING.match(line):
                current = ("part", part.group(1))
                found[current] = (None, [])
        elif current is not None and (row := FIELD_ROW.match(line)):
            found[current][1].append(row.group(1))
    return found


def json_members(cls: type) -> list[str]:
    """The members a class writes: ``v`` and ``kind`` for a kind, then its fields."""
    names = [f.name for f in dataclasses.fields(cls)]
    return ["v", "kind", *names] if issubclass(cls, entries.LogEntry) else names


def parts(cls: type, seen: set[type] | None = None) -> set[type]:
    """Every dataclass a kind holds, however deep (tuples, unions, mappings)."""
    seen = set() if seen is None else seen
    hints = typing.get_type_hints(cls, vars(entries))
    stack = [hints[f.name] for f in dataclasses.fields(cls)]
    while stack:
        hint = stack.pop()
        stack.extend(typing.get_args(hint))
        if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint not in seen:
            seen.add(hint)
            parts(hint, seen)
    return seen


DOCUMENTED = sections(DOC.read_text(encoding="utf-8"))
PARTS = set().union(*(parts(cls) for cls in entries.KINDS.values()))


def test_every_kind_is_documented_and_every_documented_kind_exists() -> None:
    documented = {name for (what, name) in DOCUMENTED if what == "kind"}
    assert documented == set(entries.KINDS)


def test_every_kind_is_documented_with_its_version() -> None:
    wrong = {name: (version, cls.VERSION) for name, cls in entries.KINDS.items()
             if (version := DOCUMENTED.get(("kind", name), (None, []))[0]) != cls.VERSION}
    assert wrong == {}


def test_every_field_of_every_kind_is_documented_both_ways() -> None:
    wrong = {name: (DOCUMENTED[("kind", name)][1], json_members(cls))
             for name, cls in entries.KINDS.items()
             if ("kind", name) in DOCUMENTED
             and sorted(DOCUMENTED[("kind", name)][1]) != sorted(json_members(cls))}
    assert wrong == {}


def test_every_part_is_documented_both_ways() -> None:
    documented = {name for (what, name) in DOCUMENTED if what == "part"}
    assert documented == {cls.__name__ for cls in PARTS}
    wrong = {cls.__name__: (DOCUMENTED[("part", cls.__name__)][1], json_members(cls))
             for cls in PARTS if ("part", cls.__name__) in DOCUMENTED
             and sorted(DOCUMENTED[("part", cls.__name__)][1]) != sorted(json_members(cls))}
    assert wrong == {}


def test_the_check_sees_a_missing_kind_and_a_missing_field() -> None:
    """The comparison can fail: drop a section and a row, and both are noticed."""
    text = DOC.read_text(encoding="utf-8")
    without_kind = sections(text.replace("### `key-use` (v1)", "### key use"))
    assert ("kind", "key-use") not in without_kind
    without_field = sections(text.replace("| `watermark_key` |", "| watermark key |"))
    assert "watermark_key" not in without_field[("kind", "query")][1]
    assert "watermark_key" in DOCUMENTED[("kind", "query")][1]


def test_the_export_is_read_by_splitting_on_newline_bytes() -> None:
    """The reading advice holds: an entry may hold U+2028, which splitlines takes for a line end."""
    body = entries.encode(entries.KeyUseEntry(time=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                                              key_id="0a1b2c3d", agency="FBI",
                                              what="GET /x\u2028y"))
    export = body + b"\n" + body + b"\n"
    assert export.split(b"\n")[:-1] == [body, body]
    assert len(export.decode().splitlines()) == 4  # the wrong way: four "lines"
    assert "str.splitlines()" in DOC.read_text(encoding="utf-8")
