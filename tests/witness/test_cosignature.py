"""Cosignatures (audit/cosignature.py): the format, checked against outside vectors, and tampering.

Vectors and where they come from:

- C2SP tlog-cosignature (c2sp.org/tlog-cosignature, the example at the top of the spec): a
  cosignature line by witness.example.com/w1 whose signed message has ``time 1679315147``.
- transparency-dev/formats, note/note_cosigv1_test.go: the native cosignature/v1 vkey
  ``remora.n621.de+da77ade7+BOvN...`` (TestCoSigV1NewVerifier) and a cosignature whose timestamp
  is 1727964367 (TestCoSigV1Timestamp).
- A cosignature made by an independent implementation (Go, golang.org/x/mod/sumdb/note from
  Debian's golang-golang-x-mod-dev, with a cosignature/v1 signer and verifier written from the
  spec: ``crosscheck/main.go`` beside this file) with a fixed key and time; Ed25519 is
  deterministic, so our signer must produce the same line. That program also verified a note
  cosigned by this module and refused it with the size edited.
"""

from __future__ import annotations

import base64

import pytest

from sanctuarygate.audit.checkpoint import Checkpoint, MalformedCheckpointError, sign_checkpoint
from sanctuarygate.audit.cosignature import (
    Cosignature,
    TooFewCosignaturesError,
    WitnessSigner,
    WitnessVerifier,
    cosign,
    generate_witness_key,
    key_id,
    message,
    require_cosignatures,
    timestamp_of,
    verify_cosignatures,
)
from sanctuarygate.audit.keys import KeyFormatError, Signer, generate_key
from sanctuarygate.audit.note import InvalidSignatureError, MalformedNoteError, NoteError, open_note

SPEC_LINE = ("\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dl"
             "rDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==")
FORMATS_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
FORMATS_SIG = ("ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOwor"
               "DcFiEBYJXORmnFBOBA==")

#: The Go cross-check's inputs and output (see crosscheck/main.go).
GO_SEED = bytes(range(32))
GO_NAME = "witness.example/go"
GO_TIME = 1767225600
GO_BODY = "log.example/decisions\n5\nQrtXrQZCCvpIgsSmOsah7HdICzMLLyDfxToMql9WTjY=\n"
GO_VKEY = "witness.example/go+ab9db0e3+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
GO_EXPECTED = ("\u2014 witness.example/go q52w4wAAAABpVbkA5dDKaOJgLv/2JL1WUoD8iSqGiaQIgHxgVXPQRWTwbFG9"
               "aI8gDg80cx4P7kc704puMXX6+WllxwQKHB5026wbAg==\n")

BODY = Checkpoint("log.example/decisions", 3, bytes(range(32))).body()


@pytest.fixture(scope="module")
def witness() -> WitnessSigner:
    return WitnessSigner.from_key(generate_witness_key("witness.example/w1")[0])


def test_key_id_matches_formats_vector() -> None:
    verifier = WitnessVerifier.from_key(FORMATS_VKEY)
    assert verifier.key_id.hex() == "da77ade7"
    assert verifier.key == FORMATS_VKEY
    assert key_id(verifier.name, verifier.public_key) == bytes.fromhex("da77ade7")


def test_key_id_uses_algorithm_byte_4_not_1() -> None:
    """A cosignature key id differs from the same key's ordinary note key id (0x01)."""
    skey, _ = generate_key("same.name")
    plain = Signer.from_key(skey)
    seed = base64.b64decode(skey.split("+", 4)[4])[1:]
    assert WitnessSigner("same.name", seed).key_id != plain.key_id


def test_timestamps_of_outside_vectors() -> None:
    assert timestamp_of(SPEC_LINE) == 1679315147
    assert timestamp_of(f"\u2014 remora.n621.de {FORMATS_SIG}") == 1727964367


def test_signed_message_layout() -> None:
    assert message(BODY, 1679315147) == b"cosignature/v1\ntime 1679315147\n" + BODY.encode()
    with pytest.raises(ValueError):
        message(BODY, 2**63)
    with pytest.raises(ValueError):
        message(BODY, -1)


def test_line_layout(witness: WitnessSigner) -> None:
    line = cosign(BODY, witness, 1_700_000_000)
    assert line.startswith("\u2014 witness.example/w1 ") and line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == witness.key_id
    assert int.from_bytes(raw[4:12], "big") == 1_700_000_000
    signature = raw[12:]
    assert witness.verifier().verify(BODY, 1_700_000_000, signature)
    assert not witness.verifier().verify(BODY, 1_700_000_001, signature)


def test_matches_the_go_implementation() -> None:
    signer = WitnessSigner(GO_NAME, GO_SEED)
    assert signer.verifier().key == GO_VKEY
    line = cosign(GO_BODY, signer, GO_TIME)
    assert line == GO_EXPECTED
    assert verify_cosignatures(GO_BODY + "\n" + GO_EXPECTED, [signer.verifier()]) == [
        Cosignature(GO_NAME, signer.key_id, GO_TIME)]


