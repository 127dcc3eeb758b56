"""Secret files in the data directory: written once, published whole, never overwritten.

Every secret kept on disk (the person-HMAC key, the watermark key, the log's signing key, the
demo's agency key) is created the same way:

1. the content goes to a temporary file in the same folder, mode 0600, and is fsync'ed;
2. it is published under its final name with ``os.link``, which fails if the name exists, so an
   existing secret is never replaced; the loser of a race reads the winner's file;
3. the folder is fsync'ed, so the new name survives a power cut.

A reader therefore never sees an empty or half-written file. A file that is empty or damaged
anyway (left by a crash of an older version, which wrote in place) is an error naming the file
and what to do, never a silently regenerated secret. Replacing a secret on purpose (key
rotation) goes through ``replace``: a complete temporary file, then ``os.replace``, so the old
content stays readable until the new one is whole.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> load_or_create_secret(d, "example.key") == load_or_create_secret(d, "example.key")
True
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sanctuarygate.errors import ConfigurationError

SIZE = 32
T = TypeVar("T")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_copy(path: Path, content: bytes, mode: int) -> Path:
    """A complete, fsync'ed copy of ``content`` beside ``path`` (mode ``mode``)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    os.close(fd)
    return Path(name)


def make_folder(folder: Path) -> None:
    """Create ``folder`` (mode 0700) and its parents if missing."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def publish_once(path: Path, content: bytes, *, mode: int = 0o600) -> bool:
    """Create ``path`` holding ``content`` unless it exists; whether this call created it.

    The file appears whole or not at all; an existing file is left as it is.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s"
    >>> publish_once(p, b"first"), publish_once(p, b"second"), p.read_bytes()
    (True, False, b'first')
    """
    make_folder(path.parent)
    temp = _temp_copy(path, content, mode)
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temp)
    _fsync_dir(path.parent)
    return True


def replace(path: Path, content: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``content`` atomically: readers see the old file or the new one.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s"
    >>> replace(p, b"one"); replace(p, b"two"); p.read_bytes()
    b'two'
    """
    make_folder(path.parent)
    temp = _temp_copy(path, content, mode)
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_dir(path.parent)


def damaged(path: Path, problem: str, consequence: str) -> ConfigurationError:
    """The error for a secret file that exists but cannot be used: what is wrong, what to do.

    >>> str(damaged(Path("/d/keys/x.key"), "empty", "x made with it cannot be checked"))[:40]
    '/d/keys/x.key: empty. It was probably le'
    """
    return ConfigurationError(
        f"{path}: {problem}. It was probably left by an interrupted start of an older version. "
        f"Restore it from a backup; only if nothing was made with it yet, delete it and start "
        f"again (a new one is then created; {consequence}).")


def load_or_create(path: Path, make: Callable[[], bytes], parse: Callable[[bytes], T]
                   ) -> tuple[T, bool]:
    """Read ``path`` with ``parse``, first creating it from ``make()`` if it does not exist.

    Returns the parsed content and whether this call created the file. ``parse`` raises
    ``ConfigurationError`` (see ``damaged``) for content it cannot use.
    """
    created = False
    if not path.exists():
        created = publish_once(path, make())
    return parse(path.read_bytes()), created


def _parse_hex_key(path: Path, consequence: str) -> Callable[[bytes], bytes]:
    def parse(raw: bytes) -> bytes:
        text = raw.decode("ascii", errors="replace").strip()
        if not text:
            raise damaged(path, "the file is empty", consequence)
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise damaged(path, f"not a hex key (expected {SIZE * 2} hex digits)", consequence) from None
        if len(key) != SIZE:
            raise damaged(path, f"a {len(key)}-byte key, expected {SIZE} bytes", consequence)
        return key
    return parse


def load_or_create_secret(data_dir: Path, filename: str) -> bytes:
    """The 32-byte key in ``data_dir/keys/filename`` (hex), created (mode 0600) on first use.

    Safe when workers start together: they all end with the same key.
    """
    path = Path(data_dir) / "keys" / filename
    consequence = "what the old key made can no longer be checked"
    key, _ = load_or_create(path, lambda: secrets.token_bytes(SIZE).hex().encode() + b"\n",
                            _parse_hex_key(path, consequence))
    return key
