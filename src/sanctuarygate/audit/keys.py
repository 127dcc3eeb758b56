"""Ed25519 keys for signed notes (c2sp.org/signed-note), and where the log keeps its own.

Key strings are those of golang.org/x/mod/sumdb/note, so other tools read ours:

- verifier key ``<name>+<key id, 8 hex>+base64(0x01 || 32-byte public key)``, safe to publish;
- signer key ``PRIVATE+KEY+<name>+<key id>+base64(0x01 || 32-byte seed)``, secret;

with key id = the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).

On disk, the log's signer key lives only at ``<data_dir>/keys/<name>.key`` (mode 0600, the name
percent-encoded where it is not filename-safe, so ``log.example/a`` is ``log.example%2Fa.key``).
``<name>.verifiers`` lists every verifier key the name has signed with, oldest first, the current
one last: rotating keeps the old ones so old checkpoints still verify.

>>> signer = Signer.from_key(
...     "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
>>> signer.verifier().key
'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sanctuarygate import secret
from sanctuarygate.errors import ConfigurationError, SanctuaryGateError

ED25519 = 0x01  # the signed-note algorithm byte for Ed25519
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")


class KeyFormatError(SanctuaryGateError, ValueError):
    """A verifier or signer key string is malformed, has the wrong key id, or an unknown algorithm."""

    title = "Malformed key"


def valid_name(name: str) -> bool:
    """Whether ``name`` may name a key: non-empty, no Unicode space, no plus, no control character.

    >>> valid_name("sanctuarygate.example/log"), valid_name("two words"), valid_name("a+b")
    (True, False, False)
    """
    return bool(name) and "+" not in name and not any(c.isspace() or c < " " for c in name)


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id: SHA-256(name || 0x0A || 0x01 || public_key)[:4].

    >>> key_id("PeterNeumann", base64.b64decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")[1:]).hex()
    'c74f20a3'
    """
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _b64(text: str) -> bytes:
    """Strict standard base64: the canonical encoding of its bytes, nothing else."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError("key material is not valid base64") from None
    if base64.b64encode(raw).decode() != text:
        raise KeyFormatError("key material is not canonical base64")
    return raw


def _split_key(name: str, hex_id: str, material: str, *, secret: bool) -> tuple[bytes, bytes]:
    """Check a key string's parts; returns (key id, 32 key bytes after the algorithm byte).

    For a ``secret`` (signer) key the messages quote nothing: a mangled string may hold the key.
    """
    if not valid_name(name):
        raise KeyFormatError("invalid key name" + ("" if secret else f" {name!r}"))
    if not _HEX_ID.fullmatch(hex_id):
        raise KeyFormatError("key id must be 8 hex digits" + ("" if secret else f", got {hex_id!r}"))
    which = "signer key" if secret else f"key {name}+{hex_id}"
    raw = _b64(material)
    if not raw or raw[0] != ED25519:
        raise KeyFormatError(f"{which}: unknown algorithm (only Ed25519, 0x01)")
    if len(raw) != 33:
        raise KeyFormatError(f"{which}: an Ed25519 key has 32 bytes, got {len(raw) - 1}")
    return bytes.fromhex(hex_id), raw[1:]


class Verifier:
    """Checks signatures by one Ed25519 key, known by its name and key id."""

    def __init__(self, name: str, public_key: bytes) -> None:
        if not valid_name(name):
            raise KeyFormatError(f"invalid key name {name!r}")
        try:
            self._key = Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError as err:
            raise KeyFormatError(f"key {name}: not an Ed25519 public key ({err})") from None
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, public_key)

    @classmethod
    def from_key(cls, vkey: str) -> Verifier:
        """Parse a verifier key string; ``KeyFormatError`` if anything is off.

        >>> Verifier.from_key("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").name
        'PeterNeumann'
        """
        parts = vkey.split("+", 2)  # base64 may hold "+" too
        if len(parts) != 3:
            raise KeyFormatError("a verifier key is <name>+<key id>+<base64 key>")
        kid, public_key = _split_key(*parts, secret=False)
        verifier = cls(parts[0], public_key)
        if verifier.key_id != kid:
            raise KeyFormatError(f"key {parts[0]}+{parts[1]}: the key id does not match the key")
        return verifier

    @property
    def key(self) -> str:
        """The verifier key string, to publish.

        >>> Verifier.from_key("EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop").key
        'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop'
        """
        material = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``.

        >>> s = Signer.from_key(generate_key("example")[0])
        >>> s.verifier().verify(b"hi", s.sign(b"hi")), s.verifier().verify(b"ho", s.sign(b"hi"))
        (True, False)
        """
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verifier) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Verifier({self.key!r})"


