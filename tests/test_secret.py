"""Secret files: written once, whole, by whichever worker starts first; a damaged one is a clear
error, never a silently new secret."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest

from sanctuarygate.audit.keys import load_or_create_signer
from sanctuarygate.audit.pseudonym import load_or_create_person_key
from sanctuarygate.errors import ConfigurationError
from sanctuarygate.gateway.watermark import load_or_create_key
from sanctuarygate.secret import load_or_create_secret, publish_once

WORKERS = 6


def _start(data_dir: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        d = Path(data_dir)
        results.put((load_or_create_person_key(d).hex(), load_or_create_key(d).hex(),
                     load_or_create_signer(d, "sanctuarygate.example/log")[0].key))
    except Exception as err:
        results.put(f"error: {err!r}")


def test_workers_starting_together_on_an_empty_data_dir_share_every_secret(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    processes = [context.Process(target=_start, args=(str(tmp_path), barrier, results))
                 for _ in range(WORKERS)]
    for process in processes:
        process.start()
    got = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert all(isinstance(g, tuple) for g in got), got
    assert len(set(got)) == 1
    person, watermark, signer = got[0]
    assert person != watermark and len(bytes.fromhex(person)) == 32
    keys = tmp_path / "keys"
    assert (keys / "person-hmac.key").read_text() == person + "\n"
    assert (keys / "watermark.key").read_text() == watermark + "\n"
    assert not [p.name for p in keys.iterdir() if p.name.endswith(".tmp")]  # no leftovers
    for name in ("person-hmac.key", "watermark.key", "sanctuarygate.example%2Flog.key"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600
    assert signer.startswith("PRIVATE+KEY+sanctuarygate.example/log+")


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "the file is empty"),
    (b"0123abcd", "a 4-byte key, expected 32 bytes"),
    (b"not hex at all\n", "not a hex key (expected 64 hex digits)"),
])
def test_a_damaged_secret_file_names_the_file_and_what_to_do(
        tmp_path: Path, content: bytes, problem: str) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "watermark.key").write_bytes(content)
    with pytest.raises(ConfigurationError) as raised:
        load_or_create_key(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{keys / 'watermark.key'}: {problem}. ")
    assert "Restore it from a backup" in message and "delete it" in message
    assert (keys / "watermark.key").read_bytes() == content  # left for the operator, not replaced


def test_publish_once_never_overwrites_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "new" / "secret"
    assert publish_once(target, b"one") is True
    assert publish_once(target, b"two") is False
    assert target.read_bytes() == b"one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["secret"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_a_secret_is_read_back_the_same(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path, "x.key")
    assert load_or_create_secret(tmp_path, "x.key") == first and len(first) == 32