def test_verify_returns_the_trusted_witnesses_that_cosigned(witness: WitnessSigner) -> None:
    other = WitnessSigner.from_key(generate_witness_key("witness.example/w2")[0])
    stranger = WitnessSigner.from_key(generate_witness_key("stranger.example")[0])
    log_skey, log_vkey = generate_key("log.example/decisions")
    note = sign_checkpoint(Checkpoint("log.example/decisions", 3, bytes(range(32))),
                           Signer.from_key(log_skey))
    note += cosign(BODY, witness, 10) + cosign(BODY, stranger, 11) + cosign(BODY, other, 12)
    found = verify_cosignatures(note, [witness.verifier(), other.verifier().key])
    assert [(c.name, c.timestamp) for c in found] == [("witness.example/w1", 10), ("witness.example/w2", 12)]
    # the log's own key still opens the note: cosignature lines are ordinary note signatures
    assert open_note(note, [log_vkey])[1] == ["log.example/decisions"]
    # a log key is not a witness key: the log line is ignored, not counted
    assert verify_cosignatures(note, [stranger.verifier()])[0].name == "stranger.example"


def test_a_tampered_timestamp_fails(witness: WitnessSigner) -> None:
    line = cosign(BODY, witness, 1_700_000_000)
    name, encoded = line[2:-1].split(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[11] ^= 1  # last byte of the timestamp
    forged = f"\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(InvalidSignatureError):
        verify_cosignatures(BODY + "\n" + forged, [witness.verifier()])


@pytest.mark.parametrize("edit", [
    lambda body: body.replace("\n3\n", "\n4\n"),                       # size
    lambda body: body.replace("log.example/", "log.other/"),            # origin
    lambda body: body.replace(base64.b64encode(bytes(range(32))).decode(),
                              base64.b64encode(bytes(32)).decode()),     # root hash
    lambda body: body + "extension\n",                                  # an added extension line
])
def test_a_tampered_body_fails(witness: WitnessSigner, edit: object) -> None:
    assert callable(edit)
    line = cosign(BODY, witness, 5)
    altered = edit(BODY)
    assert altered != BODY
    with pytest.raises(InvalidSignatureError):
        verify_cosignatures(altered + "\n" + line, [witness.verifier()])


def test_a_wrong_length_signature_by_a_known_key_is_an_error(witness: WitnessSigner) -> None:
    short = base64.b64encode(witness.key_id + bytes(8 + 63)).decode()
    with pytest.raises(InvalidSignatureError):
        verify_cosignatures(BODY + f"\n\u2014 witness.example/w1 {short}\n", [witness.verifier()])


def test_an_ordinary_note_signature_by_the_witness_seed_is_not_a_cosignature(witness: WitnessSigner) -> None:
    """Same seed, algorithm 0x01: another key id, so the line is not the witness's."""
    seed = base64.b64decode(witness.key.split("+", 4)[4])[1:]
    plain = Signer(witness.name, seed)
    note = BODY + "\n" + sign_checkpoint(Checkpoint("x", 0, bytes(32)), plain).split("\n\n")[1]
    assert verify_cosignatures(note, [witness.verifier()]) == []


def test_the_body_must_be_a_checkpoint(witness: WitnessSigner) -> None:
    with pytest.raises(MalformedCheckpointError):
        cosign("not a checkpoint\n", witness, 1)
    with pytest.raises(MalformedNoteError):
        verify_cosignatures("no signatures here\n", [witness.verifier()])


def test_require_k_of_n(witness: WitnessSigner) -> None:
    others = [WitnessSigner.from_key(generate_witness_key(f"w{i}.example")[0]) for i in range(2)]
    pinned = [witness.verifier(), *(o.verifier() for o in others)]
    note = BODY + "\n" + cosign(BODY, witness, 1) + cosign(BODY, others[0], 2)
    assert len(require_cosignatures(note, pinned, 2)) == 2
    assert require_cosignatures(note, pinned, 0) == verify_cosignatures(note, pinned)
    with pytest.raises(TooFewCosignaturesError) as caught:
        require_cosignatures(note, pinned, 3)
    assert caught.value.need == 3 and len(caught.value.have) == 2
    assert isinstance(caught.value, NoteError)
    with pytest.raises(ValueError):
        require_cosignatures(note, pinned, 4)  # can never be met: a configuration error


def test_the_same_witness_twice_counts_once(witness: WitnessSigner) -> None:
    note = BODY + "\n" + cosign(BODY, witness, 1) + cosign(BODY, witness, 2)
    assert len(verify_cosignatures(note, [witness.verifier()])) == 1
    with pytest.raises(TooFewCosignaturesError):
        require_cosignatures(note, [witness.verifier(), witness.verifier(),
                                    WitnessSigner.from_key(generate_witness_key("b")[0]).verifier()], 2)


@pytest.mark.parametrize("vkey", [
    "remora.n621.de+da77ade7",                                                   # no key
    "remora.n621.de+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",     # wrong key id
    "remora.n621.de+da77ade7+AOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",     # algorithm 0x00
    "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",               # an 0x01 note key
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmt",       # not base64
    "bad name+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",           # a space in the name
])
def test_malformed_witness_keys(vkey: str) -> None:
    with pytest.raises(KeyFormatError):
        WitnessVerifier.from_key(vkey)


def test_signer_key_round_trip_and_private_repr(witness: WitnessSigner) -> None:
    again = WitnessSigner.from_key(witness.key)
    assert again.verifier() == witness.verifier()
    assert witness.key.split("+")[4] not in repr(witness)
    with pytest.raises(KeyFormatError):
        WitnessSigner.from_key(witness.verifier().key)
