"""The public export of the log, and its offline verification.

A bundle is a folder anyone can copy and check without the city's database::

    entries.jsonl     the entries as published: line i is entry i's canonical JSON
    checkpoint        the newest signed checkpoint (C2SP signed note)
    checkpoints/N     every signed checkpoint, by tree size
    verifiers         the log's public keys (one per line, oldest first): a convenience copy,
                      never trusted by ``verify_bundle``
    policy            the log's trust policy as the city publishes it (also a copy)

``verify_bundle`` checks the bundle against a trust policy the auditor pinned beforehand (see
``audit/trust.py``): the checkpoint's signature by a pinned key and its origin, the RFC 9162 root
recomputed from the entries, every stored checkpoint against the same history, and, given an
earlier checkpoint (``--previous``), that today's log extends it. A changed byte, a dropped or
reordered entry, a forked history or a key that was not pinned fails with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sanctuarygate.audit import merkle
from sanctuarygate.audit.checkpoint import Checkpoint, parse, verify_checkpoint
from sanctuarygate.audit.cosignature import require_cosignatures
from sanctuarygate.audit.keys import Verifier
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.note import split_note
from sanctuarygate.audit.rotation import announcements, key_chain, keys_for
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.errors import SanctuaryGateError


class BundleError(SanctuaryGateError):
    """The bundle does not verify; the message says which check failed."""

    title = "The log export does not verify"


@dataclass(slots=True)
class BundleReport:
    size: int = 0
    root_hash: bytes = b""
    checked: list[str] = field(default_factory=list)


def export_bundle(log: DecisionLog, folder: Path, *, note: str | None = None,
                  policy: TrustPolicy | None = None) -> Checkpoint:
    """Write the public bundle up to a checkpoint; returns it.

    ``note`` is the checkpoint to publish (default: the current tree's); pass the witnessed one
    (``audit.witnessing.witnessed_checkpoint``) so the bundle carries its cosignatures.
    ``policy`` is the trust policy to copy in (default: origin and keys, no witnesses)."""
    note = note if note is not None else log.checkpoint()
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
    (folder / "policy").write_text((policy or published_policy(log)).text(), encoding="utf-8")
    return cp


def published_policy(log: DecisionLog, witnesses: Sequence[str] = (),
                     quorum: int = 0) -> TrustPolicy:
    """The trust policy the city publishes for its log: its origin, every key it signed with,
    and the witnesses (vkeys) of which ``quorum`` must cosign."""
    return TrustPolicy(log.origin, tuple(log.verifiers()), tuple(witnesses), quorum)


def verify_bundle(folder: Path, *, trust: TrustPolicy,
                  previous: str | None = None) -> BundleReport:
    """Check a bundle against a trust policy; raise :class:`BundleError` naming the failed check.

    Only the policy's keys are trusted, never the bundle's own ``verifiers`` file: a rewritten
    history signed with a fresh key of the same name fails here. The checkpoint's origin must be
    the policy's. A key rotated in the log (``log-key`` entries, ``audit/rotation.py``) is
    followed from a pinned key, and a retired key is trusted for no later checkpoint.
    """
    report = BundleReport()
    try:
        note = (folder / "checkpoint").read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleError(f"checkpoint: cannot read it ({exc.strerror})") from None
    tree, rotations = _read_entries(folder / "entries.jsonl")
    stored = []
    for size, path in _stored_checkpoints(folder):
        try:
            stored.append((size, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise BundleError(f"stored checkpoint checkpoints/{path.name}: cannot read it "
                              f"({exc})") from None

    def consistent(c: Checkpoint) -> bool:
        return (c.origin == trust.origin and c.size <= tree.size
                and tree.root(c.size) == c.root_hash)

    size = _size_of(note, "checkpoint")
    chain = key_chain(trust.log_keys, rotations, [*stored, (size, note)], consistent)
    cp = _verified(note, keys_for(chain, size), trust, "checkpoint")
    report.checked.append(f"checkpoint signed by a pinned key ({cp.origin}, size {cp.size})")
    pinned = {k.key for k in trust.log_keys}
    followed = [k for k in chain if k.verifier.key not in pinned]
    if followed:
        report.checked.append(f"{len(followed)} key rotation{'s' * (len(followed) != 1)} "
                              "followed from the pinned key through the log")
    if trust.quorum:
        try:
            cosigned = require_cosignatures(note, trust.witnesses, trust.quorum)
        except SanctuaryGateError as exc:
            raise BundleError(f"checkpoint: {exc}") from None
        report.checked.append(f"cosigned by {len(cosigned)} of {len(trust.witnesses)} pinned "
                              f"witnesses ({', '.join(c.name for c in cosigned)}); "
                              f"{trust.quorum} required")
    if tree.size != cp.size:
        raise BundleError(f"the checkpoint covers {cp.size} entries but the bundle has {tree.size}")
    if tree.root() != cp.root_hash:
        raise BundleError("the entries do not hash to the checkpoint's root: an entry was "
                          "changed, dropped, added or reordered")
    report.checked.append(f"root of {tree.size} entries matches the checkpoint")
    for size, text in stored:
        what = f"stored checkpoint checkpoints/{size}"
        older = _verified(text, keys_for(chain, _size_of(text, what)), trust, what)
        if older.size != size:
            raise BundleError(f"{what}: the file is named {size} but the checkpoint's size is "
                              f"{older.size}")
        _check_consistent(tree, older, cp, what)
    if stored:
        report.checked.append(f"{len(stored)} stored checkpoint{'s' * (len(stored) != 1)} "
                              "consistent with it")
    if previous is not None:
        prior = _verified(previous, keys_for(chain, _size_of(previous, "previous checkpoint")),
                          trust, "previous checkpoint")
        _check_consistent(tree, prior, cp, "previous checkpoint")
        report.checked.append(f"consistent with the previous checkpoint (size {prior.size})")
    report.size, report.root_hash = cp.size, cp.root_hash
    return report


def _read_entries(path: Path) -> tuple[merkle.MemoryTree, list[tuple[int, str, str]]]:
    """The tree of the published entries, and the key rotations they announce."""
    tree = merkle.MemoryTree()
    bodies: list[tuple[int, bytes]] = []
    try:
        with path.open("rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    raise BundleError(f"entry {tree.size}: line does not end with a newline")
                if b'"log-key"' in raw:
                    bodies.append((tree.size, raw[:-1]))
                tree.append(raw[:-1])
    except OSError as exc:
        raise BundleError(f"entries.jsonl: cannot read it ({exc.strerror})") from None
    try:
        return tree, announcements(bodies)
    except (ValueError, KeyError) as exc:
        raise BundleError(f"a log-key entry is malformed ({exc})") from None


def _size_of(note: str, what: str) -> int:
    """The tree size a checkpoint note claims (not yet verified)."""
    try:
        return parse(split_note(note)[0]).size
    except SanctuaryGateError as exc:
        raise BundleError(f"{what}: {exc}") from None


def _verified(note: str, keys: Sequence[Verifier], trust: TrustPolicy, what: str) -> Checkpoint:
    try:
        cp = verify_checkpoint(note, keys)
    except SanctuaryGateError as exc:
        raise BundleError(f"{what}: {exc}") from None
    if cp.origin != trust.origin:
        raise BundleError(f"{what}: origin {cp.origin!r} is not the pinned {trust.origin!r}")
    return cp


def _stored_checkpoints(folder: Path) -> list[tuple[int, Path]]:
    """``checkpoints/<size>`` files by size; any other name there is a failed check."""
    where = folder / "checkpoints"
    if not where.is_dir():
        return []
    found = []
    for path in where.iterdir():
        if not (path.is_file() and path.name.isdecimal() and str(int(path.name)) == path.name):
            raise BundleError(f"checkpoints/{path.name}: not a checkpoint (files there are named "
                              "by tree size)")
        found.append((int(path.name), path))
    return sorted(found)


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
