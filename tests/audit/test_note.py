"""Signed notes and key strings interoperate with golang.org/x/mod/sumdb/note.

Vectors are copied from the Go repository golang/mod:
- ``sumdb/note/note_test.go`` (TestNewVerifier, TestNewSigner, TestSign, TestOpen): the
  PeterNeumann key pair, the EnochRoot verifier key, the Peter Neumann quote and both signatures;
- and from transparency-dev/formats ``log/note_test.go``: four more key pairs (logVK/logSK,
  known1, known2, unknown) and a note from sum.golang.org cosigned by three test witnesses
  (BenchmarkParse).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctuarygate.audit.keys import KeyFormatError, Signer, Verifier, generate_key
from sanctuarygate.audit.note import (
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    UnknownKeyError,
    open_note,
    sign_note,
)

# golang/mod sumdb/note/note_test.go
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = ("— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
             "dngotpRZb6KE6RyyBwJnAM=\n")
ENOCH_SIG = ("— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTG"
             "wnWLox33WWd1RvMc+QQ=\n")

# transparency-dev/formats log/note_test.go: (signer key, verifier key)
FORMATS_KEYS = [
    ("PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",
     "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs"),
    ("PRIVATE+KEY+Known+451c786d+AQPRoE2+Z+Ed1HaHBA9F/FfracvcZ2rDU39kCecMEoci",
     "Known+451c786d+AXAQ0T7lbwuY4ABJ9/MYY9bWV3hmSyOGVt2x42NkmdUH"),
    ("PRIVATE+KEY+KnownAgain+4893b26c+ARhZda/l25zjGZswYLDZsLNRzNpmv5wYTN9IoTr1OJ2+",
     "KnownAgain+4893b26c+AQ+LR7BFF/F/dkpIBjBpSvT0crkteizuUkavAoGeaYMj"),
    ("PRIVATE+KEY+Unknown+fdbb2e08+Aav2knTC6orbhXX8pMWuNiWgO+Wwk2DB+h1eU2Q1W1nU",
     "Unknown+fdbb2e08+AWgRIYZ+8x1Vl+1Q+sR8zciNHiYI1SdlBjNw+RV0rots"),
]

# transparency-dev/formats log/note_test.go BenchmarkParse: a sum.golang.org checkpoint and
# cosignatures by three test witnesses, with their verifier keys
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = """go.sum database tree
6476701
mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=

— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=
"""
WITNESS_VKEYS = [
    "monkeys+db4d9f7e+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT",
    "bananas+cf639f13+AaPjhFnPCQnid/Ql32KWhmh+uk72FVRfK+2DLmO3BI3M",
    "witness+f13a86db+AdYV1Ztajd9BvyjP2HgpwrqYL6TjOwIjGMOq8Bu42xbN",
]
WITNESS_SIGS = [
    "— monkeys 202ffh9ve46Mqbhuyb4wnC2Pwdan5EsXQym/tF1ggXJqhjGosU4T"
    "5intH4iKMRgDLxrnXuIjRaU2NbvAnaepM6Y+8ww=\n",
    "— bananas z2OfE+2bbsBZ7NLgfuslc0v7NFW2QyexJ7fhePpoL2N/P7N/COd5"
    "S+JNHbQEAlYzz2C5sg0E+x/MggS1mDR6t3/9rQw=\n",
    "— witness 8TqG25yWGFLdT7WPf/WoyeG3LwqtkXP+8S3yykOVm6EMh4hPgCke"
    "6eSVPU4BdtXNMPJBXKF+UpDbGgCdcpR8SVSoqAU=\n",
    "— random1 8TqG25yWGFLdT7WPf/WoyeG3LwqtkXP+8S3yykOVm6EMh4hPgCke"
    "6eSVPU4BdtXNMPJBXKF+UpDbGgCdcpR8SVSoqAU=\n",
]


# -- keys -------------------------------------------------------------------------------------


def test_published_keys_parse_and_match() -> None:
    peter = Signer.from_key(PETER_SKEY)
    assert (peter.name, peter.key_id.hex()) == ("PeterNeumann", "c74f20a3")
    assert peter.verifier() == Verifier.from_key(PETER_VKEY)
    assert peter.key == PETER_SKEY
    assert Verifier.from_key(ENOCH_VKEY).key == ENOCH_VKEY


@pytest.mark.parametrize(("skey", "vkey"), FORMATS_KEYS)
def test_key_pairs_from_transparency_dev_formats(skey: str, vkey: str) -> None:
    assert Signer.from_key(skey).verifier().key == vkey
    assert Verifier.from_key(vkey).key == vkey


def manglings(key: str) -> list[str]:
    """Every proper substring and every one-character increment (TestNewVerifier/TestNewSigner)."""
    subs = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)} - {key}
    bumps = {key[:i] + chr(ord(key[i]) + 1) + key[i + 1:] for i in range(len(key))}
    return sorted(subs | bumps)


def test_mangled_verifier_keys_are_rejected() -> None:
    accepted = []
    for bad in manglings(PETER_VKEY):
        try:
            Verifier.from_key(bad)
            accepted.append(bad)
        except KeyFormatError:
            pass
    assert accepted == []
    for bad in (
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
    ):
        with pytest.raises(KeyFormatError):
            Verifier.from_key(bad)


def test_mangled_signer_keys_are_rejected_without_echoing_the_key() -> None:
    accepted = []
    for bad in manglings(PETER_SKEY):
        try:
            Signer.from_key(bad)
            accepted.append(bad)
        except KeyFormatError as err:
            assert "FALVFGyNhPJEMzD1QIDr" not in str(err) and "Y7hfZx09iUvxdXH" not in str(err)
    assert accepted == []


def test_signer_repr_hides_the_private_key() -> None:
    assert "AYEKF" not in repr(Signer.from_key(PETER_SKEY))
    assert repr(Signer.from_key(PETER_SKEY)) == "Signer(name='PeterNeumann', key_id='c74f20a3')"


def test_generate_key_makes_a_matching_pair() -> None:
    skey, vkey = generate_key("sanctuarygate.example/decisions")
    signer, verifier = Signer.from_key(skey), Verifier.from_key(vkey)
    assert signer.verifier() == verifier
    assert verifier.verify(b"hi", signer.sign(b"hi"))
    assert not verifier.verify(b"ho", signer.sign(b"hi"))
    for bad_name in ("", "two words", "a+b", "tab\there"):
        with pytest.raises(KeyFormatError):
            generate_key(bad_name)


# -- notes ------------------------------------------------------------------------------------


def test_sign_matches_go_byte_for_byte() -> None:
    assert sign_note(TEXT, Signer.from_key(PETER_SKEY)) == TEXT + "\n" + PETER_SIG


def test_sign_needs_text_ending_in_newline_and_no_control_characters() -> None:
    peter = Signer.from_key(PETER_SKEY)
    with pytest.raises(MalformedNoteError):
        sign_note("abc", peter)
    with pytest.raises(MalformedNoteError):
        sign_note("a\x01b\n", peter)
    with pytest.raises(ValueError):
        sign_note(TEXT)


def test_open_with_one_of_two_keys_known() -> None:
    assert open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER_VKEY]) == (TEXT, ["PeterNeumann"])


def test_open_with_both_keys_known() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    both = [Verifier.from_key(PETER_VKEY), ENOCH_VKEY]
    assert open_note(note, both) == (TEXT, ["PeterNeumann", "EnochRoot"])
    assert open_note(note.encode(), [PETER_VKEY, PETER_VKEY]) == (TEXT, ["PeterNeumann"])  # same key twice


def test_open_with_no_known_key() -> None:
    with pytest.raises(UnknownKeyError, match="PeterNeumann, EnochRoot") as info:
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    assert info.value.signers == ("PeterNeumann", "EnochRoot")
    # a signature under another name, or another key id, is by an unknown key (TestOpen)
    for forged in (PETER_SIG.replace("PeterNeumann", "CarmenSandiego"), PETER_SIG.replace("x08g", "xxxx")):
        with pytest.raises(UnknownKeyError):
            open_note(TEXT + "\n" + forged, [PETER_VKEY])


def test_two_different_keys_with_one_name_and_id_are_ambiguous() -> None:
    impostor = Verifier.from_key(generate_key("PeterNeumann")[1])
    impostor.key_id = Verifier.from_key(PETER_VKEY).key_id
    with pytest.raises(NoteError, match="ambiguous key PeterNeumann"):
        open_note(TEXT + "\n" + PETER_SIG, [PETER_VKEY, impostor])


def test_invalid_signature_by_a_known_key() -> None:
    altered = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignatureError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(TEXT + "\n" + altered, [PETER_VKEY])
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT.replace("problem", "question") + "\n" + PETER_SIG, [PETER_VKEY])


def test_repeated_and_unknown_signatures_are_tolerated() -> None:
    unknown_altered = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + unknown_altered
    assert open_note(note, [PETER_VKEY]) == (TEXT, ["PeterNeumann"])


def test_too_many_signatures() -> None:
    with pytest.raises(MalformedNoteError):
        open_note(TEXT + "\n" + PETER_SIG * 101, [PETER_VKEY])


@pytest.mark.parametrize("bad", [
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + PETER_SIG[:-1],
    "\x01" + TEXT + "\n" + PETER_SIG,
    b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
    TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
    "dngotpRZb6KE6RyyBwJnAM=",
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    TEXT + "\n" + "— PeterNeumann \n",
    TEXT + "\n" + "— PeterNeumann x08g\n",
    TEXT + "\n" + "- PeterNeumann " + PETER_SIG.split(" ", 2)[2],
])
def test_malformed_notes(bad: str | bytes) -> None:
    """TestOpen's badMsgs, and a few more."""
    with pytest.raises(MalformedNoteError):
        open_note(bad, [PETER_VKEY])


