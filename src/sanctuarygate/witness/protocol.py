"""The tlog-witness wire format (c2sp.org/tlog-witness) and the witness's refusals.

An ``add-checkpoint`` request body is the old size line, the consistency proof (one base64 hash
a line, at most 63), an empty line, then the signed checkpoint note::

    old 5
    Kqx8...=
    Ln0w...=

    log.example/decisions
    8
    QrtX...=

    — log.example/decisions UgIo...

The errors, drawn under ``SanctuaryGateError`` (the HTTP status each becomes is in ``app.py``)::

    WitnessError                 the witness did not cosign
    ├── UnknownOriginError       no log with that origin is configured       (404)
    ├── SizeConflictError        the old size is not the witness's; ``size`` is its size (409)
    ├── InconsistentCheckpointError  fork, bad proof, bad empty tree          (422)
    ├── WitnessRefusedError      the client's view of any other refusal; ``status``
    └── WitnessUnavailableError  the client could not reach the witness

A malformed body is ``InputError`` (400); a checkpoint not signed by the log's key is a
``NoteError`` (403, or 400 when the note itself is malformed).

>>> request = format_request(1, [bytes(32)], "note\\n\\n\u2014 k AAAAAAA=\\n")
>>> request.splitlines()[:3]
['old 1', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', '']
>>> parse_request(request.encode()).old_size
1
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sanctuarygate.audit.merkle import HASH_SIZE
from sanctuarygate.errors import InputError, SanctuaryGateError

SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63
MAX_BODY_BYTES = 64 * 1024  # a checkpoint with a few signatures and 63 proof lines is ~4 KiB
MAX_SIZE = 2**63 - 1  # sizes are stored as SQLite integers
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


class WitnessError(SanctuaryGateError):
    """A witness did not cosign a checkpoint. Subclasses say why."""

    title = "Not cosigned"


class UnknownOriginError(WitnessError):
    """The checkpoint's origin is not a log this witness is configured to witness."""

    title = "Unknown log"

    def __init__(self, origin: str) -> None:
        super().__init__(f"this witness does not witness the log {origin!r}")
        self.origin = origin


class SizeConflictError(WitnessError):
    """The request's old size is not the size of the witness's latest cosigned checkpoint.

    The caller builds a consistency proof from ``size`` and submits again.
    """

    title = "Old size does not match"

    def __init__(self, size: int, *, origin: str | None = None) -> None:
        of = f" of {origin}" if origin else ""
        super().__init__(f"the witness's latest cosigned checkpoint{of} has size {size}; "
                         "prove consistency from that size")
        self.size = size
        self.origin = origin


class InconsistentCheckpointError(WitnessError):
    """The checkpoint does not extend what the witness cosigned: a fork, a bad proof."""

    title = "Inconsistent checkpoint"


class WitnessRefusedError(WitnessError):
    """Client side: the witness answered with an error status (``status``, ``detail``)."""

    title = "Witness refused"

    def __init__(self, url: str, status: int, detail: str) -> None:
        super().__init__(f"witness {url} refused the checkpoint ({status}): {detail}")
        self.url = url
        self.status = status
        self.detail = detail


class WitnessUnavailableError(WitnessError):
    """Client side: the witness could not be reached or gave an answer that is not a witness's."""

    title = "Witness unavailable"


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """A parsed ``add-checkpoint`` request."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str


def format_request(old_size: int, proof: Sequence[bytes], note: str) -> str:
    """The ``add-checkpoint`` body for a signed checkpoint note and a proof from ``old_size``."""
    if isinstance(old_size, bool) or not 0 <= old_size <= MAX_SIZE:
        raise ValueError(f"old size out of range: {old_size}")
    if len(proof) > MAX_PROOF_LINES:
        raise ValueError(f"a consistency proof has at most {MAX_PROOF_LINES} hashes")
    lines = [f"old {old_size}"] + [base64.b64encode(h).decode() for h in proof]
    return "\n".join(lines) + "\n\n" + note


def parse_request(body: bytes) -> AddCheckpoint:
    """Parse an ``add-checkpoint`` body strictly; ``InputError`` (400) says what is wrong.

    >>> parse_request(b"old 01\\n\\nx")
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: the first line is 'old <size>' (decimal, no leading zeros)
    """
    if len(body) > MAX_BODY_BYTES:
        raise InputError(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise InputError("no empty line between the consistency proof and the checkpoint")
    first, *hashes = head.split("\n")
    keyword, _, size = first.partition(" ")
    if keyword != "old" or not _SIZE.fullmatch(size) or int(size) > MAX_SIZE:
        raise InputError("the first line is 'old <size>' (decimal, no leading zeros)")
    if len(hashes) > MAX_PROOF_LINES:
        raise InputError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in hashes:
        try:
            value = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            value = b""
        if len(value) != HASH_SIZE or base64.b64encode(value).decode() != line:
            raise InputError(f"a consistency proof line is one base64 SHA-256 hash: {line[:60]!r}")
        proof.append(value)
    return AddCheckpoint(int(size), tuple(proof), note)


def parse_size(text: str) -> int:
    """The size in a ``text/x.tlog.size`` body (a 409 answer): decimal and a newline.

    >>> parse_size("42\\n")
    42
    """
    value = text[:-1] if text.endswith("\n") else None
    if value is None or not _SIZE.fullmatch(value):
        raise ValueError(f"not a text/x.tlog.size body: {text[:40]!r}")
    return int(value)
