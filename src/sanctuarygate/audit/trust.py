"""The trust policy: what an auditor pins before believing a copy of the log.

A bundle carries the log's entries and checkpoints, and a copy of its public keys; a copy is
no proof. Whoever rewrites the history can sign it with a key of their own and put that key in
the bundle. So verifying needs an anchor that did not come with the bundle: the city's published
policy, saved once by the auditor (``GET /api/v1/log/policy``, ``sanctuarygate log key show``),
or the city's verifier key alone (``--key``).

A policy is a small text file, one item per line, ``#`` starts a comment::

    origin chicago.example/sanctuarygate          the first line of every checkpoint
    log chicago.example/sanctuarygate+1a2b3c4d+A...   a key that signs checkpoints (one per key,
                                                  oldest first: rotated keys stay listed)
    witness <witness verifier key>                a witness that cosigns (c2sp.org/tlog-witness)
    quorum 2                                      witnesses that must have cosigned (default 0)

>>> policy = parse_policy('''
... origin PeterNeumann
... log PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
... ''')
>>> policy.origin, [v.name for v in policy.log_keys], policy.quorum
('PeterNeumann', ['PeterNeumann'], 0)
>>> parse_policy(policy.text()) == policy
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sanctuarygate.audit.cosignature import WitnessVerifier
from sanctuarygate.audit.keys import KeyFormatError, Verifier, valid_name
from sanctuarygate.errors import InputError, SanctuaryGateError

#: The origin every fresh install starts with; a real deployment names its own.
DEMO_ORIGIN = "sanctuarygate.example/demo"


class TrustPolicyError(InputError):
    """A trust policy (or a pinned key file) is malformed; nothing was verified."""

    title = "Malformed trust policy"


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """What to trust: the log's origin, its signing keys, its witnesses and how many must cosign."""

    origin: str
    log_keys: tuple[Verifier, ...]
    witnesses: tuple[str, ...] = ()
    quorum: int = 0

    def __post_init__(self) -> None:
        if not valid_name(self.origin):
            raise TrustPolicyError(f"origin {self.origin!r} is not a valid log name")
        if not self.log_keys:
            raise TrustPolicyError("a trust policy names at least one log key ('log <vkey>')")
        for key in self.log_keys:
            if key.name != self.origin:
                raise TrustPolicyError(f"log key {key.key} is named {key.name!r}, not the "
                                       f"origin {self.origin!r}")
        if not 0 <= self.quorum <= len(self.witnesses):
            raise TrustPolicyError(f"quorum {self.quorum} needs that many witnesses; the policy "
                                   f"names {len(self.witnesses)}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrustPolicy):
            return NotImplemented
        return self.text() == other.text()

    def __hash__(self) -> int:
        return hash(self.text())

    @property
    def is_demo(self) -> bool:
        """Whether this is the shared demo origin, which no real deployment may use."""
        return self.origin == DEMO_ORIGIN

    def text(self) -> str:
        """The policy as a file, to publish and to pin."""
        lines = [
            "# sanctuarygate decision log: trust policy (save once; pass to 'log verify --policy')",
            f"origin {self.origin}",
            *(f"log {k.key}" for k in self.log_keys),
            *(f"witness {w}" for w in self.witnesses),
            f"quorum {self.quorum}",
        ]
        return "\n".join(lines) + "\n"


def parse_policy(text: str, *, source: str = "policy") -> TrustPolicy:
    """Parse a policy file's text; :class:`TrustPolicyError` names the line that is wrong."""
    origin: str | None = None
    keys: list[Verifier] = []
    witnesses: list[str] = []
    quorum = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word, _, value = line.partition(" ")
        value = value.strip()
        where = f"{source}, line {number}"
        if not value:
            raise TrustPolicyError(f"{where}: {word!r} needs a value")
        if word == "origin":
            if origin is not None:
                raise TrustPolicyError(f"{where}: a policy names one origin")
            origin = value
        elif word == "log":
            try:
                keys.append(Verifier.from_key(value))
            except KeyFormatError as exc:
                raise TrustPolicyError(f"{where}: {exc}") from None
        elif word == "witness":
            try:
                witnesses.append(WitnessVerifier.from_key(value).key)
            except SanctuaryGateError as exc:
                raise TrustPolicyError(f"{where}: not a witness key ({exc})") from None
        elif word == "quorum":
            if not value.isdigit():
                raise TrustPolicyError(f"{where}: quorum is a whole number, not {value!r}")
            quorum = int(value)
        else:
            raise TrustPolicyError(f"{where}: unknown item {word!r} (origin, log, witness, quorum)")
    if origin is None:
        raise TrustPolicyError(f"{source}: no 'origin' line")
    return TrustPolicy(origin, tuple(keys), tuple(witnesses), quorum)


def policy_from_keys(keys: Sequence[Verifier]) -> TrustPolicy:
    """A policy pinning only the given log keys; the origin is their (common) name."""
    names = sorted({k.name for k in keys})
    if len(names) != 1:
        raise TrustPolicyError("pinned keys must all name the same log; got "
                               + (", ".join(names) or "none"))
    return TrustPolicy(names[0], tuple(keys))


def read_key_file(path: Path) -> list[Verifier]:
    """Verifier keys from a file (one per line; blank lines and ``#`` comments skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrustPolicyError(f"cannot read {path}: {exc.strerror}") from None
    keys = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            try:
                keys.append(Verifier.from_key(line))
            except KeyFormatError as exc:
                raise TrustPolicyError(f"{path}, line {number}: {exc}") from None
    if not keys:
        raise TrustPolicyError(f"{path}: no verifier key in the file")
    return keys


def read_policy_file(path: Path) -> TrustPolicy:
    """Parse a policy file from disk."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrustPolicyError(f"cannot read {path}: {exc.strerror}") from None
    return parse_policy(text, source=str(path))
