"""The witness's one operation: check a new checkpoint against what it cosigned, then cosign it.

The checks of c2sp.org/tlog-witness ``add-checkpoint``, in the spec's order:

1. the body parses (``InputError``, 400) and holds a checkpoint note (``MalformedNoteError``, 400);
2. the origin is a log this witness witnesses (``UnknownOriginError``, 404);
3. a key configured for that log signed it, and no such key's signature fails (``NoteError``, 403);
4. the old size is not above the checkpoint's size (``InputError``, 400);
5. the old size is the size the witness last cosigned (``SizeConflictError``, 409);
6. the checkpoint extends that one: an empty tree has the empty root, no proof from size 0, the
   same size has the same root (no fork), otherwise the RFC 9162 consistency proof verifies
   (``InconsistentCheckpointError``, 422).

Then the new state is stored by compare-and-swap, and only then is the cosignature returned. A
checkpoint the log signed that fails step 6 is kept as evidence: it proves the log forked or
rewrote its history.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sanctuarygate.audit.checkpoint import parse, verify_checkpoint
from sanctuarygate.audit.cosignature import WitnessSigner, WitnessVerifier, cosign
from sanctuarygate.audit.keys import Verifier
from sanctuarygate.audit.merkle import EMPTY_ROOT, verify_consistency
from sanctuarygate.audit.note import SIGNATURE_PREFIX, split_note
from sanctuarygate.errors import InputError
from sanctuarygate.witness.home import load_signer, open_state
from sanctuarygate.witness.protocol import (
    MAX_SIZE,
    InconsistentCheckpointError,
    SizeConflictError,
    UnknownOriginError,
    parse_request,
)
from sanctuarygate.witness.state import WitnessState


class Witness:
    """A witness: its key, its state, and a clock (injectable for tests)."""

    def __init__(self, signer: WitnessSigner, state: WitnessState,
                 clock: Callable[[], float] = time.time) -> None:
        self.signer = signer
        self.state = state
        self.clock = clock

    @classmethod
    def open(cls, directory: Path | str) -> Witness:
        """The witness kept in ``directory`` (see ``home.py``)."""
        return cls(load_signer(directory), open_state(directory))

    @property
    def verifier(self) -> WitnessVerifier:
        """The witness's public key."""
        return self.signer.verifier()

    def add_checkpoint(self, body: bytes) -> str:
        """Answer one ``add-checkpoint`` request body: the cosignature line, or an error."""
        request = parse_request(body)
        return self.cosign(request.old_size, request.proof, request.note)

    def cosign(self, old_size: int, proof: Sequence[bytes], note: str) -> str:
        """Check ``note`` extends the last cosigned checkpoint by ``proof``; store it; cosign it."""
        text, _ = split_note(note)
        checkpoint = parse(text)
        origin = checkpoint.origin
        known = self.state.log(origin)
        if known is None:
            raise UnknownOriginError(origin)
        verify_checkpoint(note, known.keys, origin=origin)
        size, root = checkpoint.size, checkpoint.root_hash
        if size > MAX_SIZE:
            raise InputError(f"checkpoint size {size} is larger than this witness stores")
        if old_size > size:
            raise InputError(f"old size {old_size} is larger than the checkpoint's size {size}")
        if old_size != known.size:
            raise SizeConflictError(known.size, origin=origin)
        problem = _inconsistency(old_size, known.root_hash, size, root, proof)
        if problem:
            self.state.record_evidence(origin, note, problem)
            raise InconsistentCheckpointError(f"{origin}: {problem}")
        line = cosign(text, self.signer, int(self.clock()))
        kept = text + "\n" + _log_signatures(note, known.keys) + line
        if not self.state.advance(origin, known.size, known.root_hash, size, root, kept):
            now = self.state.log(origin)
            raise SizeConflictError(now.size if now else 0, origin=origin)
        return line


def _inconsistency(old_size: int, old_root: bytes, size: int, root: bytes,
                   proof: Sequence[bytes]) -> str | None:
    """Why the checkpoint does not extend the stored one, or None when it does."""
    if size == 0 and root != EMPTY_ROOT:
        return "a checkpoint of size 0 must have the empty tree's root hash"
    if old_size == 0:
        return "a consistency proof from size 0 is empty" if proof else None
    if old_size == size:
        if root != old_root:
            return f"fork: a different root hash for size {size}, which this witness cosigned"
        return "a consistency proof between equal sizes is empty" if proof else None
    if not verify_consistency(old_size, size, old_root, root, proof):
        return f"the consistency proof from size {old_size} to {size} does not verify"
    return None


def _log_signatures(note: str, keys: Sequence[str]) -> str:
    """The note's signature lines by the log's configured keys (verified before), re-serialized."""
    mine = {(v.name, v.key_id) for v in map(Verifier.from_key, keys)}
    _, signatures = split_note(note)
    return "".join(
        f"{SIGNATURE_PREFIX}{s.name} {base64.b64encode(s.key_id + s.signature).decode()}\n"
        for s in signatures if (s.name, s.key_id) in mine
    )