def test_sumdb_checkpoint_with_witness_cosignatures() -> None:
    note = SUMDB_NOTE + "".join(WITNESS_SIGS)
    text, names = open_note(note, [SUMDB_VKEY, *WITNESS_VKEYS])
    assert text == SUMDB_NOTE.split("\n\n")[0] + "\n"
    assert names == ["sum.golang.org", "monkeys", "bananas", "witness"]
    assert open_note(note, WITNESS_VKEYS[1:2])[1] == ["bananas"]


# -- properties -------------------------------------------------------------------------------

PEER = Signer.from_key(FORMATS_KEYS[0][0])
lines = st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), max_size=30)
texts = st.lists(lines, min_size=1, max_size=6).map(lambda ls: "\n".join(ls) + "\n")


@given(texts)
def test_any_text_round_trips(text: str) -> None:
    assert open_note(sign_note(text, PEER, Signer.from_key(PETER_SKEY)), [PEER.verifier()]) == (text, ["Log"])


@given(texts, st.data())
def test_any_change_to_the_text_is_caught(text: str, data: st.DataObject) -> None:
    note = sign_note(text, PEER)
    i = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)).filter(
        lambda c: c != text[i]))
    with pytest.raises(NoteError):
        open_note(note[:i] + replacement + note[i + 1:], [PEER.verifier()])


@given(texts, st.data())
def test_any_change_to_the_signature_is_caught(text: str, data: st.DataObject) -> None:
    note = sign_note(text, PEER)
    start = len(text) + 1 + len("— Log ")
    i = data.draw(st.integers(start, len(note) - 2))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != note[i]))
    with pytest.raises(NoteError):
        open_note(note[:i] + replacement + note[i + 1:], [PEER.verifier()])
