"""Merkle tree hashing of RFC 9162 (Certificate Transparency 2.0), section 2.1.

The log is a list of entries; its tree hash is ``MTH``: ``leaf_hash`` of one entry, ``node_hash``
of the hashes of the two halves, split at the largest power of two smaller than the size. Storage
keeps only *complete nodes*: the hash of the aligned subtree of ``2**level`` leaves starting at
leaf ``index << level``. Once written such a node never changes, so every root, inclusion proof
and consistency proof is composed from a handful of them (``NodeReader``).

The verifiers (``verify_inclusion``, ``verify_consistency``) follow the RFC's verification
algorithms (sections 2.1.3.2 and 2.1.4.2) bit for bit; they never call the generators, so a bug in
one side cannot hide a bug in the other.

>>> tree = MemoryTree([b"a", b"b", b"c"])
>>> proof = tree.inclusion_proof(1)
>>> verify_inclusion(leaf_hash(b"b"), 1, 3, proof, tree.root())
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The hash of one log entry: SHA-256(0x00 || data).

    >>> leaf_hash(b"").hex()[:16]
    '6e340b9cffb37a98'
    """
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right).

    >>> node_hash(leaf_hash(b""), leaf_hash(b"\\x00")).hex()[:16]
    'fac54203e7cc696c'
    """
    return hashlib.sha256(b"\x01" + left + right).digest()


class NodeReader(Protocol):
    """Where complete nodes are read from (a memory list, a database table)."""

    def complete_node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree of leaves ``[index << level, (index + 1) << level)``.

        Level 0 holds the leaf hashes. Asked for a node it does not hold, a reader raises (never
        makes up a hash); ``MemoryTree`` raises ``IndexError``.
        """
        ...


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def new_nodes(index: int, leaf: bytes, reader: NodeReader) -> list[tuple[int, int, bytes]]:
    """The complete nodes ``(level, index, hash)`` that appending leaf hash ``leaf`` at ``index`` makes.

    Always ``(0, index, leaf)`` first, then one node per level while the subtree completes; the
    left siblings are read from ``reader``. The caller stores all of them.

    >>> tree = MemoryTree([b"a"])
    >>> [(level, i) for level, i, _ in new_nodes(1, leaf_hash(b"b"), tree)]
    [(0, 1), (1, 0)]
    """
    if index < 0:
        raise ValueError(f"leaf index must not be negative, got {index}")
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"a leaf hash has {HASH_SIZE} bytes, got {len(leaf)}")
    nodes = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position & 1:
        current = node_hash(reader.complete_node(level, position - 1), current)
        level, position = level + 1, position >> 1
        nodes.append((level, position, current))
    return nodes


def _mth(reader: NodeReader, start: int, end: int) -> bytes:
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:  # one complete, aligned subtree
        level = n.bit_length() - 1
        return reader.complete_node(level, start >> level)
    k = _split(n)
    return node_hash(_mth(reader, start, start + k), _mth(reader, start + k, end))


def range_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH of the leaves ``[start, end)``, composed from complete nodes with RFC 9162's split.

    O(log n) node reads for the ranges proofs use (``start`` a multiple of a power of two at
    least ``end - start``); any other range is correct but may read more nodes.

    >>> tree = MemoryTree([b"a", b"b", b"c"])
    >>> range_hash(tree, 0, 3) == tree.root()
    True
    """
    if start < 0 or end < start:
        raise ValueError(f"bad leaf range [{start}, {end})")
    if start == end:
        return EMPTY_ROOT
    return _mth(reader, start, end)


def root(reader: NodeReader, size: int) -> bytes:
    """The tree hash of the first ``size`` leaves (``EMPTY_ROOT`` for 0).

    >>> root(MemoryTree(), 0) == EMPTY_ROOT
    True
    """
    if size < 0:
        raise ValueError(f"tree size must not be negative, got {size}")
    return range_hash(reader, 0, size)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """RFC 9162 section 2.1.3.1 ``PATH(index, D[size])``: the audit path of one leaf, leaf upward.

    >>> tree = MemoryTree([b"a", b"b"])
    >>> inclusion_proof(tree, 0, 2) == [leaf_hash(b"b")]
    True
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    siblings: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            siblings.append(range_hash(reader, start + k, end))
            end = start + k
        else:
            siblings.append(range_hash(reader, start, start + k))
            start += k
    siblings.reverse()
    return siblings


