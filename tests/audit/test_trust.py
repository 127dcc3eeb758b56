"""The trust policy an auditor pins: parsed strictly, every mistake named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctuarygate.audit.cosignature import generate_witness_key
from sanctuarygate.audit.trust import (
    TrustPolicyError,
    parse_policy,
    policy_from_keys,
    read_key_file,
    read_policy_file,
)

PETER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"


WITNESS = generate_witness_key("council.example/w1")[1]


def test_round_trip_and_comments() -> None:
    policy = parse_policy(f"# pinned 2026-12-02\norigin PeterNeumann\nlog {PETER}  # current\n"
                          f"witness {WITNESS}\nquorum 1\n")
    assert (policy.origin, policy.quorum, policy.witnesses) == ("PeterNeumann", 1, (WITNESS,))
    assert parse_policy(policy.text()) == policy
    assert not policy.is_demo


@pytest.mark.parametrize(("text", "message"), [
    (f"log {PETER}\n", "no 'origin' line"),
    ("origin PeterNeumann\n", "at least one log key"),
    (f"origin PeterNeumann\nlog {ENOCH}\n", "named 'EnochRoot', not the origin"),
    (f"origin PeterNeumann\nlog {PETER[:-2]}xx\n", "line 2"),
    (f"origin PeterNeumann\nlog {PETER}\nquorum 2\n", "quorum 2 needs that many witnesses"),
    (f"origin PeterNeumann\nlog {PETER}\nquorum two\n", "line 3: quorum is a whole number"),
    (f"origin PeterNeumann\nlog {PETER}\ntrust everything\n", "line 3: unknown item 'trust'"),
    (f"origin PeterNeumann\norigin EnochRoot\nlog {PETER}\n", "line 2: a policy names one origin"),
    ("origin\n", "line 1: 'origin' needs a value"),
    (f"origin PeterNeumann\nlog {PETER}\nwitness {PETER}\n", "line 3: not a witness key"),
])
def test_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(TrustPolicyError, match=message):
        parse_policy(text)


def test_keys_alone_pin_their_common_name(tmp_path: Path) -> None:
    path = tmp_path / "city.vkey"
    path.write_text(f"# the city's key\n{PETER}\n")
    assert policy_from_keys(read_key_file(path)).origin == "PeterNeumann"
    path.write_text(f"{PETER}\n{ENOCH}\n")
    with pytest.raises(TrustPolicyError, match="same log"):
        policy_from_keys(read_key_file(path))
    path.write_text("# nothing\n")
    with pytest.raises(TrustPolicyError, match="no verifier key"):
        read_key_file(path)
    with pytest.raises(TrustPolicyError, match="cannot read"):
        read_policy_file(tmp_path / "missing")
