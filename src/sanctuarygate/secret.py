"""Secrets kept as files in the data directory (never in the database or the repository):
32 random bytes, hex, mode 0600, created on first use; safe when workers start together.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> load_or_create_secret(d, "example.key") == load_or_create_secret(d, "example.key")
True
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SIZE = 32


def _read(path: Path) -> bytes:
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) != SIZE:
        raise ValueError(f"{path}: expected a {SIZE}-byte hex key")
    return key


def load_or_create_secret(data_dir: Path, filename: str) -> bytes:
    """Read ``data_dir/keys/filename``, creating it (mode 0600) if it does not exist."""
    path = data_dir / "keys" / filename
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(SIZE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return _read(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key
