"""The log's side of witnessing: ask each configured witness to cosign the newest checkpoint.

A key pin stops an outsider, not the city: it holds the key and could show two histories to two
audiences. Witnesses (c2sp.org/tlog-witness), run by people outside the city, each keep the
last checkpoint they cosigned and refuse one that does not extend it; an auditor's trust policy
requires k of them (``audit/trust.py``). ``publish`` submits the current checkpoint to every
witness with a consistency proof from the size that witness last cosigned for us, checks the
answer against the witness's pinned key and keeps it; ``witnessed_checkpoint`` is the newest
checkpoint with the cosignatures kept for it, the note a bundle and the API publish.

The HTTP client is passed in (``ask``: ``witness.client.request_cosignature``), so this module
stays free of I/O libraries, and tests can use in-process witnesses.

Witnesses are configured as ``VKEY URL`` pairs, separated by commas or new lines
(``SANCTUARYGATE_WITNESSES``):

>>> from sanctuarygate.audit.cosignature import generate_witness_key
>>> _, vkey = generate_witness_key("council.example/witness")
>>> [w.url for w in parse_witnesses(f"{vkey} https://witness.council.example")]
['https://witness.council.example']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sanctuarygate.audit.bundle import published_policy
from sanctuarygate.audit.checkpoint import verify_checkpoint
from sanctuarygate.audit.cosignature import WitnessVerifier, verify_cosignatures
from sanctuarygate.audit.keys import KeyFormatError
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.errors import ConfigurationError, SanctuaryGateError
from sanctuarygate.store.cosignature import cosignatures, last_cosigned_size, save_cosignature


@dataclass(frozen=True, slots=True)
class WitnessEndpoint:
    """A witness the log submits to: its pinned key and where it listens."""

    verifier: WitnessVerifier
    url: str

    @property
    def name(self) -> str:
        return self.verifier.name


class Ask(Protocol):
    """``witness.client.request_cosignature``'s shape: (cosignature lines, old size used)."""

    def __call__(self, witness_url: str, checkpoint_note: str,
                 prove: Callable[[int], Sequence[bytes]], *, old_size: int = 0,
                 witness: WitnessVerifier | str | None = None) -> tuple[str, int]: ...


@dataclass(slots=True)
class PublishReport:
    """What one round of publishing achieved."""

    size: int
    cosigned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def parse_witnesses(text: str) -> tuple[WitnessEndpoint, ...]:
    """``VKEY URL`` pairs separated by commas or new lines; a bad entry names itself."""
    found = []
    for number, raw in enumerate(text.replace(",", "\n").split("\n"), start=1):
        entry = raw.strip()
        if not entry:
            continue
        parts = entry.split()
        if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
            raise ConfigurationError(f"SANCTUARYGATE_WITNESSES entry {number}: expected "
                                     "'<witness vkey> <http(s) URL>'")
        try:
            verifier = WitnessVerifier.from_key(parts[0])
        except (KeyFormatError, SanctuaryGateError) as exc:
            raise ConfigurationError(f"SANCTUARYGATE_WITNESSES entry {number}: {exc}") from None
        found.append(WitnessEndpoint(verifier, parts[1].rstrip("/")))
    return tuple(found)


def publish(log: DecisionLog, witnesses: Sequence[WitnessEndpoint], ask: Ask) -> PublishReport:
    """Submit the current checkpoint to every witness; keep each valid cosignature.

    A witness that refuses or cannot be reached is reported in ``failed`` with the reason; the
    others still cosign. A cosignature is kept only if it verifies under the witness's pinned key.
    """
    note = log.checkpoint()
    cp = verify_checkpoint(note, log.verifiers())
    report = PublishReport(cp.size)

    def prove(old: int) -> Sequence[bytes]:
        if old in (0, cp.size):
            return []
        return log.consistency_proof(old, cp.size)

    for witness in witnesses:
        with log.engine.connect() as conn:
            since = last_cosigned_size(conn, witness.verifier.key)
        try:
            lines, _ = ask(witness.url, note, prove, old_size=min(since, cp.size),
                           witness=witness.verifier)
            if not verify_cosignatures(note + lines, [witness.verifier]):
                raise SanctuaryGateError(f"no cosignature by {witness.name} in its answer")
        except SanctuaryGateError as exc:
            report.failed.append((witness.name, str(exc)))
            continue
        own = [line + "\n" for line in lines.split("\n")
               if line and verify_cosignatures(note + line + "\n", [witness.verifier])]
        with log.engine.begin() as conn:
            save_cosignature(conn, cp.size, witness.verifier.key, "".join(own))
        report.cosigned.append(witness.name)
    return report


def witnessed_checkpoint(log: DecisionLog) -> str | None:
    """The newest stored checkpoint that witnesses cosigned, with their lines; None if none."""
    for size, note in sorted(log.checkpoints(), reverse=True):
        with log.engine.connect() as conn:
            lines = cosignatures(conn, size)
        if lines:
            return note + "".join(line for _, line in lines)
    return None


def city_policy(log: DecisionLog, witnesses: Sequence[WitnessEndpoint], quorum: int) -> TrustPolicy:
    """The trust policy the city publishes: origin, keys, its witnesses and the quorum.

    A quorum larger than the witnesses configured is a configuration error, named here rather
    than discovered by an auditor."""
    if quorum > len(witnesses):
        raise ConfigurationError(f"SANCTUARYGATE_WITNESS_QUORUM is {quorum} but only "
                                 f"{len(witnesses)} witnesses are configured")
    return published_policy(log, [w.verifier.key for w in witnesses], quorum)