class Signer:
    """Signs with one Ed25519 private key. Its ``repr`` never shows the key."""

    def __init__(self, name: str, seed: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self._verifier = Verifier(name, self._private.public_key().public_bytes_raw())
        self.name = name
        self.key_id = self._verifier.key_id

    @classmethod
    def from_key(cls, skey: str) -> Signer:
        """Parse a signer key string; ``KeyFormatError`` if anything is off (the message omits the key).

        >>> skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        >>> Signer.from_key(skey).name
        'PeterNeumann'
        """
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise KeyFormatError("a signer key is PRIVATE+KEY+<name>+<key id>+<base64 key>")
        kid, seed = _split_key(*parts[2:], secret=True)
        signer = cls(parts[2], seed)
        if signer.key_id != kid:
            raise KeyFormatError(f"signer key {parts[2]}: the key id does not match the key")
        return signer

    @property
    def key(self) -> str:
        """The signer key string. Secret: store it only where ``load_or_create_signer`` does.

        >>> Signer.from_key(generate_key("example")[0]).key.startswith("PRIVATE+KEY+example+")
        True
        """
        material = base64.b64encode(bytes([ED25519]) + self._private.private_bytes_raw()).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{material}"

    def verifier(self) -> Verifier:
        """The matching verifier.

        >>> Signer.from_key(generate_key("example")[0]).verifier().name
        'example'
        """
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature (64 bytes) of ``message``.

        >>> len(Signer.from_key(generate_key("example")[0]).sign(b"message"))
        64
        """
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_id={self.key_id.hex()!r})"


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key pair for ``name``: (signer key string, verifier key string).

    >>> skey, vkey = generate_key("sanctuarygate.example/log")
    >>> skey.startswith("PRIVATE+KEY+sanctuarygate.example/log+"), vkey.split("+")[0]
    (True, 'sanctuarygate.example/log')
    """
    signer = Signer(name, os.urandom(32))  # an Ed25519 private key is 32 random bytes (RFC 8032)
    return signer.key, signer.verifier().key


# -- storage ----------------------------------------------------------------------------------


def signer_stamp(data_dir: Path | str, name: str) -> tuple[int, int] | None:
    """(inode, mtime in ns) of the signer key file, or None: changes when a rotation renames a
    new key over it, so a long-running process notices and stops signing with the old one."""
    try:
        info = _paths(data_dir, name)[1].stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns


def _paths(data_dir: Path | str, name: str) -> tuple[Path, Path, Path]:
    if not valid_name(name):
        raise KeyFormatError(f"invalid key name {name!r}")
    keys = Path(data_dir) / "keys"
    stem = quote(name, safe="")
    return keys, keys / f"{stem}.key", keys / f"{stem}.verifiers"


@contextmanager
def _locked(keys: Path) -> Iterator[None]:
    """Hold the key directory's lock while the verifier list or the key is being replaced."""
    secret.make_folder(keys)
    fd = os.open(keys / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


_SIGNED_WITH = ("checkpoints signed with the lost key stay verifiable only through the public "
                "key already published")


def _read_signer(path: Path, name: str) -> Signer:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(f"{path}: a private key must have mode 0600, not {mode:04o} (chmod 600 it)")
    raw = path.read_bytes()
    if not raw.strip():
        raise secret.damaged(path, "the signing key file is empty", _SIGNED_WITH)
    try:
        signer = Signer.from_key(raw.decode("utf-8").strip())
    except (KeyFormatError, UnicodeDecodeError) as err:
        raise ConfigurationError(f"{path}: not a signer key ({err}); restore the log's signing key "
                                 "from a backup") from None
    if signer.name != name:
        raise ConfigurationError(f"{path}: holds a key named {signer.name!r}, not {name!r}")
    return signer


def _add_verifier(path: Path, verifier: Verifier) -> None:
    """List ``verifier`` last in ``path`` unless it is there; the list is replaced whole."""
    known = path.read_text(encoding="utf-8").split() if path.exists() else []
    if verifier.key in known:
        return
    secret.replace(path, "".join(f"{k}\n" for k in [*known, verifier.key]).encode(), mode=0o644)


def load_or_create_signer(data_dir: Path | str, name: str) -> tuple[Signer, bool]:
    """The log's signer for ``name``, created on first use; ``created`` says whether it is new.

    Workers starting together all end with the same key (``secret.publish_once``); an empty or
    damaged key file is an error naming the file, never replaced.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     first, created = load_or_create_signer(d, "example")
    ...     again, created_again = load_or_create_signer(d, "example")
    >>> created, created_again, first.key_id == again.key_id
    (True, False, True)
    """
    keys, key_path, verifiers_path = _paths(data_dir, name)
    secret.make_folder(keys)
    created = False
    if not key_path.exists():
        created = secret.publish_once(key_path, (Signer(name, os.urandom(32)).key + "\n").encode())
    signer = _read_signer(key_path, name)
    with _locked(keys):
        _add_verifier(verifiers_path, signer.verifier())
    return signer, created


def rotate(data_dir: Path | str, name: str, signer: Signer | None = None) -> Signer:
    """Replace the signer key of ``name`` with a new one (``signer``, or a fresh one); the old
    verifier keys stay listed. The log's rotation (``audit/rotation.py``) records the change
    in the log first and passes the key it announced.

    The new key is listed as a verifier first, then written beside the old one and renamed over
    it: until the rename the old key is whole and in use, after it the new one.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     old, _ = load_or_create_signer(d, "example")
    ...     new = rotate(d, "example")
    ...     listed = load_verifiers(d, "example")
    >>> listed == [old.verifier(), new.verifier()]
    True
    """
    keys, key_path, verifiers_path = _paths(data_dir, name)
    with _locked(keys):
        if key_path.exists():  # a damaged current key stops the rotation: it may have signed
            _add_verifier(verifiers_path, _read_signer(key_path, name).verifier())
        if signer is None:
            signer = Signer(name, os.urandom(32))
        elif signer.name != name:
            raise KeyFormatError(f"a key named {signer.name!r} cannot sign for {name!r}")
        _add_verifier(verifiers_path, signer.verifier())  # listed before it can sign anything
        secret.replace(key_path, (signer.key + "\n").encode(), mode=0o600)
    return signer


def load_verifiers(data_dir: Path | str, name: str) -> list[Verifier]:
    """Every verifier key ``name`` has signed with, oldest first (empty if none yet).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     load_verifiers(d, "example")
    []
    """
    _, _, verifiers_path = _paths(data_dir, name)
    if not verifiers_path.exists():
        return []
    try:
        return [Verifier.from_key(line) for line in verifiers_path.read_text(encoding="utf-8").split()]
    except (KeyFormatError, UnicodeDecodeError) as err:
        raise ConfigurationError(f"{verifiers_path}: not a list of verifier keys ({err})") from None
