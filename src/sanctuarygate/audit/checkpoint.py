"""Checkpoints (c2sp.org/tlog-checkpoint): the signed statement "the log had this root at this size".

The body is the text of a signed note::

    <origin>\\n                  who keeps the log, e.g. sanctuarygate.example/decisions
    <tree size>\\n               decimal, no leading zeros
    <base64 root hash>\\n        RFC 9162 tree hash (SHA-256, 32 bytes)
    [<extension line>\\n ...]   optional, opaque, non-empty

>>> from sanctuarygate.audit.merkle import EMPTY_ROOT
>>> print(Checkpoint("sanctuarygate.example/decisions", 0, EMPTY_ROOT).body(), end="")
sanctuarygate.example/decisions
0
47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sanctuarygate.audit.keys import Signer, Verifier
from sanctuarygate.audit.merkle import HASH_SIZE
from sanctuarygate.audit.note import MalformedNoteError, NoteError, open_note, sign_note

_SIZE = re.compile(r"0|[1-9][0-9]*")
MAX_SIZE = 2**64 - 1  # sizes are uint64 in every checkpoint reader we interoperate with


class MalformedCheckpointError(MalformedNoteError):
    """A note's text is not a well-formed checkpoint body."""

    title = "Malformed checkpoint"


class CheckpointMismatchError(NoteError):
    """A valid checkpoint, but from a different log (origin) than expected."""

    title = "Checkpoint from another log"


def _check_line(what: str, line: str) -> None:
    if not line:
        raise MalformedCheckpointError(f"checkpoint {what} must not be empty")
    if any(c < " " for c in line):
        raise MalformedCheckpointError(f"checkpoint {what} holds a control character or newline: {line!r}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, size, root hash, and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_SIZE:
            raise MalformedCheckpointError(f"checkpoint tree size {self.size} is out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise MalformedCheckpointError(f"checkpoint root hash has {len(self.root_hash)} bytes, not 32")
        for line in self.extensions:
            _check_line("extension line", line)

    def body(self) -> str:
        """The note text of this checkpoint (each line ends with a newline).

        >>> Checkpoint("log", 7, bytes(32)).body().splitlines()[:2]
        ['log', '7']
        """
        root = base64.b64encode(self.root_hash).decode()
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions))


def parse(text: str) -> Checkpoint:
    """Parse a checkpoint body strictly; ``MalformedCheckpointError`` says what is wrong.

    >>> parse("log\\n7\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\\n").size
    7
    >>> try:
    ...     parse("log\\n007\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\\n")
    ... except MalformedCheckpointError as err:
    ...     print(err)
    checkpoint tree size must be decimal, no leading zeros: '007'
    """
    if not text.endswith("\n"):
        raise MalformedCheckpointError("checkpoint body must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpointError(f"checkpoint has {len(lines)} lines; needs origin, size, root hash")
    origin, size, root, *extensions = lines
    if not _SIZE.fullmatch(size):
        raise MalformedCheckpointError(f"checkpoint tree size must be decimal, no leading zeros: {size!r}")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCheckpointError(f"checkpoint root hash is not base64: {root!r}") from None
    if base64.b64encode(root_hash).decode() != root:
        raise MalformedCheckpointError(f"checkpoint root hash is not canonical base64: {root!r}")
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed note of ``checkpoint``.

    >>> from sanctuarygate.audit.keys import generate_key
    >>> skey, _ = generate_key("log")
    >>> sign_checkpoint(Checkpoint("log", 0, bytes(32)), Signer.from_key(skey)).startswith("log\\n0\\n")
    True
    """
    return sign_note(checkpoint.body(), signer)


def verify_checkpoint(
    note: str | bytes, verifiers: Iterable[Verifier | str], *, origin: str | None = None
) -> Checkpoint:
    """The checkpoint in a signed note, once a known key's signature verifies.

    With ``origin``, the checkpoint must come from that log (``CheckpointMismatchError``).
    Errors are ``NoteError`` subclasses (see ``note.py``) or ``MalformedCheckpointError``.

    >>> from sanctuarygate.audit.keys import generate_key
    >>> skey, vkey = generate_key("log")
    >>> note = sign_checkpoint(Checkpoint("log", 3, bytes(32)), Signer.from_key(skey))
    >>> verify_checkpoint(note, [vkey], origin="log").size
    3
    """
    text, _ = open_note(note, verifiers)
    checkpoint = parse(text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointMismatchError(f"checkpoint is from log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
