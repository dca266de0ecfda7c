"""Issue 15, item 7: the test-only KDF switch cannot weaken real slots, and weak
slots are re-wrapped at the next successful unlock."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from ward_desk.store.keys import TEST_KDF_FLOOR_KIB, KdfParams, KeyFile, new_keyfile


def test_the_kdf_override_needs_the_test_switch_and_has_a_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARD_DESK_KDF_MEMORY_KIB", "8")
    monkeypatch.delenv("WARD_DESK_TEST_ONLY", raising=False)
    assert KdfParams.from_env() == KdfParams()  # without the switch: the real profile
    monkeypatch.setenv("WARD_DESK_TEST_ONLY", "yes")
    assert KdfParams.from_env() == KdfParams()  # only "1" turns it on
    monkeypatch.setenv("WARD_DESK_TEST_ONLY", "1")
    assert KdfParams.from_env().memory_kib == TEST_KDF_FLOOR_KIB  # never below the floor


def test_a_weak_slot_is_rewrapped_at_the_next_unlock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WARD_DESK_KDF_MEMORY_KIB", "64")
    monkeypatch.setenv("WARD_DESK_TEST_ONLY", "1")
    path = tmp_path / "keys.json"
    key = secrets.token_bytes(32)
    keyfile = new_keyfile(secrets.token_hex(16))
    keyfile.set_password("hoa", "mat-khau-cua-hoa", key)  # made under the switch: 64 KiB
    keyfile.save(path)
    assert KeyFile.load(path).unlock_with_password("hoa", "mat-khau-cua-hoa") == key
    assert json.loads(path.read_text())["slots"][0]["kdf"]["memory_kib"] == 64  # the profile then: unchanged
    monkeypatch.delenv("WARD_DESK_TEST_ONLY")  # a real run
    loaded = KeyFile.load(path)
    assert loaded.unlock_with_password("hoa", "mat-khau-cua-hoa") == key and loaded.rewrapped
    assert json.loads(path.read_text())["slots"][0]["kdf"]["memory_kib"] == 64  # not before the store opened
    loaded.save_if_rewrapped()
    kdf = json.loads(path.read_text())["slots"][0]["kdf"]
    assert (kdf["memory_kib"], kdf["iterations"]) == (KdfParams().memory_kib, KdfParams().iterations)
    again = KeyFile.load(path)
    assert again.unlock_with_password("hoa", "mat-khau-cua-hoa") == key and not again.rewrapped
