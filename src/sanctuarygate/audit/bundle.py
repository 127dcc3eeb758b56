"""The public export of the log, and its offline verification.

A bundle is a folder anyone can copy and check without the city's database::

    entries.jsonl     the entries as published: line i is entry i's canonical JSON
    checkpoint        the newest signed checkpoint (C2SP signed note)
    checkpoints/N     every signed checkpoint, by tree size
    verifiers         the log's public keys (one per line, oldest first)

``verify_bundle`` recomputes the RFC 9162 root from the entries, checks the checkpoint's
signature and root, every stored checkpoint against the same history, and, given an earlier
checkpoint (``--previous``), that today's log extends it. A changed byte, a dropped or reordered
entry, or a forked history fails with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sanctuarygate.audit import merkle
from sanctuarygate.audit.checkpoint import Checkpoint, verify_checkpoint
from sanctuarygate.audit.keys import Verifier
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.errors import SanctuaryGateError


class BundleError(SanctuaryGateError):
    """The bundle does not verify; the message says which check failed."""

    title = "The log export does not verify"


@dataclass(slots=True)
class BundleReport:
    size: int = 0
    root_hash: bytes = b""
    checked: list[str] = field(default_factory=list)


def export_bundle(log: DecisionLog, folder: Path) -> Checkpoint:
    """Write the public bundle for the current tree; returns its checkpoint."""
    note = log.checkpoint()
    cp = verify_checkpoint(note, log.verifiers())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkpoints").mkdir(exist_ok=True)
    with (folder / "entries.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        step = 10_000
        for start in range(0, cp.size, step):
            for entry in log.entries(start, min(start + step, cp.size)):
                out.write(entry.body + "\n")
    (folder / "checkpoint").write_text(note, encoding="utf-8")
    for size, signed in log.checkpoints():
        if size <= cp.size:
            (folder / "checkpoints" / str(size)).write_text(signed, encoding="utf-8")
    (folder / "verifiers").write_text("".join(v.key + "\n" for v in log.verifiers()),
                                      encoding="utf-8")
    return cp


def read_verifiers(path: Path) -> list[Verifier]:
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return [Verifier.from_key(ln) for ln in lines]


def verify_bundle(folder: Path, *, verifiers: Sequence[Verifier] | None = None,
                  previous: str | None = None) -> BundleReport:
    """Check a bundle; raise :class:`BundleError` naming the first failed check.

    ``verifiers`` are the keys you trust (default: the bundle's own ``verifiers`` file, which
    only proves the bundle is self-consistent; pin the city's published key for more).
    """
    report = BundleReport()
    keys = list(verifiers) if verifiers is not None else read_verifiers(folder / "verifiers")
    try:
        cp = verify_checkpoint((folder / "checkpoint").read_text(encoding="utf-8"), keys)
    except (OSError, SanctuaryGateError) as exc:
        raise BundleError(f"checkpoint: {exc}") from exc
    report.checked.append(f"checkpoint signature ({cp.origin}, size {cp.size})")
    tree = merkle.MemoryTree()
    with (folder / "entries.jsonl").open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                raise BundleError(f"entry {tree.size}: line does not end with a newline")
            tree.append(raw[:-1])
    if tree.size != cp.size:
        raise BundleError(f"the checkpoint covers {cp.size} entries but the bundle has {tree.size}")
    if tree.root() != cp.root_hash:
        raise BundleError("the entries do not hash to the checkpoint's root: an entry was "
                          "changed, dropped, added or reordered")
    report.checked.append(f"root of {tree.size} entries matches the checkpoint")
    for path in sorted((folder / "checkpoints").glob("*"), key=lambda p: int(p.name)):
        older = verify_checkpoint(path.read_text(encoding="utf-8"), keys)
        _check_consistent(tree, older, cp, f"stored checkpoint {path.name}")
    if previous is not None:
        try:
            prior = verify_checkpoint(previous, keys)
        except SanctuaryGateError as exc:
            raise BundleError(f"previous checkpoint: {exc}") from exc
        _check_consistent(tree, prior, cp, "previous checkpoint")
        report.checked.append(f"consistent with the previous checkpoint (size {prior.size})")
    report.size, report.root_hash = cp.size, cp.root_hash
    return report


def _check_consistent(tree: merkle.MemoryTree, older: Checkpoint, newer: Checkpoint,
                      what: str) -> None:
    if older.origin != newer.origin:
        raise BundleError(f"{what}: origin {older.origin!r} is not {newer.origin!r}")
    if older.size > newer.size:
        raise BundleError(f"{what}: size {older.size} is beyond the checkpoint's {newer.size}")
    proof = tree.consistency_proof(older.size, newer.size)
    if not merkle.verify_consistency(older.size, newer.size, older.root_hash, newer.root_hash,
                                     proof):
        raise BundleError(f"{what}: the log does not extend it (forked or rewritten history)")
