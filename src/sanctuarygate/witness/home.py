"""A witness's directory: its private key, its public key, its state.

::

    <dir>/witness.key    PRIVATE+KEY+<name>+<key id>+<base64>   mode 0600, never leaves the machine
    <dir>/witness.vkey   <name>+<key id>+<base64>               the public key, to publish
    <dir>/witness.db     SQLite: the logs witnessed and the latest checkpoint of each

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     vkey = init_witness(d, "witness.example/w1")
...     same = load_signer(d).verifier() == vkey
>>> vkey.name, same
('witness.example/w1', True)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sanctuarygate.audit.cosignature import WitnessSigner, WitnessVerifier, generate_witness_key
from sanctuarygate.audit.keys import KeyFormatError
from sanctuarygate.errors import ConfigurationError, InputError
from sanctuarygate.witness.state import WitnessState, create_private_dir

KEY_FILE = "witness.key"
VKEY_FILE = "witness.vkey"
STATE_FILE = "witness.db"


def init_witness(directory: Path | str, name: str) -> WitnessVerifier:
    """Make a new witness in ``directory``: a key pair named ``name`` and an empty state.

    Refuses (``InputError``) when the directory already holds a witness key: a witness that
    changed its key would lose the trust pinned to it.
    """
    folder = Path(directory)
    try:
        skey, vkey = generate_witness_key(name)
    except KeyFormatError as exc:
        raise InputError(str(exc)) from None
    if (folder / KEY_FILE).exists():
        raise InputError(f"{folder} already holds a witness key ({folder / KEY_FILE}); "
                         "a witness keeps its key")
    create_private_dir(folder)
    try:
        fd = os.open(folder / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{folder} already holds a witness key") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (skey + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    (folder / VKEY_FILE).write_text(vkey + "\n", encoding="utf-8")
    WitnessState(folder / STATE_FILE)
    return WitnessVerifier.from_key(vkey)


def load_signer(directory: Path | str) -> WitnessSigner:
    """The witness's signer; ``ConfigurationError`` when missing, readable by others or malformed."""
    path = Path(directory) / KEY_FILE
    if not path.exists():
        raise ConfigurationError(f"no witness key in {Path(directory)}: "
                                 "run 'sanctuarygate witness init NAME' first")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(f"{path}: a private key must have mode 0600, not {mode:04o} "
                                 "(chmod 600 it)")
    try:
        return WitnessSigner.from_key(path.read_text(encoding="utf-8"))
    except (KeyFormatError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: not a witness signer key ({exc})") from None


def open_state(directory: Path | str) -> WitnessState:
    """The witness's state file; ``ConfigurationError`` when the directory has no witness."""
    folder = Path(directory)
    if not (folder / KEY_FILE).exists():
        raise ConfigurationError(f"no witness in {folder}: run 'sanctuarygate witness init NAME' first")
    return WitnessState(folder / STATE_FILE)
