"""Checkpoints (c2sp.org/tlog-checkpoint): strict bodies, and interop with published checkpoints.

Vectors:
- golang/mod ``sumdb/tlog/note_test.go`` TestFormatTree / TestParseTree: the tree note body of
  size 123456789012 whose hash is RecordHash("hello world") (= RFC 9162 leaf hash);
- transparency-dev/formats ``log/note_test.go`` TestSumDBNoteParsing: a checkpoint signed by
  sum.golang.org, with that log's verifier key;
- transparency-dev/formats ``log/checkpoint_test.go`` TestUnmarshalLogState: malformed bodies.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctuarygate.audit.checkpoint import (
    Checkpoint,
    CheckpointMismatchError,
    MalformedCheckpointError,
    parse,
    sign_checkpoint,
    verify_checkpoint,
)
from sanctuarygate.audit.keys import Signer, generate_key
from sanctuarygate.audit.merkle import EMPTY_ROOT, MemoryTree, leaf_hash
from sanctuarygate.audit.note import (
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    UnknownKeyError,
    sign_note,
)

# golang/mod sumdb/tlog/note_test.go
GO_TREE = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"

# transparency-dev/formats log/note_test.go TestSumDBNoteParsing
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = """go.sum database tree
6476701
mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=

— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=
"""

ROOT = base64.b64encode(bytes(range(32))).decode()
SIGNER = Signer.from_key(generate_key("sanctuarygate.example/decisions")[0])


def test_body_and_parse_match_go_sumdb_tlog() -> None:
    cp = Checkpoint("go.sum database tree", 123456789012, leaf_hash(b"hello world"))
    assert cp.body() == GO_TREE
    assert parse(GO_TREE) == cp


def test_a_checkpoint_signed_by_sum_golang_org_verifies() -> None:
    cp = verify_checkpoint(SUMDB_NOTE, [SUMDB_VKEY], origin="go.sum database tree")
    assert (cp.origin, cp.size) == ("go.sum database tree", 6476701)
    assert base64.b64encode(cp.root_hash).decode() == "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk="
    with pytest.raises(CheckpointMismatchError, match=r"not 'sanctuarygate\.example/decisions'"):
        verify_checkpoint(SUMDB_NOTE, [SUMDB_VKEY], origin="sanctuarygate.example/decisions")
    with pytest.raises(InvalidSignatureError):
        verify_checkpoint(SUMDB_NOTE.replace("6476701", "6476702"), [SUMDB_VKEY])


def test_sign_and_verify_our_own() -> None:
    tree = MemoryTree()
    for i in range(5):
        tree.append(b"%d" % i)
    cp = Checkpoint("sanctuarygate.example/decisions", tree.size, tree.root())
    note = sign_checkpoint(cp, SIGNER)
    assert note.startswith(cp.body() + "\n\u2014 sanctuarygate.example/decisions ")
    assert verify_checkpoint(note, [SIGNER.verifier()]) == cp
    with pytest.raises(UnknownKeyError):
        verify_checkpoint(note, [generate_key("sanctuarygate.example/decisions")[1]])


def test_extension_lines_round_trip() -> None:
    cp = Checkpoint("log", 3, bytes(32), ("timestamp 1700000000",))
    assert parse(cp.body()) == cp
    assert verify_checkpoint(sign_checkpoint(cp, SIGNER), [SIGNER.verifier()]).extensions == cp.extensions


def test_empty_tree() -> None:
    cp = parse(f"log\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\n")
    assert (cp.size, cp.root_hash) == (0, EMPTY_ROOT)


@pytest.mark.parametrize(("body", "why"), [
    ("Head\n9944\n", "lines"),  # insufficient lines (checkpoint_test.go)
    (f"\n9944\n{ROOT}\n", "origin"),  # empty origin
    (f"Log\n123\n{ROOT}", "newline"),  # missing newline on the root hash
    (f"Log\nbananas\n{ROOT}\n", "size"),
    (f"Log\n-34\n{ROOT}\n", "size"),
    (f"Log\n+34\n{ROOT}\n", "size"),
    (f"Log\n034\n{ROOT}\n", "size"),
    (f"Log\n 34\n{ROOT}\n", "size"),
    (f"Log\n3_4\n{ROOT}\n", "size"),
    (f"Log\n3438945738945739845734895735\n{ROOT}\n", "out of range"),
    ("Log\n123\nThisIsn'tBase64\n", "base64"),
    ("Log\n123\nYmFuYW5hcw==\n", "32"),  # a root hash of 7 bytes
    (f"Log\n123\n{ROOT[:-2]}\n", "base64"),
    (f"Log\n123\n{ROOT}\n\n", "extension"),  # empty extension line
    (f"Log\n9944\n{ROOT}\n\n\n\n", "extension"),
    (f"Lo\tg\n123\n{ROOT}\n", "control"),
])
def test_malformed_bodies_are_refused(body: str, why: str) -> None:
    with pytest.raises(MalformedCheckpointError, match=why):
        parse(body)


def test_a_valid_note_with_a_non_checkpoint_body_is_refused() -> None:
    note = sign_checkpoint(Checkpoint("log", 1, bytes(32)), SIGNER)
    with pytest.raises(MalformedCheckpointError):
        verify_checkpoint(sign_note("if this is a valid checkpoint then I'll eat my hat\n", SIGNER),
                          [SIGNER.verifier()])
    with pytest.raises(MalformedNoteError):
        verify_checkpoint(note.replace("\n\n", "\n"), [SIGNER.verifier()])


def test_bad_checkpoints_cannot_be_built() -> None:
    for args in [("", 1, bytes(32)), ("a\nb", 1, bytes(32)), ("log", -1, bytes(32)),
                 ("log", 2**64, bytes(32)), ("log", 1, bytes(31))]:
        with pytest.raises(MalformedCheckpointError):
            Checkpoint(*args)  # type: ignore[arg-type]
    with pytest.raises(MalformedCheckpointError):
        Checkpoint("log", 1, bytes(32), ("",))
    assert issubclass(MalformedCheckpointError, NoteError)


origins = st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), min_size=1, max_size=40)


@given(origins, st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32),
       st.lists(origins, max_size=3))
def test_any_checkpoint_round_trips(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    cp = Checkpoint(origin, size, root, tuple(extensions))
    assert parse(cp.body()) == cp


@given(st.text(max_size=200))
def test_parse_never_fails_with_anything_but_its_own_error(text: str) -> None:
    try:
        cp = parse(text)
    except MalformedCheckpointError:
        return
    assert cp.body() == text  # whatever parses is canonical
