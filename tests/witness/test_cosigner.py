"""The witness in one process: every check of add-checkpoint, its HTTP statuses, and its state.

The processes test (``test_processes.py``) runs real witnesses; this one covers each refusal
quickly, through the app with FastAPI's test client.
"""

from __future__ import annotations

import base64
import threading
import warnings
from pathlib import Path

import pytest

from sanctuarygate.audit.checkpoint import Checkpoint, sign_checkpoint
from sanctuarygate.audit.cosignature import verify_cosignatures
from sanctuarygate.audit.keys import Signer, Verifier, generate_key
from sanctuarygate.audit.merkle import EMPTY_ROOT, MemoryTree
from sanctuarygate.witness.app import create_app
from sanctuarygate.witness.cosigner import Witness
from sanctuarygate.witness.home import init_witness, load_signer, open_state
from sanctuarygate.witness.protocol import SIZE_CONTENT_TYPE, SizeConflictError, format_request

with warnings.catch_warnings():  # Starlette's TestClient warns about httpx (see tests/web)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ORIGIN = "log.example/decisions"


class Log:
    """A log for the tests: a memory tree and its signing key."""

    def __init__(self, origin: str = ORIGIN, entries: int = 0) -> None:
        skey, self.vkey = generate_key(origin)
        self.signer = Signer.from_key(skey)
        self.origin = origin
        self.tree = MemoryTree(f"entry {i}".encode() for i in range(entries))

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.tree.append(f"entry {self.tree.size}".encode())

    def note(self, size: int | None = None) -> str:
        size = self.tree.size if size is None else size
        return sign_checkpoint(Checkpoint(self.origin, size, self.tree.root(size)), self.signer)

    def body(self, old: int, size: int | None = None) -> bytes:
        size = self.tree.size if size is None else size
        proof = self.tree.consistency_proof(old, size) if 0 < old <= size else []
        return format_request(old, proof, self.note(size)).encode()


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def witness(tmp_path: Path, log: Log) -> Witness:
    init_witness(tmp_path, "witness.example/w1")
    open_state(tmp_path).add_log(ORIGIN, log.vkey)
    return Witness(load_signer(tmp_path), open_state(tmp_path), clock=lambda: 1_767_225_600)


@pytest.fixture
def http(witness: Witness) -> TestClient:
    return TestClient(create_app(witness))


def post(http: TestClient, body: bytes) -> tuple[int, str, str]:
    response = http.post("/add-checkpoint", content=body)
    return response.status_code, response.headers.get("content-type", ""), response.text


def test_cosigns_a_growing_log(http: TestClient, witness: Witness, log: Log) -> None:
    log.grow(3)
    status, _, line = post(http, log.body(0))
    assert status == 200
    [cosig] = verify_cosignatures(log.note() + line, [witness.verifier])
    assert cosig.timestamp == 1_767_225_600
    log.grow(5)
    status, _, line = post(http, log.body(3))
    assert status == 200 and verify_cosignatures(log.note() + line, [witness.verifier])
    state = witness.state.log(ORIGIN)
    assert state is not None and (state.size, state.root_hash) == (8, log.tree.root())
    # the stored checkpoint carries the log's signature and the witness's, and nothing else
    assert state.checkpoint == log.note() + line


def test_the_same_checkpoint_again_is_cosigned_again(http: TestClient, log: Log) -> None:
    log.grow(2)
    assert post(http, log.body(0))[0] == 200
    assert post(http, log.body(2))[0] == 200


def test_old_size_mismatch_is_409_with_the_witness_size(http: TestClient, log: Log) -> None:
    log.grow(4)
    assert post(http, log.body(0))[0] == 200
    log.grow(2)
    status, content_type, text = post(http, log.body(0))
    assert (status, content_type, text) == (409, SIZE_CONTENT_TYPE, "4\n")
    status, _, _ = post(http, log.body(2))
    assert status == 409


def test_a_fork_is_refused_and_kept_as_evidence(http: TestClient, witness: Witness, log: Log) -> None:
    log.grow(3)
    assert post(http, log.body(0))[0] == 200
    fork = Log(entries=0)
    fork.signer, fork.vkey = log.signer, log.vkey  # the same log key signs another history
    fork.tree = MemoryTree([b"entry 0", b"entry 1", b"rewritten"])
    status, _, text = post(http, fork.body(3))
    assert status == 422 and "fork" in text
    evidence = witness.state.evidence(ORIGIN)
    assert len(evidence) == 1 and evidence[0][2] == fork.note()
    # a longer forked history does not pass either: the proof from 3 fails
    fork.grow(2)
    status, _, text = post(http, fork.body(3))
    assert status == 422 and "does not verify" in text
    state = witness.state.log(ORIGIN)
    assert state is not None and state.root_hash == log.tree.root(3)


