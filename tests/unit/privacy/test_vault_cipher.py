"""Vault encryption: round trip, binding to the conversation, wrong keys, tampering, key rotation."""

from __future__ import annotations

import pytest

from privacy.errors import VaultCorrupt
from privacy.placeholders import placeholder_for
from privacy.types import VaultState
from privacy.vault import VaultCipher

KEY = "a-vault-key-of-enough-length"


def _vault() -> VaultState:
    v = VaultState()
    placeholder_for(v, "PHONE_NUMBER", "13800138000")
    placeholder_for(v, "PERSON", "张三")
    return v


def test_round_trip_keeps_every_mapping() -> None:
    cipher, v = VaultCipher(KEY), _vault()
    opened = cipher.open("conv-1", cipher.seal("conv-1", v), version=3)
    assert (opened.by_placeholder, opened.by_value, opened.counters) == (
        v.by_placeholder,
        v.by_value,
        v.counters,
    )
    assert opened.version == 3


def test_sealed_bytes_contain_no_clear_value() -> None:
    blob = VaultCipher(KEY).seal("conv-1", _vault())
    assert b"13800138000" not in blob
    assert "张三".encode() not in blob
    assert b"PHONE_NUMBER" not in blob


def test_seal_is_randomised() -> None:
    cipher, v = VaultCipher(KEY), _vault()
    assert cipher.seal("c", v) != cipher.seal("c", v)


def test_a_vault_does_not_open_under_another_conversation() -> None:
    cipher = VaultCipher(KEY)
    with pytest.raises(VaultCorrupt):
        cipher.open("conv-2", cipher.seal("conv-1", _vault()))


def test_wrong_key_and_tampering_are_detected() -> None:
    blob = VaultCipher(KEY).seal("c", _vault())
    with pytest.raises(VaultCorrupt):
        VaultCipher("another-key-of-enough-length").open("c", blob)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(VaultCorrupt):
        VaultCipher(KEY).open("c", tampered)
    with pytest.raises(VaultCorrupt):
        VaultCipher(KEY).open("c", b"garbage")


def test_rotation_reads_old_vaults_and_writes_with_the_new_key() -> None:
    old, new = "the-old-vault-key-0001", "the-new-vault-key-0002"
    old_blob = VaultCipher(old).seal("c", _vault())
    rotated = VaultCipher(new, previous=[old])
    assert rotated.open("c", old_blob).by_placeholder == _vault().by_placeholder
    new_blob = rotated.seal("c", _vault())
    assert VaultCipher(new).open("c", new_blob).counters == {"PHONE_NUMBER": 1, "PERSON": 1}
    with pytest.raises(VaultCorrupt):
        VaultCipher(old).open("c", new_blob)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        VaultCipher("short")
