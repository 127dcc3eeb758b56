"""The audit package's public API is deliberate: everything in ``__all__`` exists, nothing else leaks."""

from __future__ import annotations

import sanctuarygate.audit as audit
from sanctuarygate.errors import SanctuaryGateError


def test_all_names_exist_and_are_sorted() -> None:
    assert all(hasattr(audit, name) for name in audit.__all__)
    assert sorted(audit.__all__, key=lambda n: (not n.isupper(), n)) == audit.__all__


def test_every_error_is_a_project_error_and_a_value_error() -> None:
    errors = [getattr(audit, n) for n in audit.__all__ if n.endswith("Error")]
    assert len(errors) == 7
    assert all(issubclass(e, SanctuaryGateError) and issubclass(e, ValueError) for e in errors)
    assert all(issubclass(e, audit.NoteError) for e in errors if e is not audit.KeyFormatError)


def test_merkle_api_shape() -> None:
    """The names and signatures the store and the export code against."""
    tree = audit.MemoryTree()
    assert tree.append(b"a") == 0 and tree.append_leaf_hash(audit.leaf_hash(b"b")) == 1
    assert audit.root(tree, 2) == tree.root() == audit.range_hash(tree, 0, 2)
    assert audit.inclusion_proof(tree, 0, 2) == tree.inclusion_proof(0) == [audit.leaf_hash(b"b")]
    assert audit.consistency_proof(tree, 1, 2) == tree.consistency_proof(1, 2)
    assert [n[:2] for n in audit.new_nodes(2, audit.leaf_hash(b"c"), tree)] == [(0, 2)]