def test_a_rewind_is_refused(http: TestClient, witness: Witness, log: Log) -> None:
    log.grow(5)
    assert post(http, log.body(0))[0] == 200
    assert post(http, log.body(5, 3))[0] == 400   # old size above the checkpoint's
    assert post(http, log.body(3, 3))[0] == 409   # an old size that is not the witness's
    state = witness.state.log(ORIGIN)
    assert state is not None and state.size == 5


@pytest.mark.parametrize("body, status", [
    (b"old 0\n", 400),                                   # no empty line, no checkpoint
    (b"new 0\n\nx\n", 400),                              # not 'old'
    (b"old 007\n\nx\n", 400),                            # leading zeros
    (b"old 0\nnot-base64\n\nx\n", 400),                  # a proof line that is not a hash
    (b"old 0\n\nno signatures\n", 400),                  # not a signed note
    (b"old 0\n\n\xff\n\n", 400),                         # not UTF-8
])
def test_malformed_requests_are_400(http: TestClient, body: bytes, status: int) -> None:
    assert post(http, body)[0] == status


def test_too_many_proof_lines_is_400(http: TestClient, log: Log) -> None:
    log.grow(1)
    body = b"old 0\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\n" + log.note().encode()
    assert post(http, body)[0] == 400


def test_unknown_origin_is_404(http: TestClient) -> None:
    other = Log("other.example/log", entries=1)
    assert post(http, other.body(0))[0] == 404


def test_not_signed_by_the_log_key_is_403(http: TestClient, log: Log) -> None:
    impostor = Log(entries=2)  # same origin, a key the witness does not know
    status, content_type, _ = post(http, impostor.body(0))
    assert (status, content_type) == (403, "application/problem+json")
    log.grow(2)
    note = log.note().replace("\n2\n", "\n3\n")  # the log's signature no longer verifies
    assert post(http, format_request(0, [], note).encode())[0] == 403


@pytest.mark.parametrize("make, reason", [
    (lambda log: format_request(0, [], sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), log.signer)),
     "size 0"),
    (lambda log: format_request(0, [bytes(32)], log.note()), "from size 0"),
])
def test_bad_trees_are_422(http: TestClient, log: Log, make: object, reason: str) -> None:
    assert callable(make)
    log.grow(2)
    status, _, text = post(http, make(log).encode())
    assert status == 422 and reason in text


def test_an_empty_tree_is_cosigned(http: TestClient, log: Log) -> None:
    assert log.tree.root() == EMPTY_ROOT
    assert post(http, log.body(0))[0] == 200


