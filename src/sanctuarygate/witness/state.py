"""What a witness remembers, in one small SQLite file: per log, the latest checkpoint it cosigned.

Three tables. ``log``: origin, size and root hash of the latest cosigned checkpoint (size 0 and the
empty tree's hash before the first), and that checkpoint as a note (the log's verified
signatures and the witness's cosignature). ``log_key``: the verifier keys each log signs with.
``evidence``: checkpoints the log signed that the witness refused as inconsistent (a fork, a
rewritten history): proof of the log's misbehaviour, kept for whoever investigates.

Advancing is a compare-and-swap on the stored size and root (``advance``): of two concurrent
submissions checked against the same state, exactly one is stored, so a slower, smaller one can
never roll the witness back (the race the tlog-witness spec warns about).

>>> import tempfile, os
>>> from sanctuarygate.audit.keys import generate_key
>>> from sanctuarygate.audit.merkle import EMPTY_ROOT
>>> with tempfile.TemporaryDirectory() as d:
...     state = WitnessState(os.path.join(d, "witness.db"))
...     added = state.add_log("log.example", generate_key("log.example")[1])
...     first = state.advance("log.example", 0, EMPTY_ROOT, 3, bytes(32), "note")
...     stale = state.advance("log.example", 0, EMPTY_ROOT, 2, bytes(32), "note")
...     size = state.log("log.example").size
>>> added, first, stale, size
(True, True, False, 3)
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sanctuarygate.audit.checkpoint import Checkpoint, MalformedCheckpointError
from sanctuarygate.audit.keys import KeyFormatError, Verifier
from sanctuarygate.audit.merkle import EMPTY_ROOT
from sanctuarygate.errors import ConfigurationError, InputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    origin      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL CHECK (size >= 0),
    root_hash   BLOB NOT NULL CHECK (length(root_hash) = 32),
    checkpoint  TEXT,
    updated_at  INTEGER
);
CREATE TABLE IF NOT EXISTS log_key (
    origin  TEXT NOT NULL REFERENCES log (origin),
    vkey    TEXT NOT NULL,
    PRIMARY KEY (origin, vkey)
);
CREATE TABLE IF NOT EXISTS evidence (
    id           INTEGER PRIMARY KEY,
    origin       TEXT NOT NULL REFERENCES log (origin),
    received_at  INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    checkpoint   TEXT NOT NULL
);
"""
#: Evidence kept per log: only the log's own key can produce it, but it must not fill the disk.
MAX_EVIDENCE = 100


@dataclass(frozen=True, slots=True)
class LogState:
    """One witnessed log: its keys and the latest checkpoint the witness cosigned."""

    origin: str
    size: int
    root_hash: bytes
    checkpoint: str | None
    keys: tuple[str, ...]
    updated_at: int | None


class WitnessState:
    """The witness's SQLite file. Each call opens its own connection (safe across threads)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise ConfigurationError(f"{self.path.parent}: no such witness directory")
        try:
            with self._connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigurationError(f"{self.path}: not a witness state file ({exc})") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA synchronous=FULL")  # persisted before the cosignature is sent
            db.execute("PRAGMA foreign_keys=ON")
            yield db

    def add_log(self, origin: str, vkey: str) -> bool:
        """Witness the log ``origin``, whose checkpoints ``vkey`` signs; False if already known.

        A log can have several keys (a rotation): add each. Its state starts at size 0.
        """
        try:
            Checkpoint(origin, 0, EMPTY_ROOT)
        except MalformedCheckpointError as exc:
            raise InputError(f"not a log origin: {exc}") from None
        try:
            key = Verifier.from_key(vkey.strip()).key
        except KeyFormatError as exc:
            raise InputError(f"not a log verifier key: {exc}") from None
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR IGNORE INTO log (origin, size, root_hash) VALUES (?, 0, ?)",
                       (origin, EMPTY_ROOT))
            added = db.execute("INSERT OR IGNORE INTO log_key (origin, vkey) VALUES (?, ?)",
                               (origin, key)).rowcount
            db.execute("COMMIT")
        return added == 1

    def log(self, origin: str) -> LogState | None:
        """The state of one log, or None when the witness does not witness it."""
        with self._connect() as db:
            row = db.execute("SELECT origin, size, root_hash, checkpoint, updated_at FROM log "
                             "WHERE origin = ?", (origin,)).fetchone()
            if row is None:
                return None
            keys = tuple(k for (k,) in db.execute(
                "SELECT vkey FROM log_key WHERE origin = ? ORDER BY rowid", (origin,)))
        return LogState(row[0], row[1], bytes(row[2]), row[3], keys, row[4])

    def logs(self) -> list[LogState]:
        """Every witnessed log, by origin."""
        with self._connect() as db:
            origins = [o for (o,) in db.execute("SELECT origin FROM log ORDER BY origin")]
        return [state for o in origins if (state := self.log(o)) is not None]

    def advance(self, origin: str, old_size: int, old_root: bytes, size: int, root_hash: bytes,
                checkpoint: str) -> bool:
        """Store a newly cosigned checkpoint if the state is still ``(old_size, old_root)``.

        Returns False, storing nothing, when another submission got there first.
        """
        with self._connect() as db:
            changed = db.execute(
                "UPDATE log SET size = ?, root_hash = ?, checkpoint = ?, updated_at = ? "
                "WHERE origin = ? AND size = ? AND root_hash = ?",
                (size, root_hash, checkpoint, int(time.time()), origin, old_size, old_root),
            ).rowcount
        return changed == 1

    def record_evidence(self, origin: str, checkpoint: str, reason: str) -> None:
        """Keep a validly signed checkpoint that the witness refused (the first ``MAX_EVIDENCE``)."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO evidence (origin, received_at, reason, checkpoint) "
                "SELECT ?, ?, ?, ? WHERE (SELECT count(*) FROM evidence WHERE origin = ?) < ?",
                (origin, int(time.time()), reason, checkpoint, origin, MAX_EVIDENCE))

    def evidence(self, origin: str) -> list[tuple[int, str, str]]:
        """The refused checkpoints of one log: (received at, reason, signed note), oldest first."""
        with self._connect() as db:
            return [(t, r, c) for t, r, c in db.execute(
                "SELECT received_at, reason, checkpoint FROM evidence WHERE origin = ? ORDER BY id",
                (origin,))]


def create_private_dir(path: Path) -> None:
    """The witness directory, readable by its owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
