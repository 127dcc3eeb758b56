"""The key for person identifiers' keyed hashes: a file in the data directory, never in the
log, the database or the repository.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> len(load_or_create_person_key(d)) == 32 and (d / "keys" / "person-hmac.key").exists()
True
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "person-hmac.key"


def load_or_create_person_key(data_dir: Path) -> bytes:
    """Read the 32-byte HMAC key, creating it (mode 0600) on first use."""
    path = data_dir / "keys" / KEY_FILE
    if path.exists():
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) != 32:
            raise ValueError(f"{path}: expected a 32-byte hex key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key