def test_concurrent_submissions_cannot_both_advance(witness: Witness, log: Log) -> None:
    """Eight checkpoints of different sizes, all proved from 0 at once: exactly one is stored."""
    log.grow(8)
    bodies = [log.body(0, size) for size in range(1, 9)]
    results: list[int | str] = []
    start = threading.Barrier(len(bodies))

    def submit(body: bytes) -> None:
        start.wait()
        try:
            witness.add_checkpoint(body)
            results.append("cosigned")
        except SizeConflictError as conflict:
            results.append(conflict.size)

    threads = [threading.Thread(target=submit, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("cosigned") == 1
    state = witness.state.log(ORIGIN)
    assert state is not None and state.size in range(1, 9)
    assert state.root_hash == log.tree.root(state.size)


def test_advance_is_a_compare_and_swap(witness: Witness) -> None:
    assert witness.state.advance(ORIGIN, 0, EMPTY_ROOT, 5, bytes(32), "a")
    assert not witness.state.advance(ORIGIN, 0, EMPTY_ROOT, 3, bytes(32), "b")
    assert not witness.state.advance(ORIGIN, 5, bytes([1]) * 32, 6, bytes(32), "c")  # other root
    state = witness.state.log(ORIGIN)
    assert state is not None and (state.size, state.checkpoint) == (5, "a")


def test_monitoring_endpoint_serves_the_latest_cosigned_checkpoint(http: TestClient, log: Log) -> None:
    import hashlib

    path = f"/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint"
    assert http.get(path).status_code == 404
    log.grow(2)
    line = post(http, log.body(0))[2]
    assert http.get(path).text == log.note() + line
    assert http.get("/").text.startswith("witness.example/w1+")


# -- an outside vector: the sigsum log checkpoints of torchwood's witness tests ---------------
# FiloSottile/torchwood internal/witness/witness_test.go (TestRace): a log key (Ed25519 note key,
# public key ffdc2d4d...) signs checkpoints of sizes 1, 3 and 5; the proofs 1->3 and 1->5 are
# theirs. Their witness cosigns 0->1 and 1->5, and then answers 1->3 with a conflict.
SIGSUM_ORIGIN = "sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562"
SIGSUM_KEY = bytes.fromhex("ffdc2d4d98e4124d3feaf788c0c2f9abfd796083d1f0495437f302ec79cf100f")
SIG = f"\u2014 {SIGSUM_ORIGIN} "
TORCHWOOD_1 = f"""old 0

{SIGSUM_ORIGIN}
1
KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

{SIG}UgIom7fPZTqpxWWhyjWduBvTvGVqsokMbqTArsQilegKoFBJQjUFAmQ0+YeSPM3wfUQMFSzVnnNuWRTYrajXpNUbIQY=
"""
TORCHWOOD_3 = f"""old 1
KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
KgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

{SIGSUM_ORIGIN}
3
RcCI1Nk56ZcSmIEfIn0SleqtV7uvrlXNccFx595Iwl0=

{SIG}UgIom2VbtIcdFbwFAy1n7s6IkAxIY6J/GQOTuZF2ORV39d75cbAj2aQYwyJre36kezNobZs4SUUdrcawfAB8WVrx6go=
"""
TORCHWOOD_5 = f"""old 1
KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
+fUDV+k970B4I3uKrqJM4aP1lloPZP8mvr2Z4wRw2LI=
KgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

{SIGSUM_ORIGIN}
5
QrtXrQZCCvpIgsSmOsah7HdICzMLLyDfxToMql9WTjY=

{SIG}UgIomw/EOJmWi0i1FQsOj+etB7F8IccFam/jgd6wzRns4QPVmyEZtdvl1U2KEmLOZ/ASRcWJi0tW90dJWAShei7sDww=
"""


def test_torchwood_vectors(tmp_path: Path) -> None:
    init_witness(tmp_path, "example.com")
    log_vkey = Verifier(SIGSUM_ORIGIN, SIGSUM_KEY).key
    assert log_vkey.split("+")[1] == "5202289b"  # the key id in their signature lines
    open_state(tmp_path).add_log(SIGSUM_ORIGIN, log_vkey)
    http = TestClient(create_app(tmp_path))
    assert post(http, TORCHWOOD_1.encode())[0] == 200
    assert post(http, TORCHWOOD_5.encode())[0] == 200
    assert post(http, TORCHWOOD_3.encode())[:3:2] == (409, "5\n")
    state = open_state(tmp_path).log(SIGSUM_ORIGIN)
    assert state is not None
    assert state.root_hash.hex() == "42bb57ad06420afa4882c4a63ac6a1ec77480b330b2f20dfc53a0caa5f564e36"


def test_torchwood_proof_1_to_3_verifies_from_a_fresh_witness(tmp_path: Path) -> None:
    init_witness(tmp_path, "example.com")
    open_state(tmp_path).add_log(SIGSUM_ORIGIN, Verifier(SIGSUM_ORIGIN, SIGSUM_KEY).key)
    http = TestClient(create_app(tmp_path))
    assert post(http, TORCHWOOD_1.encode())[0] == 200
    assert post(http, TORCHWOOD_3.encode())[0] == 200
    tampered = TORCHWOOD_3.replace("KgIAAAAA", "KgMAAAAA")  # one proof hash altered
    assert post(http, tampered.encode())[0] == 409  # now at 3: the old size no longer matches
    fresh = tmp_path / "fresh"
    init_witness(fresh, "example.com")
    open_state(fresh).add_log(SIGSUM_ORIGIN, Verifier(SIGSUM_ORIGIN, SIGSUM_KEY).key)
    http = TestClient(create_app(fresh))
    assert post(http, TORCHWOOD_1.encode())[0] == 200
    assert post(http, tampered.encode())[0] == 422
