"""Witness cosignatures (c2sp.org/tlog-cosignature): Ed25519 ``cosignature/v1``.

A witness that checked a checkpoint is consistent with every earlier one it saw adds its own
line to the signed note::

    — <witness name> base64(key id (4) || timestamp (8, big-endian) || Ed25519 signature (64))

The key id is ``SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]``. The signed message
is two lines, then the whole checkpoint body (extension lines too)::

    cosignature/v1
    time <POSIX seconds, decimal>
    <origin>
    <size>
    <base64 root hash>

A witness key is written as a verifier key ("vkey") like a log key, with algorithm byte 0x04:
``<name>+<hex key id>+base64(0x04 || public key)``. The statement a cosignature makes: at that
time, this is the largest consistent tree the witness has seen for the log.

>>> from sanctuarygate.audit.checkpoint import Checkpoint
>>> signer = WitnessSigner.from_key(generate_witness_key("witness.example/w1")[0])
>>> body = Checkpoint("log.example/decisions", 3, bytes(32)).body()
>>> line = cosign(body, signer, 1700000000)
>>> note = body + "\\n" + line
>>> [(c.name, c.timestamp) for c in verify_cosignatures(note, [signer.verifier()])]
[('witness.example/w1', 1700000000)]
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sanctuarygate.audit.checkpoint import parse
from sanctuarygate.audit.keys import KeyFormatError, valid_name
from sanctuarygate.audit.note import (
    SIGNATURE_PREFIX,
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    split_note,
)

ALGORITHM = 0x04  # the signed-note signature type of Ed25519 cosignature/v1
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
_SIGNATURE_SIZE = 8 + 64  # timestamp || Ed25519 signature


class TooFewCosignaturesError(NoteError):
    """Fewer trusted witnesses cosigned a checkpoint than the trust policy requires."""

    title = "Too few witness cosignatures"

    def __init__(self, have: Sequence[str], need: int, of: int) -> None:
        by = f" ({', '.join(have)})" if have else ""
        super().__init__(f"cosigned by {len(have)} of the {of} trusted witnesses{by}; "
                         f"{need} required")
        self.have = tuple(have)
        self.need = need


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of a cosignature/v1 witness key.

    Vector from transparency-dev/formats (note/note_cosigv1_test.go), a native 0x04 vkey:

    >>> key_id("remora.n621.de", base64.b64decode("BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")[1:]).hex()
    'da77ade7'
    """
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALGORITHM]) + public_key).digest()[:4]


def message(text: str, timestamp: int) -> bytes:
    """The bytes a witness signs for checkpoint body ``text`` at ``timestamp``.

    >>> message("log\\n1\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\\n", 5).decode().splitlines()[:3]
    ['cosignature/v1', 'time 5', 'log']
    """
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"a cosignature timestamp is between 0 and 2**63-1, got {timestamp}")
    return f"{HEADER}time {timestamp}\n{text}".encode()


def _split_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError("a witness key is <name>+<key id>+<base64 key>")
    name, hex_id, material = parts
    if not valid_name(name):
        raise KeyFormatError(f"invalid witness name {name!r}")
    if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
        raise KeyFormatError(f"witness key {name}: the key id is 8 lower-case hex digits")
    try:
        raw = base64.b64decode(material, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"witness key {name}: the key is not base64") from None
    if not raw or raw[0] != ALGORITHM:
        kind = f"0x{raw[0]:02x}" if raw else "none"
        raise KeyFormatError(f"witness key {name}: algorithm {kind}, not 0x04 (Ed25519 cosignature/v1)")
    if len(raw) != 33:
        raise KeyFormatError(f"witness key {name}: an Ed25519 key has 32 bytes, got {len(raw) - 1}")
    return name, bytes.fromhex(hex_id), raw[1:]


