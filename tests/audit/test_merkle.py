"""RFC 9162 Merkle hashing against published vectors, and properties checked with hypothesis.

The fixed vectors are copied from the Go module github.com/transparency-dev/merkle (the
successor of the google/certificate-transparency-go merkle code):

- ``testonly/constants.go`` (LeafInputs, NodeHashes, RootHashes): the 8-leaf reference tree, every
  complete node of it and its root at each size 0..8;
- ``proof/verify_test.go`` (inclusionProofs, consistencyProofs, and the corruptInclusionProof /
  corruptConsistencyProof probes); its leaf numbers are 1-based, converted to 0-based here;
- ``testonly/reference_test.go`` (TestRefInclusionProof, TestRefConsistencyProof);
- ``testonly/vectors_test.go`` (TestSubtreeHashVectors): the accumulated hash of every valid
  subtree hash of the tree d[i] = bytes([i]) up to 130 leaves, from the "Subtree Test Vectors"
  appendix of draft-ietf-plants-merkle-tree-certs.
"""

from __future__ import annotations

import hashlib
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanctuarygate.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    new_nodes,
    node_hash,
    range_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# transparency-dev/merkle testonly/constants.go: LeafInputs()
LEAVES = [h(x) for x in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]

# transparency-dev/merkle testonly/constants.go: RootHashes(), indexed by tree size 0..8
ROOTS = [h(x) for x in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]

# transparency-dev/merkle testonly/constants.go: NodeHashes(), [level][index]
NODES = [[h(x) for x in level] for level in (
    (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ),
    (
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ),
    (
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ),
    ("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",),
)]

# (index, size, path): proof/verify_test.go inclusionProofs (1-based leaf there, 0-based here)
# and testonly/reference_test.go TestRefInclusionProof.
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
]

# (old, new, proof): proof/verify_test.go consistencyProofs and testonly/reference_test.go.
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]

# proof/verify_test.go: sha256SomeHash, used by the corruption probes
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")

# testonly/vectors_test.go TestSubtreeHashVectors: the draft's accumulated subtree hash vector
SUBTREE_HASH_VECTOR = "94a95384a8c69acea9b50d035a58285b3a777cb7a724005faa5e1f1e1190007f"


def reference_tree() -> MemoryTree:
    tree = MemoryTree()
    for data in LEAVES:
        tree.append(data)
    return tree


