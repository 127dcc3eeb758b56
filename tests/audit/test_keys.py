"""The log's signer key on disk: one file, mode 0600, created once, rotated without losing the past."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from sanctuarygate.audit.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from sanctuarygate.audit.keys import (
    KeyFormatError,
    generate_key,
    load_or_create_signer,
    load_verifiers,
    rotate,
)
from sanctuarygate.audit.note import UnknownKeyError
from sanctuarygate.errors import ConfigurationError

NAME = "sanctuarygate.example/decisions"
FILE = "sanctuarygate.example%2Fdecisions"


def files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret in p.read_text(errors="replace")]


def test_first_call_creates_the_key_then_loads_it(tmp_path: Path) -> None:
    signer, created = load_or_create_signer(tmp_path, NAME)
    again, created_again = load_or_create_signer(tmp_path, NAME)
    assert (created, created_again) == (True, False)
    assert again.key == signer.key and again.name == NAME

    key_file = tmp_path / "keys" / f"{FILE}.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert key_file.read_text() == signer.key + "\n"
    assert files_holding(tmp_path, signer.key.split("+", 4)[4]) == [key_file]  # nowhere else
    assert (tmp_path / "keys" / f"{FILE}.verifiers").read_text() == signer.verifier().key + "\n"
    assert load_verifiers(tmp_path, NAME) == [signer.verifier()]


def test_the_key_file_is_0600_even_under_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        load_or_create_signer(tmp_path, "loose")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "keys" / "loose.key").stat().st_mode) == 0o600


def test_a_readable_key_file_is_refused(tmp_path: Path) -> None:
    load_or_create_signer(tmp_path, "log")
    (tmp_path / "keys" / "log.key").chmod(0o644)
    with pytest.raises(ConfigurationError, match="0600"):
        load_or_create_signer(tmp_path, "log")


def test_a_damaged_or_foreign_key_file_is_refused_not_replaced(tmp_path: Path) -> None:
    load_or_create_signer(tmp_path, "log")
    key_file = tmp_path / "keys" / "log.key"
    key_file.write_text(generate_key("other")[0] + "\n")
    with pytest.raises(ConfigurationError, match="'other', not 'log'"):
        load_or_create_signer(tmp_path, "log")
    key_file.write_text("PRIVATE+KEY+log+00000000+garbage\n")
    with pytest.raises(ConfigurationError, match="not a signer key"):
        load_or_create_signer(tmp_path, "log")
    assert "garbage" in key_file.read_text()


def test_names_that_are_not_key_names_are_refused(tmp_path: Path) -> None:
    for bad in ("", "a b", "a+b", "../x\n"):
        with pytest.raises(KeyFormatError):
            load_or_create_signer(tmp_path, bad)
    assert not (tmp_path / "keys").exists()


def test_a_name_with_dots_and_slashes_stays_inside_the_keys_folder(tmp_path: Path) -> None:
    load_or_create_signer(tmp_path / "data", "../../escape")
    assert [p.name for p in (tmp_path / "data" / "keys").iterdir() if p.suffix == ".key"] == [
        "..%2F..%2Fescape.key"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_rotation_keeps_old_checkpoints_verifiable(tmp_path: Path) -> None:
    old, _ = load_or_create_signer(tmp_path, NAME)
    old_note = sign_checkpoint(Checkpoint(NAME, 0, bytes(32)), old)
    new = rotate(tmp_path, NAME)
    newer = rotate(tmp_path, NAME)
    assert len({old.key, new.key, newer.key}) == 3
    current, created = load_or_create_signer(tmp_path, NAME)
    assert (current.key, created) == (newer.key, False)
    assert load_verifiers(tmp_path, NAME) == [old.verifier(), new.verifier(), newer.verifier()]
    lines = (tmp_path / "keys" / f"{FILE}.verifiers").read_text().splitlines()
    assert lines == [old.verifier().key, new.verifier().key, newer.verifier().key]  # newest last

    assert verify_checkpoint(old_note, load_verifiers(tmp_path, NAME)).origin == NAME
    with pytest.raises(UnknownKeyError):
        verify_checkpoint(old_note, [newer.verifier()])
    key_file = tmp_path / "keys" / f"{FILE}.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert files_holding(tmp_path, old.key.split("+", 4)[4]) == []  # the old private key is gone


def test_rotate_without_a_key_creates_one(tmp_path: Path) -> None:
    signer = rotate(tmp_path, "log")
    assert load_verifiers(tmp_path, "log") == [signer.verifier()]
    assert load_or_create_signer(tmp_path, "log")[0].key == signer.key


def test_a_damaged_verifiers_file_is_an_error(tmp_path: Path) -> None:
    load_or_create_signer(tmp_path, "log")
    (tmp_path / "keys" / "log.verifiers").write_text("not a key\n")
    with pytest.raises(ConfigurationError, match=r"log\.verifiers"):
        load_verifiers(tmp_path, "log")


def _start_worker(data_dir: str, start: Any, results: Any) -> None:
    start.wait()
    try:
        results.put(load_or_create_signer(data_dir, NAME)[0].verifier().key)
    except Exception as err:
        results.put(f"error: {err!r}")


def test_workers_starting_together_share_one_key(tmp_path: Path) -> None:
    """Several web workers start at once on an empty data directory: one key, not several."""
    context = multiprocessing.get_context("spawn")
    workers = 8
    start, results = context.Barrier(workers), context.Queue()
    processes = [context.Process(target=_start_worker, args=(str(tmp_path), start, results))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    keys = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert len(set(keys)) == 1, keys
    assert [v.key for v in load_verifiers(tmp_path, NAME)] == keys[:1]


def test_a_key_file_left_empty_by_a_crash_is_a_clear_error_not_a_new_key(tmp_path: Path) -> None:
    """An older version created the file, then crashed before writing the key into it."""
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    key_file = keys / "log.key"
    key_file.touch(mode=0o600)
    with pytest.raises(ConfigurationError, match=r"log\.key: the signing key file is empty\. .*backup"):
        load_or_create_signer(tmp_path, "log")
    with pytest.raises(ConfigurationError, match="empty"):
        rotate(tmp_path, "log")  # a rotation does not paper over it either
    assert key_file.read_bytes() == b"" and not (keys / "log.verifiers").exists()


def test_rotation_keeps_the_old_key_whole_until_the_new_one_is_complete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, _ = load_or_create_signer(tmp_path, NAME)
    key_file = tmp_path / "keys" / f"{FILE}.key"
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def watching_replace(src: Any, dst: Any) -> None:
        # the moment before the rename: the old key is still there, whole; the new one complete
        seen.append((Path(dst).read_text(), Path(src).read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watching_replace)
    new = rotate(tmp_path, NAME)
    key_moves = [(before, after) for before, after in seen if before.startswith("PRIVATE+KEY+")]
    assert key_moves == [(old.key + "\n", new.key + "\n")]

    def crashing_replace(src: Any, dst: Any) -> None:
        if str(dst).endswith(".key"):  # the new key is listed, then the rename fails
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crashing_replace)
    with pytest.raises(OSError, match="disk full"):
        rotate(tmp_path, NAME)
    monkeypatch.setattr(os, "replace", real_replace)
    assert load_or_create_signer(tmp_path, NAME)[0].key == new.key  # the failed rotation lost nothing
    assert sorted(p.name for p in key_file.parent.iterdir()) == [".lock", f"{FILE}.key",
                                                                  f"{FILE}.verifiers"]
