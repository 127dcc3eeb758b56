"""Signed notes (c2sp.org/signed-note), byte for byte as golang.org/x/mod/sumdb/note writes them.

A note is a text ending in a newline, a blank line, and one line per signature::

    <text>\\n
    \\n
    — <key name> base64(4-byte key id || Ed25519 signature of the text)\\n

(an em dash, U+2014, then a space). The text is everything up to the last blank line. Signatures
by unknown keys are ignored (that is how keys rotate and witnesses cosign); a note with no valid
signature by a known key, or with a bad signature by a known key, is rejected.

>>> from sanctuarygate.audit.keys import Signer
>>> signer = Signer.from_key(
...     "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
>>> note = sign_note("hello\\n", signer)
>>> open_note(note, [signer.verifier()])
('hello\\n', ['PeterNeumann'])
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import NamedTuple

from sanctuarygate.audit.keys import KeyFormatError, Signer, Verifier, valid_name
from sanctuarygate.errors import SanctuaryGateError

SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16; Go's reader stops at 100


class NoteError(SanctuaryGateError, ValueError):
    """A signed note was not accepted. Subclasses say why.

    NoteError
    ├── MalformedNoteError      not a signed note (syntax, characters, too many signatures)
    ├── UnknownKeyError         no signature by a known key
    └── InvalidSignatureError   a known key's signature does not verify
    """

    title = "Signed note not accepted"


class MalformedNoteError(NoteError):
    """The input is not a well-formed signed note."""

    title = "Malformed signed note"


class UnknownKeyError(NoteError):
    """No signature in the note is by a key the verifier knows."""

    title = "Note not signed by a known key"

    def __init__(self, message: str, *, signers: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.signers = signers


class InvalidSignatureError(NoteError):
    """A signature by a known key does not verify: the text or the signature was altered."""

    title = "Invalid signature"

    def __init__(self, name: str, key_id: bytes) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id.hex()}: the note was altered")
        self.name = name
        self.key_id = key_id


def _check_characters(text: str) -> None:
    if any(c < " " and c != "\n" for c in text):
        raise MalformedNoteError("a signed note holds no control characters other than newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedNoteError("a signed note is valid UTF-8") from None


def sign_note(text: str, *signers: Signer) -> str:
    """The signed note of ``text`` (which must end with a newline), one signature line per signer.

    >>> from sanctuarygate.audit.keys import generate_key
    >>> skey, _ = generate_key("example")
    >>> sign_note("body\\n", Signer.from_key(skey)).splitlines()[:2]
    ['body', '']
    """
    if not signers:
        raise ValueError("sign_note needs at least one signer")
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    _check_characters(text)
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        if not valid_name(signer.name):
            raise KeyFormatError(f"invalid key name {signer.name!r}")
        signature = base64.b64encode(signer.key_id + signer.sign(message)).decode()
        lines.append(f"{SIGNATURE_PREFIX}{signer.name} {signature}\n")
    return text + "\n" + "".join(lines)


def _verifier_index(verifiers: Iterable[Verifier | str]) -> dict[tuple[str, bytes], Verifier]:
    index: dict[tuple[str, bytes], Verifier] = {}
    for item in verifiers:
        verifier = Verifier.from_key(item) if isinstance(item, str) else item
        slot = (verifier.name, verifier.key_id)
        if index.setdefault(slot, verifier) != verifier:
            raise NoteError(f"ambiguous key {verifier.name}+{verifier.key_id.hex()}: two keys share it")
    return index


class NoteSignature(NamedTuple):
    """One signature line of a note: the key name, the 4-byte key id, and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


def _parse_signature(line: str) -> NoteSignature:
    """One signature line: (name, key id, signature)."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNoteError(f"not a signature line: {line[:40]!r}")
    name, _, encoded = line[len(SIGNATURE_PREFIX):].partition(" ")
    if not valid_name(name):
        raise MalformedNoteError(f"invalid key name in signature line: {name!r}")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedNoteError(f"signature by {name} is not base64") from None
    if len(raw) < 5 or base64.b64encode(raw).decode() != encoded:
        raise MalformedNoteError(f"signature by {name} is malformed")
    return NoteSignature(name, raw[:4], raw[4:])


def split_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """A note's text and its signature lines, parsed but not verified (``MalformedNoteError``).

    The one parser of the format: ``open_note`` verifies what it returns, and cosignatures
    (``audit/cosignature.py``) are read from the same lines.

    >>> text, signatures = split_note("hi\\n\\n\u2014 x AAAAAAA=\\n")
    >>> text, [(s.name, s.key_id.hex()) for s in signatures]
    ('hi\\n', [('x', '00000000')])
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("a signed note is valid UTF-8") from None
    _check_characters(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2:]
    if not block.endswith("\n"):
        raise MalformedNoteError("a signed note ends with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature(line) for line in lines]


def open_note(note: str | bytes, verifiers: Iterable[Verifier | str]) -> tuple[str, list[str]]:
    """Check a signed note: (its text, names of the known keys that signed it, in note order).

    ``verifiers`` are ``Verifier`` objects or verifier key strings. Raises ``MalformedNoteError``,
    ``UnknownKeyError`` (no signature by a known key) or ``InvalidSignatureError``.

    >>> open_note("hi\\n\\n\u2014 x AAAAAAA=\\n", [])
    Traceback (most recent call last):
    ...
    sanctuarygate.audit.note.UnknownKeyError: note is not signed by any known key (signed by: x)
    """
    text, signatures = split_note(note)
    known = _verifier_index(verifiers)
    message = text.encode("utf-8")
    signed: list[str] = []
    others: list[str] = []
    for name, kid, signature in signatures:
        verifier = known.get((name, kid))
        if verifier is None:
            others.append(name)  # unknown keys are ignored, as the spec requires
        elif not verifier.verify(message, signature):
            raise InvalidSignatureError(name, kid)
        elif name not in signed:
            signed.append(name)
    if not signed:
        by = f" (signed by: {', '.join(dict.fromkeys(others))})" if others else ""
        raise UnknownKeyError(f"note is not signed by any known key{by}", signers=tuple(others))
    return text, signed
