"""Where a report's entries come from: a verified log export, or the live log.

An export (``sanctuarygate log export DIR``) is verified against a trust policy the reader
pinned (``audit.bundle.verify_bundle``) before a single entry is counted; the entries counted
are then checked to be the very bytes that verified (same count, same RFC 9162 root), so a file
changed between the check and the count is refused too. ``entries.jsonl`` is split on the byte
``\\n`` only: an entry may hold a raw U+2028, which ``str.splitlines`` would take for a line end.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sanctuarygate.audit import merkle
from sanctuarygate.audit.bundle import BundleError, verify_bundle
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.errors import InputError

__all__ = ["Source", "log_entries", "read_export"]


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


def log_entries(log: DecisionLog, *, size: int | None = None,
                step: int = 10_000) -> Iterator[bytes]:
    """The first ``size`` entries of the live log (all of them by default), as stored bytes."""
    end = log.size() if size is None else size
    for start in range(0, end, step):
        for entry in log.entries(start, min(start + step, end)):
            yield entry.body.encode()
