"""The passphrase as the app takes it (kindcheck.passphrase.Secret) and the key derivation that
reads it in place (kindcheck.vault._argon2id).

The memory test itself (no whole copy of a typed passphrase after the idle lock) is in
tests/app/test_app_vault_attacks.py; here: the Secret edits like text, wipes what it held,
and the reference Argon2id gives exactly the keys cryptography's Argon2id gives (so every
vault made before opens as before).
"""

from __future__ import annotations

import os
import unicodedata

import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from kindcheck.errors import VaultError
from kindcheck.passphrase import SECRET_CAPACITY, Secret
from kindcheck.vault import (
    DEFAULT_KDF,
    KdfParams,
    _argon2id,
    _passphrase_bytes,
    make_passphrase_slot,
    new_data_key,
    open_slot,
)


def held(secret: Secret) -> str:
    with secret.utf8() as data:
        return bytes(data).decode("utf-8")


def test_a_secret_edits_as_text_does() -> None:
    secret = Secret()
    for index, character in enumerate("fiets regen"):
        secret.splice(index, index, character)
    secret.splice(5, 6, "-")  # typed over the space
    secret.splice(0, 0, "é")  # two bytes, at the start
    secret.splice(len(secret) - 1, len(secret), "")  # backspace
    assert held(secret) == "éfiets-rege"
    assert len(secret) == 11 and not secret.is_ascii
    assert secret.matches("éfiets-rege") and not secret.matches("éfiets-regen")


def test_a_wiped_secret_leaves_only_zeros_in_its_buffer() -> None:
    secret = Secret.from_str("groene appel fiets regen")
    buffer = secret._buffer
    secret.wipe()
    assert not secret and len(secret) == 0
    assert buffer == bytearray(SECRET_CAPACITY), "the buffer still holds characters"
    assert buffer is secret._buffer  # wiped in place, never replaced


def test_shortening_a_secret_zeroes_the_bytes_it_no_longer_uses() -> None:
    secret = Secret.from_str("abcdef")
    secret.splice(2, 6, "")
    assert held(secret) == "ab"
    assert secret._buffer[2:6] == bytearray(4)


def test_a_secret_never_grows_past_its_buffer() -> None:
    secret = Secret.from_str("x" * SECRET_CAPACITY)
    with pytest.raises(VaultError):
        secret.splice(0, 0, "y")
    assert len(secret) == SECRET_CAPACITY


def test_a_secret_shows_no_characters_when_printed() -> None:
    secret = Secret.from_str("groene appel fiets regen")
    assert repr(secret) == str(secret) == "<secret>"
    assert "groene" not in f"{secret!r} {secret}"


@pytest.mark.parametrize("passphrase", ["groene appel fiets regen", "cafe\u0301 crème brûlée 12"])
def test_the_reference_argon2id_gives_the_keys_cryptography_gives(passphrase: str) -> None:
    """Vaults made with cryptography's Argon2id (every vault before this change) open with
    the reference implementation: same RFC 9106 function, same NFC UTF-8 input."""
    salt = os.urandom(16)
    expected = Argon2id(
        salt=salt,
        length=32,
        iterations=DEFAULT_KDF.iterations,
        lanes=DEFAULT_KDF.lanes,
        memory_cost=DEFAULT_KDF.memory_kib,
    ).derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))
    with _passphrase_bytes(passphrase) as material:
        from_text = _argon2id(material, salt, DEFAULT_KDF)
    secret = Secret.from_str(passphrase)
    with _passphrase_bytes(secret) as material:
        from_secret = _argon2id(material, salt, DEFAULT_KDF)
    assert from_text == from_secret == expected


def test_a_slot_made_from_text_opens_with_the_secret_and_the_secret_survives_until_wiped() -> None:
    data_key = new_data_key()
    slot = make_passphrase_slot(data_key, "groene appel fiets regen", DEFAULT_KDF)
    secret = Secret.from_str("groene appel fiets regen")
    assert open_slot(slot, secret) == data_key
    assert held(secret) == "groene appel fiets regen"  # the caller wipes it, not the vault


def test_refused_kdf_parameters_are_refused_for_a_secret_too() -> None:
    data_key = new_data_key()
    slot = make_passphrase_slot(data_key, "groene appel fiets regen", DEFAULT_KDF)
    weak = type(slot)(slot.kind, slot.salt, KdfParams(8, 1, 1), slot.nonce, slot.wrapped_key)
    with pytest.raises(VaultError, match="below the minimum"):
        open_slot(weak, Secret.from_str("groene appel fiets regen"))