def mth(entries: list[bytes]) -> bytes:
    """Naive recursive MTH, straight from RFC 9162 section 2.1.1."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return leaf_hash(entries[0])
    k = 1
    while k * 2 < len(entries):
        k *= 2
    return node_hash(mth(entries[:k]), mth(entries[k:]))


# -- published vectors ------------------------------------------------------------------------


def test_hash_primitives() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert leaf_hash(LEAVES[0]) == NODES[0][0]
    assert node_hash(NODES[0][0], NODES[0][1]) == NODES[1][0]


def test_roots_at_every_size_match_the_reference_tree() -> None:
    tree = reference_tree()
    assert [tree.root(size) for size in range(9)] == ROOTS
    assert [mth(LEAVES[:size]) for size in range(9)] == ROOTS


def test_stored_complete_nodes_are_the_reference_node_hashes() -> None:
    tree = reference_tree()
    for level, row in enumerate(NODES):
        assert [tree.complete_node(level, i) for i in range(len(row))] == row
        with pytest.raises(LookupError):
            tree.complete_node(level, len(row))


def test_new_nodes_lists_the_nodes_each_append_completes() -> None:
    tree = MemoryTree()
    made = []
    for index, data in enumerate(LEAVES):
        nodes = new_nodes(index, leaf_hash(data), tree)
        made.append([(level, i) for level, i, _ in nodes])
        assert all(value == NODES[level][i] for level, i, value in nodes)
        tree.append(data)
    assert made == [
        [(0, 0)], [(0, 1), (1, 0)], [(0, 2)], [(0, 3), (1, 1), (2, 0)],
        [(0, 4)], [(0, 5), (1, 2)], [(0, 6)], [(0, 7), (1, 3), (2, 1), (3, 0)],
    ]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, path: list[str]) -> None:
    tree = reference_tree()
    proof = [h(x) for x in path]
    assert tree.inclusion_proof(index, size) == proof
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, path: list[str]) -> None:
    tree = reference_tree()
    proof = [h(x) for x in path]
    assert tree.consistency_proof(old, new) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def test_subtree_hash_vector_of_the_merkle_tree_certs_draft() -> None:
    tree = MemoryTree()
    for i in range(130):
        tree.append(bytes([i]))
    acc = hashlib.sha256()
    for end in range(1, 131):
        for start in range(end):
            # isSubtreeValid: start is 0 or a multiple of bit_ceil(end - start)
            if start == 0 or start % (1 << (end - start - 1).bit_length()) == 0:
                acc.update(f"[{start}, {end}) {range_hash(tree, start, end).hex()}\n".encode())
    assert acc.hexdigest() == SUBTREE_HASH_VECTOR


def inclusion_probes(index: int, size: int, proof: list[bytes], root_: bytes, leaf: bytes) -> dict[
    str, tuple[int, int, list[bytes], bytes, bytes]
]:
    """corruptInclusionProof of proof/verify_test.go."""
    probes = {
        "index - 1": (index - 1, size, proof, root_, leaf),
        "index + 1": (index + 1, size, proof, root_, leaf),
        "index ^ 2": (index ^ 2, size, proof, root_, leaf),
        "size * 2": (index, size * 2, proof, root_, leaf),
        "size / 2": (index, size // 2, proof, root_, leaf),
        "wrong leaf": (index, size, proof, root_, b"WrongLeaf"),
        "empty root": (index, size, proof, EMPTY_ROOT, leaf),
        "random root": (index, size, proof, SOME_HASH, leaf),
        "trailing garbage": (index, size, [*proof, b""], root_, leaf),
        "trailing root": (index, size, [*proof, root_], root_, leaf),
        "preceding garbage": (index, size, [b"", *proof], root_, leaf),
        "preceding root": (index, size, [root_, *proof], root_, leaf),
    }
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes[f"modified proof[{i}] bit 3"] = (index, size, flipped, root_, leaf)
    if proof:
        probes["removed component"] = (index, size, proof[:-1], root_, leaf)
    if len(proof) > 1:
        probes["inserted component"] = (index, size, [proof[0], SOME_HASH, *proof[1:]], root_, leaf)
    return probes


@pytest.mark.parametrize(("index", "size", "path"), [v for v in INCLUSION if v[2]])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, path: list[str]) -> None:
    proof = [h(x) for x in path]
    probes = inclusion_probes(index, size, proof, ROOTS[size], leaf_hash(LEAVES[index]))
    accepted = [name for name, (i, s, p, r, leaf) in probes.items() if verify_inclusion(leaf, i, s, p, r)]
    assert accepted == []


@pytest.mark.parametrize(("old", "new", "path"), [v for v in CONSISTENCY if v[2]])
def test_corrupted_consistency_proofs_fail(old: int, new: int, path: list[str]) -> None:
    """corruptConsistencyProof of proof/verify_test.go."""
    proof, r1, r2 = [h(x) for x in path], ROOTS[old], ROOTS[new]
    probes = {
        "old - 1": (old - 1, new, r1, r2, proof),
        "old + 1": (old + 1, new, r1, r2, proof),
        "old ^ 2": (old ^ 2, new, r1, r2, proof),
        "new * 2": (old, new * 2, r1, r2, proof),
        "new / 2": (old, new // 2, r1, r2, proof),
        "wrong old root": (old, new, b"WrongRoot", r2, proof),
        "wrong new root": (old, new, r1, b"WrongRoot", proof),
        "swapped roots": (old, new, r2, r1, proof),
        "empty proof": (old, new, r1, r2, []),
        "trailing garbage": (old, new, r1, r2, [*proof, b""]),
        "trailing old root": (old, new, r1, r2, [*proof, r1]),
        "trailing new root": (old, new, r1, r2, [*proof, r2]),
        "preceding garbage": (old, new, r1, r2, [b"", *proof]),
        "preceding old root": (old, new, r1, r2, [r1, *proof]),
        "preceding new root": (old, new, r1, r2, [r2, *proof]),
        "preceding proof[0]": (old, new, r1, r2, [proof[0], *proof]),
        "truncated proof": (old, new, r1, r2, proof[:-1]),
    }
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes[f"modified proof[{i}] bit 4"] = (old, new, r1, r2, flipped)
    accepted = [name for name, args in probes.items() if verify_consistency(*args)]
    assert accepted == []


def test_single_entry_tree() -> None:
    """TestVerifyInclusionSingleEntry of proof/verify_test.go: root and leaf hash are the same."""
    one = leaf_hash(b"data")
    assert verify_inclusion(one, 0, 1, [], one)
    assert not verify_inclusion(one, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], one)
    assert not verify_inclusion(b"", 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 1)])
def test_inclusion_outside_the_tree_never_verifies(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], SOME_HASH)


def test_trivial_consistency() -> None:
    r = ROOTS[3]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 3, EMPTY_ROOT, r, [])
    assert verify_consistency(3, 3, r, r, [])
    assert not verify_consistency(0, 3, SOME_HASH, r, [])  # the empty tree has one root
    assert not verify_consistency(3, 3, r, SOME_HASH, [])
    assert not verify_consistency(3, 3, r, r, [r])
    assert not verify_consistency(0, 3, EMPTY_ROOT, r, [EMPTY_ROOT])
    assert not verify_consistency(3, 2, r, ROOTS[2], [])  # time travel


def test_out_of_range_arguments_raise() -> None:
    tree = reference_tree()
    for bad in [(8, 8), (-1, 8), (0, 0)]:
        with pytest.raises(ValueError):
            inclusion_proof(tree, *bad)
    for bad in [(3, 2), (-1, 2)]:
        with pytest.raises(ValueError):
            consistency_proof(tree, *bad)
    for call in (lambda: range_hash(tree, 3, 2), lambda: root(tree, -1), lambda: tree.root(9),
                 lambda: tree.inclusion_proof(0, 9), lambda: tree.consistency_proof(1, 9)):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        tree.append_leaf_hash(b"short")
    with pytest.raises(LookupError):
        inclusion_proof(tree, 0, 9)  # the reader has no such nodes


# -- properties -------------------------------------------------------------------------------

MAX = 300


@cache
def big_tree() -> tuple[MemoryTree, tuple[bytes, ...]]:
    """One tree of MAX distinct entries; a prefix of it is the tree at any smaller size."""
    entries = tuple(b"entry %d" % i for i in range(MAX))
    tree = MemoryTree()
    for data in entries:
        tree.append(data)
    return tree, entries


@cache
def forked_tree(fork: int) -> MemoryTree:
    """The same history as big_tree() for ``fork`` entries, then different ones."""
    tree = MemoryTree()
    for i in range(MAX):
        tree.append(b"entry %d" % i if i < fork else b"forked %d" % i)
    return tree


class CountingReader:
    def __init__(self, tree: MemoryTree) -> None:
        self.tree, self.reads = tree, 0

    def complete_node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.tree.complete_node(level, index)


def test_root_from_complete_nodes_is_the_naive_mth_at_every_size() -> None:
    tree, entries = big_tree()
    for size in range(MAX + 1):
        assert tree.root(size) == mth(list(entries[:size])), size


@given(st.lists(st.binary(max_size=40), max_size=70))
def test_root_of_any_entries_is_the_naive_mth(entries: list[bytes]) -> None:
    tree = MemoryTree()
    for data in entries:
        tree.append(data)
    assert tree.root() == mth(entries)


@st.composite
def leaf_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX))
    return draw(st.integers(0, size - 1)), size


@settings(max_examples=300)
@given(leaf_in_tree(), st.data())
def test_every_inclusion_proof_verifies_and_any_change_fails(
    at: tuple[int, int], data: st.DataObject
) -> None:
    index, size = at
    tree, entries = big_tree()
    leaf, proof, r = leaf_hash(entries[index]), tree.inclusion_proof(index, size), tree.root(size)
    assert verify_inclusion(leaf, index, size, proof, r)

    assert not verify_inclusion(leaf_hash(b"not an entry"), index, size, proof, r)
    other = data.draw(st.integers(0, MAX - 1).filter(lambda i: i != index), label="other index")
    assert not verify_inclusion(leaf, other, size, proof, r)
    assert not verify_inclusion(leaf_hash(entries[other]), index, size, proof, r)
    new_size = data.draw(st.integers(index + 1, MAX).filter(lambda s: s != size), label="other size")
    assert not verify_inclusion(leaf, index, new_size, proof, tree.root(new_size))
    if len(tree.inclusion_proof(index, new_size)) != len(proof):  # the path's shape binds the size
        assert not verify_inclusion(leaf, index, new_size, proof, r)
    flipped_root = bytearray(r)
    flipped_root[data.draw(st.integers(0, 31), label="root byte")] ^= 1
    assert not verify_inclusion(leaf, index, size, proof, bytes(flipped_root))
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        flipped = [bytearray(p) for p in proof]
        flipped[i][data.draw(st.integers(0, 31), label="byte")] ^= 1 << data.draw(st.integers(0, 7))
        assert not verify_inclusion(leaf, index, size, [bytes(p) for p in flipped], r)
        assert not verify_inclusion(leaf, index, size, proof[:-1], r)
    assert not verify_inclusion(leaf, index, size, [*proof, SOME_HASH], r)


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(0, MAX))
    return draw(st.integers(0, new)), new


@settings(max_examples=300)
@given(two_sizes(), st.data())
def test_every_consistency_proof_verifies_and_a_forked_history_fails(
    sizes: tuple[int, int], data: st.DataObject
) -> None:
    old, new = sizes
    tree, _ = big_tree()
    proof, r_old, r_new = tree.consistency_proof(old, new), tree.root(old), tree.root(new)
    assert verify_consistency(old, new, r_old, r_new, proof)
    if old == 0 or old == new:
        assert proof == []
        return

    fork = data.draw(st.integers(0, old - 1), label="fork")  # histories differ from entry `fork` on
    forked = forked_tree(fork)
    assert not verify_consistency(old, new, forked.root(old), r_new, proof)
    assert not verify_consistency(old, new, r_old, forked.root(new), proof)
    assert not verify_consistency(old, new, forked.root(old), r_new, forked.consistency_proof(old, new))
    assert not verify_consistency(old, new, r_old, forked.root(new), forked.consistency_proof(old, new))

    other = data.draw(st.integers(1, new).filter(lambda s: s != old), label="other old size")
    assert not verify_consistency(other, new, tree.root(other), r_new, proof)
    i = data.draw(st.integers(0, len(proof) - 1), label="element")
    flipped = [bytearray(p) for p in proof]
    flipped[i][data.draw(st.integers(0, 31), label="byte")] ^= 1 << data.draw(st.integers(0, 7))
    assert not verify_consistency(old, new, r_old, r_new, [bytes(p) for p in flipped])
    assert not verify_consistency(old, new, r_old, r_new, proof[:-1])
    assert not verify_consistency(old, new, r_old, r_new, [*proof, SOME_HASH])


@given(two_sizes(), st.data())
def test_inclusion_proofs_hold_across_consistent_checkpoints(
    sizes: tuple[int, int], data: st.DataObject
) -> None:
    """A leaf proven in the old tree is proven in the new one too, at the same index."""
    old, new = sizes
    if old == 0:
        return
    tree, entries = big_tree()
    index = data.draw(st.integers(0, old - 1))
    proof = tree.inclusion_proof(index, new)
    assert verify_inclusion(leaf_hash(entries[index]), index, new, proof, tree.root(new))


@given(st.integers(1, MAX), st.data())
def test_proofs_read_a_logarithmic_number_of_nodes(size: int, data: st.DataObject) -> None:
    tree, _ = big_tree()
    bound = 2 * size.bit_length() + 1
    reader = CountingReader(tree)
    inclusion_proof(reader, data.draw(st.integers(0, size - 1)), size)
    assert reader.reads <= bound
    reader = CountingReader(tree)
    consistency_proof(reader, data.draw(st.integers(0, size)), size)
    assert reader.reads <= bound
    reader = CountingReader(tree)
    root(reader, size)
    assert reader.reads == bin(size).count("1")