class WitnessVerifier:
    """Checks the cosignatures of one witness key (name, Ed25519 public key)."""

    def __init__(self, name: str, public_key: bytes) -> None:
        if not valid_name(name):
            raise KeyFormatError(f"invalid witness name {name!r}")
        try:
            self._key = Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError as err:
            raise KeyFormatError(f"witness {name}: not an Ed25519 public key ({err})") from None
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, public_key)

    @classmethod
    def from_key(cls, vkey: str) -> WitnessVerifier:
        """Parse a witness vkey; ``KeyFormatError`` if anything is off.

        >>> vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
        >>> WitnessVerifier.from_key(vkey).name
        'remora.n621.de'
        """
        name, kid, public_key = _split_vkey(vkey.strip())
        verifier = cls(name, public_key)
        if verifier.key_id != kid:
            raise KeyFormatError(f"witness key {name}+{kid.hex()}: the key id does not match the key")
        return verifier

    @property
    def key(self) -> str:
        """The witness vkey, to publish and pin.

        >>> v = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
        >>> WitnessVerifier.from_key(v).key == v
        True
        """
        material = base64.b64encode(bytes([ALGORITHM]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, text: str, timestamp: int, signature: bytes) -> bool:
        """Whether ``signature`` (64 bytes) is this witness's cosignature of ``text`` at ``timestamp``."""
        try:
            self._key.verify(signature, message(text, timestamp))
        except (InvalidSignature, ValueError):
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WitnessVerifier) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"WitnessVerifier({self.key!r})"


