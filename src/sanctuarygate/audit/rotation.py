"""Rotating the log's signing key so that an auditor who pinned the old key can follow.

``rotate_log_key`` (1) makes the new key, (2) records a ``log-key`` entry naming the old and the
new verifier keys, (3) has the OLD key sign a checkpoint that covers that entry, and only then
(4) installs the new key. The covering checkpoint is the link: it is the old key's statement
that the log, including the announcement, is what it is.

``key_chain`` is the auditor's side: from the keys a trust policy pins, walk the rotation
entries of a verified history; a new key joins only through an entry naming a trusted old key
and covered by a checkpoint that old key signed; from then on the old key is trusted for no
checkpoint larger than that covering one ("a retired key signs nothing after its retirement").
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sanctuarygate.audit.checkpoint import Checkpoint, verify_checkpoint
from sanctuarygate.audit.entries import LogKeyEntry
from sanctuarygate.audit.keys import Signer, Verifier, rotate
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record
from sanctuarygate.errors import SanctuaryGateError

#: Larger than any tree size: "no end".
FOREVER = 2**64


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a rotation did: the keys, the entry's index, the covering checkpoint's size."""

    old: Verifier
    new: Verifier
    index: int
    covered_at: int


def rotate_log_key(log: DecisionLog, *, at: dt.datetime | None = None) -> Rotation:
    """Rotate the log's signing key, on the record (see the module docstring)."""
    old = log.signer
    new = Signer(log.origin, os.urandom(32))
    when = at or dt.datetime.now(dt.UTC)
    with log.engine.begin() as conn:
        index = record(conn, LogKeyEntry(time=when, old_key=old.verifier().key,
                                         new_key=new.verifier().key))
    covering = verify_checkpoint(log.checkpoint(), [old.verifier()])  # the old key's last word
    rotate(log.data_dir, log.origin, new)
    log.forget_signer()
    return Rotation(old.verifier(), new.verifier(), index, covering.size)


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A key and the checkpoint sizes it may sign: ``since <= size <= until``."""

    verifier: Verifier
    since: int = 0
    until: int = FOREVER

    def covers(self, size: int) -> bool:
        return self.since <= size <= self.until


def announcements(bodies: Iterable[tuple[int, bytes]]) -> list[tuple[int, str, str]]:
    """(index, old key, new key) of every ``log-key`` entry, in log order."""
    found = []
    for index, body in bodies:
        if b'"kind":"log-key"' not in body:
            continue
        value = json.loads(body)
        if value.get("kind") == "log-key":
            found.append((index, str(value["old_key"]), str(value["new_key"])))
    return found


def key_chain(pinned: Sequence[Verifier], rotations: Sequence[tuple[int, str, str]],
              stored: Sequence[tuple[int, str]],
              consistent: Callable[[Checkpoint], bool]) -> list[TrustedKey]:
    """The keys to trust, each for the sizes it may sign.

    ``stored`` are the signed checkpoints at hand (size, note); ``consistent(cp)`` says whether a
    checkpoint belongs to the verified history (its root is the history's prefix root). A
    rotation whose old key is not trusted is ignored: its new key stays untrusted.
    """
    trusted = {v.key: TrustedKey(v) for v in pinned}
    for index, old_key, new_key in rotations:
        old = trusted.get(old_key)
        if old is None:
            continue
        covering = None
        for size, note in sorted(stored):
            if size <= index or not old.covers(size):
                continue
            try:
                cp = verify_checkpoint(note, [old.verifier])
            except SanctuaryGateError:
                continue
            if consistent(cp):
                covering = cp.size
                break
        if covering is None:
            continue  # never covered by the old key: the announcement proves nothing
        try:
            new = Verifier.from_key(new_key)
        except SanctuaryGateError:
            continue
        trusted[old_key] = TrustedKey(old.verifier, old.since, covering)
        if new.key not in trusted:
            trusted[new.key] = TrustedKey(new, index + 1)
    return list(trusted.values())


def keys_for(chain: Sequence[TrustedKey], size: int) -> list[Verifier]:
    """The keys that may have signed a checkpoint of ``size``."""
    return [k.verifier for k in chain if k.covers(size)]
