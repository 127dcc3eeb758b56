"""Asking a witness to cosign: the client side of c2sp.org/tlog-witness ``add-checkpoint``.

``submit`` sends one request. A witness that last cosigned another size answers 409 with that
size: ``submit`` raises ``SizeConflictError`` carrying it, and the caller builds a consistency
proof from that size and submits again; ``request_cosignature`` does exactly that, given a
function that makes the proof.

I/O goes through an ``httpx.Client`` the caller may pass (tests inject a transport)::

    line = submit("http://127.0.0.1:7380", 5, tree.consistency_proof(5), note,
                  witness=pinned_witness_vkey)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import httpx

from sanctuarygate.audit.cosignature import WitnessVerifier, verify_cosignatures
from sanctuarygate.audit.note import SIGNATURE_PREFIX, NoteError
from sanctuarygate.witness.protocol import (
    SizeConflictError,
    WitnessRefusedError,
    WitnessUnavailableError,
    format_request,
    parse_size,
)

DEFAULT_TIMEOUT = 10.0


def submit(
    witness_url: str,
    old_size: int,
    proof: Sequence[bytes],
    checkpoint_note: str,
    *,
    witness: WitnessVerifier | str | None = None,
    client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """The witness's cosignature line(s) for ``checkpoint_note``, proved consistent from ``old_size``.

    With ``witness`` (its pinned vkey), the answer must hold a valid cosignature by that key.
    Raises ``SizeConflictError`` (409: ``.size`` is the witness's size, prove from there),
    ``WitnessRefusedError`` (any other refusal, with ``.status``) or ``WitnessUnavailableError``.
    """
    url = witness_url.rstrip("/") + "/add-checkpoint"
    body = format_request(old_size, proof, checkpoint_note).encode("utf-8")
    try:
        if client is None:
            response = httpx.post(url, content=body, timeout=timeout)
        else:
            response = client.post(url, content=body, timeout=timeout)
    except httpx.HTTPError as exc:
        raise WitnessUnavailableError(f"witness {url}: {type(exc).__name__}: {exc}") from None
    if response.status_code == 409:
        try:
            size = parse_size(response.text)
        except ValueError:
            raise WitnessUnavailableError(f"witness {url}: a 409 answer without a size") from None
        raise SizeConflictError(size)
    if response.status_code != 200:
        raise WitnessRefusedError(url, response.status_code, _detail(response))
    lines = response.text
    if not lines or not lines.endswith("\n") or not all(
            line.startswith(SIGNATURE_PREFIX) for line in lines[:-1].split("\n")):
        raise WitnessUnavailableError(f"witness {url}: the answer is not cosignature lines")
    if witness is not None:
        pinned = WitnessVerifier.from_key(witness) if isinstance(witness, str) else witness
        try:
            cosigned = verify_cosignatures(checkpoint_note + lines, [pinned])
        except NoteError as exc:
            raise WitnessUnavailableError(f"witness {url}: a bad cosignature ({exc})") from None
        if not cosigned:
            raise WitnessUnavailableError(f"witness {url}: no cosignature by {pinned.name} in the answer")
    return lines


def request_cosignature(
    witness_url: str,
    checkpoint_note: str,
    prove: Callable[[int], Sequence[bytes]],
    *,
    old_size: int = 0,
    witness: WitnessVerifier | str | None = None,
    client: httpx.Client | None = None,
    attempts: int = 3,
) -> tuple[str, int]:
    """Submit, following the witness's 409 to its size: (cosignature lines, the old size used).

    ``prove(size)`` returns the consistency proof from ``size`` to the checkpoint's size. A first
    submission with ``old_size`` 0 learns a witness's size at the cost of one round trip.
    """
    size = old_size
    for _ in range(attempts):
        try:
            return submit(witness_url, size, prove(size), checkpoint_note,
                          witness=witness, client=client), size
        except SizeConflictError as conflict:
            if conflict.size == size:
                raise
            size = conflict.size
    raise WitnessUnavailableError(f"witness {witness_url}: its size kept changing "
                                  f"({attempts} attempts); another submitter is racing")


def _detail(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        try:
            return str(json.loads(response.text).get("detail", ""))[:300]
        except (ValueError, AttributeError):
            pass
    return response.text.strip()[:300] or response.reason_phrase