class WitnessSigner:
    """A witness's Ed25519 private key. Its ``repr`` never shows the key."""

    def __init__(self, name: str, seed: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self._verifier = WitnessVerifier(name, self._private.public_key().public_bytes_raw())
        self.name = name
        self.key_id = self._verifier.key_id

    @classmethod
    def from_key(cls, skey: str) -> WitnessSigner:
        """Parse ``PRIVATE+KEY+<name>+<key id>+base64(0x04 || seed)`` (the message omits the key).

        >>> WitnessSigner.from_key(generate_witness_key("w.example")[0]).name
        'w.example'
        """
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise KeyFormatError("a witness signer key is PRIVATE+KEY+<name>+<key id>+<base64 key>")
        name, kid, seed = _split_vkey("+".join(parts[2:]))
        signer = cls(name, seed)
        if signer.key_id != kid:
            raise KeyFormatError(f"witness signer key {name}: the key id does not match the key")
        return signer

    @property
    def key(self) -> str:
        """The signer key string. Secret: the witness keeps it in a 0600 file."""
        material = base64.b64encode(bytes([ALGORITHM]) + self._private.private_bytes_raw()).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{material}"

    def verifier(self) -> WitnessVerifier:
        """The matching verifier (the witness's public vkey)."""
        return self._verifier

    def sign(self, text: str, timestamp: int) -> bytes:
        """The 72-byte cosignature value: timestamp (8, big-endian) || Ed25519 signature."""
        return timestamp.to_bytes(8, "big") + self._private.sign(message(text, timestamp))

    def __repr__(self) -> str:
        return f"WitnessSigner(name={self.name!r}, key_id={self.key_id.hex()!r})"


def generate_witness_key(name: str) -> tuple[str, str]:
    """A new witness key pair for ``name``: (signer key string, vkey).

    >>> skey, vkey = generate_witness_key("witness.example/w1")
    >>> skey.startswith("PRIVATE+KEY+witness.example/w1+"), WitnessVerifier.from_key(vkey).name
    (True, 'witness.example/w1')
    """
    if not valid_name(name):
        raise KeyFormatError(f"invalid witness name {name!r} (no spaces, '+' or control characters)")
    signer = WitnessSigner(name, os.urandom(32))  # an Ed25519 private key is 32 random bytes
    return signer.key, signer.verifier().key


def cosign(checkpoint_text: str, signer: WitnessSigner, timestamp: int | None = None) -> str:
    """The cosignature line (ending in a newline) of ``signer`` on a checkpoint body.

    ``timestamp`` defaults to now. The body must be a well-formed checkpoint.

    >>> signer = WitnessSigner.from_key(generate_witness_key("w.example")[0])
    >>> body = "log\\n0\\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\\n"
    >>> cosign(body, signer, 1).startswith("\u2014 w.example ")
    True
    """
    parse(checkpoint_text)
    when = int(_time.time()) if timestamp is None else timestamp
    value = signer.key_id + signer.sign(checkpoint_text, when)
    return f"{SIGNATURE_PREFIX}{signer.name} {base64.b64encode(value).decode()}\n"


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified cosignature: which witness, and the time it says it saw the checkpoint."""

    name: str
    key_id: bytes
    timestamp: int


def _index(witnesses: Iterable[WitnessVerifier | str]) -> dict[tuple[str, bytes], WitnessVerifier]:
    index: dict[tuple[str, bytes], WitnessVerifier] = {}
    for item in witnesses:
        verifier = WitnessVerifier.from_key(item) if isinstance(item, str) else item
        if index.setdefault((verifier.name, verifier.key_id), verifier) != verifier:
            raise NoteError(f"ambiguous witness key {verifier.name}+{verifier.key_id.hex()}: "
                            "two keys share it")
    return index


def verify_cosignatures(
    note: str | bytes, witnesses: Iterable[WitnessVerifier | str]
) -> list[Cosignature]:
    """The trusted witnesses that validly cosigned ``note``, one each, in note order.

    Lines by other keys (the log's, unknown witnesses') are ignored; a line by a trusted witness
    key that does not verify (an altered body or timestamp) raises ``InvalidSignatureError``.
    The log's own signature is not checked here: that is ``verify_checkpoint``'s job.
    """
    text, signatures = split_note(note)
    parse(text)
    trusted = _index(witnesses)
    found: dict[WitnessVerifier, Cosignature] = {}
    for name, kid, value in signatures:
        verifier = trusted.get((name, kid))
        if verifier is None:
            continue
        if len(value) != _SIGNATURE_SIZE:
            raise InvalidSignatureError(name, kid)
        timestamp = int.from_bytes(value[:8], "big")
        if timestamp > MAX_TIMESTAMP or not verifier.verify(text, timestamp, value[8:]):
            raise InvalidSignatureError(name, kid)
        found.setdefault(verifier, Cosignature(name, kid, timestamp))
    return list(found.values())


def require_cosignatures(
    note: str | bytes, witnesses: Sequence[WitnessVerifier | str], k: int
) -> list[Cosignature]:
    """``verify_cosignatures``, and at least ``k`` of the ``witnesses`` among them.

    Raises ``TooFewCosignaturesError`` (a ``NoteError``) when fewer than ``k`` cosigned.

    >>> from sanctuarygate.audit.checkpoint import Checkpoint
    >>> w1, w2 = (WitnessSigner.from_key(generate_witness_key(n)[0]) for n in ("w1", "w2"))
    >>> body = Checkpoint("log", 1, bytes(32)).body()
    >>> note = body + "\\n" + cosign(body, w1, 1)
    >>> len(require_cosignatures(note, [w1.verifier(), w2.verifier()], 1))
    1
    >>> try:
    ...     require_cosignatures(note, [w1.verifier(), w2.verifier()], 2)
    ... except TooFewCosignaturesError as err:
    ...     print(err)
    cosigned by 1 of the 2 trusted witnesses (w1); 2 required
    """
    pinned = list(_index(witnesses).values())
    if isinstance(k, bool) or not 0 <= k <= len(pinned):
        raise ValueError(f"need k of n witnesses with 0 <= k <= n = {len(pinned)}, got k = {k}")
    cosigned = verify_cosignatures(note, pinned)
    if len(cosigned) < k:
        raise TooFewCosignaturesError([c.name for c in cosigned], k, len(pinned))
    return cosigned


def timestamp_of(line: str) -> int:
    """The timestamp a cosignature line claims (not verified).

    The example in the C2SP tlog-cosignature spec (witness.example.com/w1, time 1679315147):

    >>> timestamp_of("\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWX"
    ...              "EhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==")
    1679315147
    """
    _, signatures = split_note("x\n\n" + line.rstrip("\n") + "\n")
    value = signatures[0].signature
    if len(value) != _SIGNATURE_SIZE:
        raise MalformedNoteError(f"a cosignature/v1 value has {_SIGNATURE_SIZE} bytes after the key id")
    return int.from_bytes(value[:8], "big")
