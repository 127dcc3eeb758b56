"""The witness client (witness/client.py) against a fake transport: what it sends, what it accepts."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from sanctuarygate.audit.checkpoint import Checkpoint, sign_checkpoint
from sanctuarygate.audit.cosignature import WitnessSigner, cosign, generate_witness_key
from sanctuarygate.audit.keys import Signer, generate_key
from sanctuarygate.audit.merkle import MemoryTree
from sanctuarygate.witness.client import request_cosignature, submit
from sanctuarygate.witness.protocol import (
    SizeConflictError,
    WitnessRefusedError,
    WitnessUnavailableError,
    parse_request,
)

TREE = MemoryTree(f"e{i}".encode() for i in range(7))
BODY = Checkpoint("log.example", 7, TREE.root()).body()
LOG = Signer.from_key(generate_key("log.example")[0])
NOTE = sign_checkpoint(Checkpoint("log.example", 7, TREE.root()), LOG)
WITNESS = WitnessSigner.from_key(generate_witness_key("w.example")[0])
URL = "http://witness.test"


def client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_sends_the_protocol_body_and_returns_the_verified_line() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=cosign(BODY, WITNESS, 42))

    line = submit(URL + "/", 3, TREE.consistency_proof(3), NOTE, witness=WITNESS.verifier().key,
                  client=client(handler))
    assert line.startswith("\u2014 w.example ")
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", URL + "/add-checkpoint")
    parsed = parse_request(request.content)
    assert (parsed.old_size, list(parsed.proof), parsed.note) == (3, TREE.consistency_proof(3), NOTE)


def test_409_carries_the_witness_size() -> None:
    answer = client(lambda _: httpx.Response(409, text="5\n", headers={"content-type": "text/x.tlog.size"}))
    with pytest.raises(SizeConflictError) as conflict:
        submit(URL, 0, [], NOTE, client=answer)
    assert conflict.value.size == 5
    garbled = client(lambda _: httpx.Response(409, text="five"))
    with pytest.raises(WitnessUnavailableError):
        submit(URL, 0, [], NOTE, client=garbled)


def test_request_cosignature_follows_a_409_to_the_witness_size() -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        parsed = parse_request(request.content)
        sizes.append(parsed.old_size)
        if parsed.old_size != 4:
            return httpx.Response(409, text="4\n")
        assert list(parsed.proof) == TREE.consistency_proof(4)
        return httpx.Response(200, text=cosign(BODY, WITNESS, 1))

    line, old = request_cosignature(URL, NOTE, TREE.consistency_proof, witness=WITNESS.verifier(),
                                    client=client(handler))
    assert (sizes, old) == ([0, 4], 4) and line.startswith("\u2014 w.example ")


def test_refusals_carry_status_and_detail() -> None:
    problem = json.dumps({"title": "Inconsistent checkpoint", "status": 422, "detail": "fork: ..."})
    answer = client(lambda _: httpx.Response(422, text=problem,
                                             headers={"content-type": "application/problem+json"}))
    with pytest.raises(WitnessRefusedError) as refused:
        submit(URL, 0, [], NOTE, client=answer)
    assert (refused.value.status, refused.value.detail) == (422, "fork: ...")
    plain = client(lambda _: httpx.Response(403, text="not signed\n"))
    with pytest.raises(WitnessRefusedError) as refused:
        submit(URL, 0, [], NOTE, client=plain)
    assert (refused.value.status, refused.value.detail) == (403, "not signed")


@pytest.mark.parametrize("text", [
    "",                                         # nothing
    "hello\n",                                  # not a signature line
    cosign(BODY, WITNESS, 1).rstrip("\n"),      # no final newline
])
def test_an_answer_that_is_not_cosignature_lines(text: str) -> None:
    with pytest.raises(WitnessUnavailableError):
        submit(URL, 0, [], NOTE, client=client(lambda _: httpx.Response(200, text=text)))


def test_a_cosignature_by_another_key_or_a_bad_one_is_refused() -> None:
    impostor = WitnessSigner.from_key(generate_witness_key("w.example")[0])  # same name, other key
    other = client(lambda _: httpx.Response(200, text=cosign(BODY, impostor, 1)))
    with pytest.raises(WitnessUnavailableError, match=r"no cosignature by w\.example"):
        submit(URL, 0, [], NOTE, witness=WITNESS.verifier(), client=other)
    wrong_body = Checkpoint("log.example", 7, bytes(32)).body()
    bad = client(lambda _: httpx.Response(200, text=cosign(wrong_body, WITNESS, 1)))
    with pytest.raises(WitnessUnavailableError, match="bad cosignature"):
        submit(URL, 0, [], NOTE, witness=WITNESS.verifier(), client=bad)
    # unpinned, the client hands the lines back for the caller to verify
    assert submit(URL, 0, [], NOTE, client=other).startswith("\u2014 w.example ")


def test_an_unreachable_witness() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(WitnessUnavailableError, match="ConnectError"):
        submit(URL, 0, [], NOTE, client=client(refuse))
