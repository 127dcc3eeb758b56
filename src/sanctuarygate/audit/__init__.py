"""The tamper-evident decision log's pure core: Merkle tree, signed notes, checkpoints, keys.

- ``merkle``: RFC 9162 tree hashing, inclusion and consistency proofs and their verifiers, over
  any store of complete nodes (``NodeReader``); ``MemoryTree`` keeps them in memory.
- ``note``: c2sp.org/signed-note with Ed25519, as golang.org/x/mod/sumdb/note writes it.
- ``checkpoint``: c2sp.org/tlog-checkpoint bodies, signed and verified as notes.
- ``keys``: key strings, key generation, and the log's signer key on disk (0600), with rotation.
- ``entries``: every kind of log entry as a typed value, and ``encode``, the one way to write
  one (canonical JSON; documented in ``docs/log-format.md``).
- ``record``: writes entries to the stored log, in the caller's transaction (the application's
  one way to append).
- ``tree``: the stored log's Merkle tree: hashes an append and works out its new nodes (the only
  caller of the storage append), and composes roots and proofs from the stored nodes.

Errors, all ``SanctuaryGateError`` and ``ValueError``::

    KeyFormatError                  a verifier or signer key string is malformed
    NoteError                       a signed note was not accepted
    ├── MalformedNoteError          not a signed note
    │   └── MalformedCheckpointError    not a checkpoint body
    ├── UnknownKeyError             no signature by a known key
    ├── InvalidSignatureError       a known key's signature does not verify
    └── CheckpointMismatchError     a checkpoint of another log

Bad arguments to the Merkle functions (a leaf outside the tree) raise plain ``ValueError``.

>>> from sanctuarygate import audit
>>> skey, vkey = audit.generate_key("sanctuarygate.example/decisions")
>>> tree = audit.MemoryTree()
>>> tree.append(b"decision 1")
0
>>> cp = audit.Checkpoint("sanctuarygate.example/decisions", tree.size, tree.root())
>>> note = audit.sign_checkpoint(cp, audit.Signer.from_key(skey))
>>> audit.verify_checkpoint(note, [vkey]) == cp
True
"""

from sanctuarygate.audit.checkpoint import (
    Checkpoint,
    CheckpointMismatchError,
    MalformedCheckpointError,
    sign_checkpoint,
    verify_checkpoint,
)
from sanctuarygate.audit.checkpoint import parse as parse_checkpoint
from sanctuarygate.audit.keys import (
    KeyFormatError,
    Signer,
    Verifier,
    generate_key,
    key_id,
    load_or_create_signer,
    load_verifiers,
    rotate,
)
from sanctuarygate.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    NodeReader,
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
from sanctuarygate.audit.note import (
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    UnknownKeyError,
    open_note,
    sign_note,
)

__all__ = [
    "EMPTY_ROOT",
    "Checkpoint",
    "CheckpointMismatchError",
    "InvalidSignatureError",
    "KeyFormatError",
    "MalformedCheckpointError",
    "MalformedNoteError",
    "MemoryTree",
    "NodeReader",
    "NoteError",
    "Signer",
    "UnknownKeyError",
    "Verifier",
    "consistency_proof",
    "generate_key",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "load_or_create_signer",
    "load_verifiers",
    "new_nodes",
    "node_hash",
    "open_note",
    "parse_checkpoint",
    "range_hash",
    "root",
    "rotate",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]