def consistency_proof(reader: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 section 2.1.4.1 ``PROOF(old_size, D[new_size])``; empty when old is 0 or new.

    >>> tree = MemoryTree([b"a", b"b", b"c"])
    >>> consistency_proof(tree, 2, 3) == [leaf_hash(b"c")]
    True
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    siblings: list[bytes] = []
    start, end, whole = 0, new_size, True  # whole: [start, end) still holds the old root
    while old_size != end:
        k = _split(end - start)
        if old_size <= start + k:
            siblings.append(range_hash(reader, start + k, end))
            end = start + k
        else:
            siblings.append(range_hash(reader, start, start + k))
            start, whole = start + k, False
    siblings.reverse()
    return siblings if whole else [range_hash(reader, start, end), *siblings]


def _hashes_ok(*hashes: bytes) -> bool:
    return all(len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree ``root`` of ``size``.

    RFC 9162 section 2.1.3.2, step by step. ``leaf`` is the leaf *hash* (``leaf_hash(entry)``).

    >>> tree = MemoryTree([b"a", b"b", b"c"])
    >>> verify_inclusion(leaf_hash(b"c"), 2, 3, tree.inclusion_proof(2), tree.root())
    True
    >>> verify_inclusion(leaf_hash(b"x"), 2, 3, tree.inclusion_proof(2), tree.root())
    False
    """
    if not 0 <= index < size or not _hashes_ok(leaf, root, *proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``new_root`` of ``new_size`` extends ``old_root`` of ``old_size``.

    RFC 9162 section 2.1.4.2 for ``0 < old_size < new_size``. Equal sizes need equal roots and an
    empty proof; size 0 needs ``EMPTY_ROOT`` and an empty proof.

    >>> tree = MemoryTree([b"a", b"b", b"c"])
    >>> verify_consistency(2, 3, tree.root(2), tree.root(3), tree.consistency_proof(2))
    True
    >>> verify_consistency(1, 3, tree.root(1), tree.root(3), tree.consistency_proof(2))
    False
    """
    if not 0 <= old_size <= new_size or not _hashes_ok(old_root, new_root, *proof):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of 2: the old root is a node of the new
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


class MemoryTree:
    """A log held in memory (the complete nodes, level by level), optionally of ``entries``.

    >>> tree = MemoryTree([b"first"])
    >>> tree.append(b"second"), tree.size
    (1, 2)
    >>> tree.root() == node_hash(leaf_hash(b"first"), leaf_hash(b"second"))
    True
    """

    def __init__(self, entries: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = []
        for data in entries:
            self.append(data)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0]) if self._levels else 0

    def complete_node(self, level: int, index: int) -> bytes:
        """The stored complete node; ``IndexError`` (a ``LookupError``) when there is none.

        >>> MemoryTree([b"a"]).complete_node(0, 0) == leaf_hash(b"a")
        True
        """
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise IndexError(f"no complete node at level {level}, index {index}")

    def append(self, data: bytes) -> int:
        """Append one entry; returns its leaf index.

        >>> MemoryTree().append(b"entry")
        0
        """
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, leaf: bytes) -> int:
        """Append a leaf already hashed with ``leaf_hash``; returns its index.

        >>> MemoryTree().append_leaf_hash(leaf_hash(b"entry"))
        0
        """
        index = self.size
        for level, position, value in new_nodes(index, leaf, self):
            if level == len(self._levels):
                self._levels.append([])
            assert len(self._levels[level]) == position, "complete nodes are appended in order"
            self._levels[level].append(value)
        return index

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is not between 0 and {self.size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """The tree hash at ``size`` (default: now).

        >>> MemoryTree().root() == EMPTY_ROOT
        True
        """
        return root(self, self._size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` (default: now).

        >>> MemoryTree([b"only"]).inclusion_proof(0)
        []
        """
        return inclusion_proof(self, index, self._size(size))

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """The consistency proof from size ``old`` to size ``new`` (default: now).

        >>> MemoryTree([b"only"]).consistency_proof(1)
        []
        """
        return consistency_proof(self, old, self._size(new))
