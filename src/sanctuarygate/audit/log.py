"""The decision log as the application uses it: record, checkpoint, read, prove.

``DecisionLog`` ties the stored log (``store/log.py``) to the signing key and the person-HMAC
key in the data directory (never in the database or the repository). With no signing key yet,
the first append creates one and says so (``key_created`` and a warning on the logger).

:meth:`DecisionLog.record` (a decision in a transaction of its own: the desk page, the API)
goes through the log's :class:`~sanctuarygate.audit.group.GroupCommit`: decisions recorded by
concurrent requests of one process within ``commit_window`` seconds share one durable commit
(``SANCTUARYGATE_LOG_COMMIT_WINDOW_MS``); each caller still returns only once its entry is
durable, with its index. The API's route appends the same entry (:meth:`DecisionLog.entry`) on
its worker's event loop instead, when it runs on PostgreSQL (``audit/group_loop.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sanctuarygate.audit.checkpoint import Checkpoint, sign_checkpoint
from sanctuarygate.audit.entries import DecisionEntry, encode
from sanctuarygate.audit.entry import person_hash
from sanctuarygate.audit.group import GroupCommit
from sanctuarygate.audit.keys import (
    Signer,
    Verifier,
    load_or_create_signer,
    load_verifiers,
    signer_stamp,
)
from sanctuarygate.audit.pseudonym import load_or_create_person_key
from sanctuarygate.audit.tree import LogReader
from sanctuarygate.domain.decision import Decision
from sanctuarygate.domain.request import Request
from sanctuarygate.store import log as store
from sanctuarygate.store.db import Engine
from sanctuarygate.store.log import Entry
from sanctuarygate.store.staff import TokenGrant, lapsed_grants

logger = logging.getLogger("sanctuarygate.audit")


class DecisionLog:
    """One log: a database engine, an origin name (the checkpoint's first line), a data dir;
    ``commit_window``: seconds a commit of :meth:`record` waits to gather concurrent ones."""

    def __init__(self, engine: Engine, *, origin: str, data_dir: Path,
                 commit_window: float = 0.002) -> None:
        self.engine = engine
        self.origin = origin
        self.data_dir = data_dir
        self.reader = LogReader()
        self.group = GroupCommit(engine, window=commit_window, check=lapsed_grants)
        self._signer: Signer | None = None
        self._signer_stamp: tuple[int, int] | None = None
        self._person_key: bytes | None = None
        self.key_created = False

    @property
    def signer(self) -> Signer:
        """The signing key, created in the data directory on first use, and read again when
        its file changed (a rotation by another process: never sign with a retired key)."""
        stamp = signer_stamp(self.data_dir, self.origin)
        if self._signer is None or stamp != self._signer_stamp:
            self._signer, created = load_or_create_signer(self.data_dir, self.origin)
            self._signer_stamp = signer_stamp(self.data_dir, self.origin)
            if created:
                self.key_created = True
                logger.warning("created a new log signing key for %s in %s", self.origin,
                               self.data_dir / "keys")
        return self._signer

    def forget_signer(self) -> None:
        """Read the signing key again on next use (after this process rotated it)."""
        self._signer = None

    def verifiers(self) -> list[Verifier]:
        """Every public key this log has signed with, oldest first."""
        _ = self.signer
        return load_verifiers(self.data_dir, self.origin)

    def subject(self, identifier: str) -> str:
        """The keyed hash under which a person identifier may appear in the log."""
        if self._person_key is None:
            self._person_key = load_or_create_person_key(self.data_dir)
        return person_hash(self._person_key, identifier)

    def record(self, request: Request, decision: Decision, *, actor: str,
               subject: str | None = None, grant: TokenGrant | None = None) -> int:
        """Record a decision in a transaction of its own, shared with the decisions that
        concurrent requests record (group commit); returns the log index once durable.
        ``grant``: the staff token the actor was authenticated with, checked again in the
        commit (``GrantLapsed`` if it no longer holds: nothing recorded). Callers that guard an
        action use ``audit.record.record_decision`` in their own transaction."""
        body, when = self.entry(request, decision, actor=actor, subject=subject)
        return self.group.append(body, at=when, grant=grant)

    def entry(self, request: Request, decision: Decision, *, actor: str,
              subject: str | None = None) -> tuple[bytes, dt.datetime]:
        """The entry :meth:`record` appends, encoded, and its time: for a caller that appends
        it another way (the web worker's event loop: ``audit/group_loop.py``)."""
        if self._signer is None:
            _ = self.signer  # the first append makes sure a key exists, and says so
        when = now()
        entry = DecisionEntry.of(request, decision, actor=actor, at=when,
                                 subject=self.subject(subject) if subject else None)
        return encode(entry), when

    def checkpoint(self) -> str:
        """A signed checkpoint for the current tree (reuses the stored one if nothing changed)."""
        with self.engine.begin() as conn:
            size, root_hash = self.reader.root(conn)
            latest = store.latest_checkpoint(conn)
            if latest is not None and latest[0] == size:
                return latest[1]
            note = sign_checkpoint(Checkpoint(self.origin, size, root_hash), self.signer)
            return store.save_checkpoint(conn, size, root_hash, note)  # a racing caller's, if first

    def size(self) -> int:
        with self.engine.connect() as conn:
            return store.tree_size(conn)

    def entries(self, start: int, end: int) -> list[Entry]:
        with self.engine.connect() as conn:
            return store.entries(conn, start, end)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self.engine.connect() as conn:
            return self.reader.inclusion_proof(conn, index, size)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        with self.engine.connect() as conn:
            return self.reader.consistency_proof(conn, old, new)

    def checkpoints(self) -> list[tuple[int, str]]:
        with self.engine.connect() as conn:
            return store.checkpoints(conn)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
