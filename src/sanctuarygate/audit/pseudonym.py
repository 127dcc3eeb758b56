"""The key for person identifiers' keyed hashes: a file in the data directory, never in the
log, the database or the repository.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> len(load_or_create_person_key(d)) == 32 and (d / "keys" / "person-hmac.key").exists()
True
"""

from __future__ import annotations

from pathlib import Path

from sanctuarygate.secret import load_or_create_secret

KEY_FILE = "person-hmac.key"


def load_or_create_person_key(data_dir: Path) -> bytes:
    """Read the 32-byte HMAC key, creating it (mode 0600) on first use."""
    return load_or_create_secret(data_dir, KEY_FILE)
