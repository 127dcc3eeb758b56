"""Where a report's entries come from: a verified log export, or the live log.

An export (``sanctuarygate log export DIR``) is verified against a trust policy the reader
pinned (``audit.bundle.verify_bundle``) before a single entry is counted; the entries counted
are then checked to be the very bytes that verified (same count, same RFC 9162 root), so a file
changed between the check and the count is refused too. ``entries.jsonl`` is split on the byte
``\\n`` only: an entry may hold a raw U+2028, which ``str.splitlines`` would take for a line end.

The live log is read in steps (:func:`log_entries`); :func:`tally_log` counts it on from a tally
kept at an earlier checkpoint, reading only the entries after it, once the log's consistency
proof shows it only grew since.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sanctuarygate.audit import merkle
from sanctuarygate.audit.bundle import BundleError, verify_bundle
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.errors import InputError
from sanctuarygate.report.family import Families
from sanctuarygate.report.tally import Tally, tally

__all__ = ["Kept", "Source", "log_entries", "read_export", "tally_log"]


@dataclass(frozen=True, slots=True)
class Source:
    """What was counted: how many entries, and the checkpoint they verified against (if any)."""

    entries: int
    origin: str | None = None
    root_hash: str | None = None  # base64, as in the checkpoint

    @property
    def verified(self) -> bool:
        return self.root_hash is not None


def read_export(folder: Path, *, trust: TrustPolicy | None) -> tuple[list[bytes], Source]:
    """The entries of an export, each as its exact bytes, after verifying the export.

    ``trust`` is the pinned policy; ``None`` skips verification (the caller says so loudly).
    Raises :class:`BundleError` when the export does not verify, :class:`InputError` when the
    folder is not an export.
    """
    path = folder / "entries.jsonl"
    if not folder.is_dir() or not path.is_file():
        raise InputError(f"{folder} is not a log export (no entries.jsonl; write one with "
                         "'sanctuarygate log export DIR')")
    if trust is None:
        entries = _split(_read(path))
        return entries, Source(entries=len(entries))
    report = verify_bundle(folder, trust=trust)
    entries = _split(_read(path))
    tree = merkle.MemoryTree(entries)
    if tree.size != report.size or tree.root() != report.root_hash:
        raise BundleError("entries.jsonl changed after it was verified")
    return entries, Source(entries=len(entries), origin=trust.origin,
                           root_hash=base64.b64encode(report.root_hash).decode())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _split(data: bytes) -> list[bytes]:
    r"""Entry i is line i, split on ``\n`` bytes only.

    >>> _split(b'{"a":"x\xe2\x80\xa8y"}\n{}\n')
    [b'{"a":"x\xe2\x80\xa8y"}', b'{}']
    """
    if data and not data.endswith(b"\n"):
        raise InputError("entries.jsonl: the last entry does not end with a newline")
    return data.split(b"\n")[:-1] if data else []


def log_entries(log: DecisionLog, *, size: int | None = None, start: int = 0,
                step: int = 10_000) -> Iterator[bytes]:
    """Entries ``start`` to ``size - 1`` of the live log (by default all of them), as stored
    bytes."""
    end = log.size() if size is None else size
    for first in range(start, end, step):
        for entry in log.entries(first, min(first + step, end)):
            yield entry.body.encode()


@dataclass(frozen=True, slots=True)
class Kept:
    """The tally of a log's first ``size`` entries, whose tree root is ``root``."""

    size: int
    root: bytes
    tally: Tally


def tally_log(log: DecisionLog, families: Families, *, size: int, root: bytes,
              kept: Kept | None = None) -> Kept:
    """The tally of the log's first ``size`` entries (tree root ``root``, from a checkpoint
    the caller verified).

    With ``kept`` (a tally of an earlier checkpoint of the same log), only the entries after
    it are read, once the log's consistency proof shows that the tree of ``size`` extends the
    kept one; a log that does not (its history rewritten) raises :class:`BundleError`: no
    number is counted from it. ``kept`` itself is not changed.
    """
    if kept is None or kept.size > size:
        return Kept(size, root, tally(log_entries(log, size=size), families))
    proof = log.consistency_proof(kept.size, size)
    if not merkle.verify_consistency(kept.size, size, kept.root, root, proof):
        raise BundleError(f"the log of {size} entries does not extend its earlier checkpoint "
                          f"of {kept.size}: its history was rewritten")
    counted = copy.deepcopy(kept.tally)
    return Kept(size, root, tally(log_entries(log, start=kept.size, size=size), families,
                                  into=counted))
