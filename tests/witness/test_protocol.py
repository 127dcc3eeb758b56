"""The add-checkpoint wire format (witness/protocol.py): round trips, and any bytes fail as bad input."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanctuarygate.errors import InputError
from sanctuarygate.witness.protocol import (
    MAX_PROOF_LINES,
    MAX_SIZE,
    format_request,
    parse_request,
    parse_size,
)

hashes = st.binary(min_size=32, max_size=32)
notes = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200)


@given(st.integers(0, MAX_SIZE), st.lists(hashes, max_size=MAX_PROOF_LINES), notes)
def test_round_trip(old: int, proof: list[bytes], note: str) -> None:
    parsed = parse_request(format_request(old, proof, note).encode())
    assert (parsed.old_size, list(parsed.proof), parsed.note) == (old, proof, note)


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_fail_as_bad_input(body: bytes) -> None:
    try:
        parsed = parse_request(body)
    except InputError:
        return
    assert body.startswith(b"old ") and parsed.old_size <= MAX_SIZE


@pytest.mark.parametrize("body", [
    b"old -1\n\nx",
    b"old 1 \n\nx",
    b"old 9223372036854775808\n\nx",                                    # 2**63: above what is stored
    b"old 1\n" + base64.b64encode(bytes(31)) + b"\n\nx",                # a 31-byte hash
    b"old 1\n" + base64.b64encode(bytes(32)).rstrip(b"=") + b"\n\nx",   # unpadded base64
    b"old 1\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\nx",   # 64 proof lines
    b"old 1\r\n\r\nx",                                                  # CRLF
    b"x" * (64 * 1024 + 1),                                             # too large
])
def test_malformed(body: bytes) -> None:
    with pytest.raises(InputError):
        parse_request(body)


def test_sizes() -> None:
    assert parse_size("0\n") == 0
    for bad in ("", "5", "05\n", "-1\n", "5\n\n", "five\n"):
        with pytest.raises(ValueError):
            parse_size(bad)
    with pytest.raises(ValueError):
        format_request(-1, [], "x")
    with pytest.raises(ValueError):
        format_request(0, [bytes(32)] * 64, "x")
