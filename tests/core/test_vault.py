"""Tests for kindcheck.vault: key slots, recovery keys, record encryption, throttling.

Argon2id at the floor costs a noticeable fraction of a second per derivation, so the passphrase
slot is built once per module and only the tests that must derive do so.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kindcheck import vault
from kindcheck.errors import RecordDamaged, VaultError, WrongPassphrase
from kindcheck.vault import (
    DATA_KEY_BYTES,
    DEFAULT_KDF,
    KdfParams,
    KeySlot,
    RecordCipher,
    UnlockThrottle,
    change_passphrase,
    generate_recovery_key,
    make_passphrase_slot,
    make_recovery_slot,
    new_data_key,
    open_slot,
    parse_recovery_key,
    wipe,
)

# Precomposed "é" (NFC); the same passphrase decomposed is tested below.
PASSPHRASE = "Café lavendel 7 maart paraplu"
FIXED_RECOVERY_KEY = bytes(range(1, 21))


@pytest.fixture(scope="module")
def data_key() -> bytes:
    return new_data_key()


@pytest.fixture(scope="module")
def passphrase_slot(data_key: bytes) -> KeySlot:
    return make_passphrase_slot(data_key, PASSPHRASE)


@pytest.fixture(scope="module")
def recovery() -> tuple[bytes, str]:
    return generate_recovery_key()


@pytest.fixture(scope="module")
def recovery_slot(data_key: bytes, recovery: tuple[bytes, str]) -> KeySlot:
    return make_recovery_slot(data_key, recovery[0])


@pytest.fixture(scope="module")
def cipher(data_key: bytes) -> RecordCipher:
    return RecordCipher(data_key)


@pytest.fixture
def no_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any Argon2id derivation fail the test."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        pytest.fail("Argon2id was called although the parameters should have been refused")

    monkeypatch.setattr(vault, "_argon2id", forbidden)


def assert_no_chained_traceback(error: BaseException) -> None:
    """The error shows alone: no json/base64/cryptography exception chained behind it."""
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[index] ^= mask
    return bytes(changed)


# --------------------------------------------------------------------------------------------
# Data key and KDF parameters


def test_new_data_key_is_random_256_bits() -> None:
    keys = {new_data_key() for _ in range(8)}
    assert len(keys) == 8
    assert all(len(key) == DATA_KEY_BYTES == 32 for key in keys)


def test_default_kdf_is_rfc9106_second_option_and_passes_check() -> None:
    assert (DEFAULT_KDF.memory_kib, DEFAULT_KDF.iterations, DEFAULT_KDF.lanes) == (65536, 3, 4)
    DEFAULT_KDF.check()


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        (KdfParams(65535, 3, 4), "below the minimum"),
        (KdfParams(65536, 2, 4), "below the minimum"),
        (KdfParams(65536, 3, 3), "below the minimum"),
        (KdfParams(8, 1, 1), "below the minimum"),
        (KdfParams(4 * 1024 * 1024 + 1, 3, 4), "above the maximum"),
        (KdfParams(65536, 65, 4), "above the maximum"),
        (KdfParams(65536, 3, 65), "above the maximum"),
        (KdfParams(2**40, 10**9, 4), "above the maximum"),
        (KdfParams(True, 3, 4), "invalid"),  # type: ignore[arg-type]
    ],
)
def test_kdf_check_refuses_out_of_range(params: KdfParams, mentions: str) -> None:
    with pytest.raises(VaultError, match=mentions) as caught:
        params.check()
    assert not isinstance(caught.value, WrongPassphrase)


def test_kdf_check_accepts_the_bounds() -> None:
    KdfParams(4 * 1024 * 1024, 64, 64).check()
    KdfParams(65536, 3, 4).check()


# --------------------------------------------------------------------------------------------
# Passphrase slots (each test here that opens a slot runs one Argon2id derivation)


def test_passphrase_slot_opens_after_json_round_trip(
    passphrase_slot: KeySlot, data_key: bytes
) -> None:
    reloaded = KeySlot.from_json(passphrase_slot.to_json())
    assert reloaded == passphrase_slot
    assert open_slot(reloaded, PASSPHRASE) == data_key


def test_passphrase_is_nfc_normalised(passphrase_slot: KeySlot, data_key: bytes) -> None:
    decomposed = unicodedata.normalize("NFD", PASSPHRASE)
    assert decomposed != PASSPHRASE  # the test means something only if the forms differ
    assert open_slot(passphrase_slot, decomposed) == data_key


def test_wrong_passphrase(passphrase_slot: KeySlot) -> None:
    with pytest.raises(WrongPassphrase) as caught:
        open_slot(passphrase_slot, PASSPHRASE + " ")
    assert str(caught.value) == "wrong passphrase"


@pytest.mark.parametrize("field", ["wrapped_key", "nonce", "salt"])
def test_damaged_passphrase_slot_says_wrong_passphrase(
    passphrase_slot: KeySlot, field: str
) -> None:
    value = getattr(passphrase_slot, field)
    damaged = KeySlot(**{**passphrase_slot.__dict__, field: flip(value, len(value) // 2)})
    with pytest.raises(WrongPassphrase) as caught:
        open_slot(damaged, PASSPHRASE)
    assert str(caught.value) == "wrong passphrase"
    assert_no_chained_traceback(caught.value)


def test_passphrase_slot_refuses_bytes(passphrase_slot: KeySlot, no_argon2: None) -> None:
    with pytest.raises(TypeError):
        open_slot(passphrase_slot, PASSPHRASE.encode())


def test_change_passphrase_rewraps_the_same_key(
    passphrase_slot: KeySlot, data_key: bytes, cipher: RecordCipher
) -> None:
    old_blob = cipher.encrypt_json("sessions", "r1", {"note": "voor de wijziging"})
    new_slot = change_passphrase(passphrase_slot, PASSPHRASE, "nieuwe geheime zin 2025")
    assert new_slot.salt != passphrase_slot.salt
    assert new_slot.wrapped_key != passphrase_slot.wrapped_key
    reopened = open_slot(new_slot, "nieuwe geheime zin 2025")
    assert reopened == data_key
    assert RecordCipher(reopened).decrypt_json("sessions", "r1", old_blob) == {
        "note": "voor de wijziging"
    }
    with pytest.raises(WrongPassphrase):
        open_slot(new_slot, PASSPHRASE)


def test_make_passphrase_slot_refuses_empty_passphrase(data_key: bytes, no_argon2: None) -> None:
    with pytest.raises(VaultError, match="must not be empty"):
        make_passphrase_slot(data_key, "")


# --------------------------------------------------------------------------------------------
# KDF parameters are refused before any derivation


def test_the_argon2_guard_is_on_the_derivation_path(
    passphrase_slot: KeySlot, no_argon2: None
) -> None:
    # Control for the tests below: with valid parameters the patched Argon2id IS reached, so
    # "not reached" in those tests really means the parameters were refused first.
    with pytest.raises(pytest.fail.Exception, match="Argon2id was called"):
        open_slot(passphrase_slot, PASSPHRASE)


@pytest.mark.parametrize(
    "params",
    [
        KdfParams(1024, 3, 4),
        KdfParams(65536, 1, 4),
        KdfParams(65536, 3, 1),
        KdfParams(64 * 1024 * 1024, 3, 4),
        KdfParams(65536, 1000, 4),
        KdfParams(65536, 3, 255),
    ],
)
def test_slot_with_bad_kdf_refused_before_deriving(
    passphrase_slot: KeySlot, params: KdfParams, no_argon2: None
) -> None:
    edited = json.loads(passphrase_slot.to_json())
    edited["kdf"] = {
        "memory_kib": params.memory_kib,
        "iterations": params.iterations,
        "lanes": params.lanes,
    }
    slot = KeySlot.from_json(json.dumps(edited))  # loads: the check belongs to open_slot
    with pytest.raises(VaultError, match="refusing") as caught:
        open_slot(slot, PASSPHRASE)
    assert not isinstance(caught.value, WrongPassphrase)


def test_make_passphrase_slot_refuses_weak_kdf_before_deriving(
    data_key: bytes, no_argon2: None
) -> None:
    with pytest.raises(VaultError, match="below the minimum"):
        make_passphrase_slot(data_key, PASSPHRASE, KdfParams(19456, 2, 1))


# --------------------------------------------------------------------------------------------
# Slot JSON


def test_slot_json_round_trip_and_shape(recovery_slot: KeySlot, passphrase_slot: KeySlot) -> None:
    for slot in (recovery_slot, passphrase_slot):
        document = json.loads(slot.to_json())
        assert document["version"] == 1
        assert document["kind"] == slot.kind
        assert KeySlot.from_json(slot.to_json()) == slot
        assert KeySlot.from_json(slot.to_json().encode()) == slot
    assert json.loads(passphrase_slot.to_json())["kdf"] == {
        "memory_kib": 65536,
        "iterations": 3,
        "lanes": 4,
    }
    assert json.loads(recovery_slot.to_json())["kdf"] is None


def _slot_document(slot: KeySlot) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(slot.to_json())
    return document


MALFORMED_EDITS: list[tuple[str, Any]] = [
    ("version", 2),
    ("version", "1"),
    ("version", None),
    ("kind", "fingerprint"),
    ("salt", "not base64!"),
    ("salt", "AAAA"),  # valid base64, wrong length
    ("salt", 12),
    ("nonce", "@@@@"),
    ("wrapped_key", ""),
    ("kdf", None),  # passphrase slot without parameters
    ("kdf", {"memory_kib": 65536, "iterations": 3}),
    ("kdf", {"memory_kib": "65536", "iterations": 3, "lanes": 4}),
    ("kdf", {"memory_kib": 65536.0, "iterations": 3, "lanes": 4}),
    ("kdf", [65536, 3, 4]),
    ("extra", "field"),
]


@pytest.mark.parametrize(("field", "value"), MALFORMED_EDITS)
def test_malformed_slot_fields_give_vault_error(
    passphrase_slot: KeySlot, field: str, value: Any
) -> None:
    document = _slot_document(passphrase_slot)
    document[field] = value
    with pytest.raises(VaultError) as caught:
        KeySlot.from_json(json.dumps(document))
    assert not isinstance(caught.value, WrongPassphrase)
    assert "key slot" in str(caught.value)
    assert_no_chained_traceback(caught.value)


@pytest.mark.parametrize("missing", ["version", "kind", "salt", "kdf", "nonce", "wrapped_key"])
def test_slot_with_missing_field_gives_vault_error(passphrase_slot: KeySlot, missing: str) -> None:
    document = _slot_document(passphrase_slot)
    del document[missing]
    with pytest.raises(VaultError, match="key slot"):
        KeySlot.from_json(json.dumps(document))


def test_recovery_slot_with_kdf_is_malformed(recovery_slot: KeySlot) -> None:
    document = _slot_document(recovery_slot)
    document["kdf"] = {"memory_kib": 65536, "iterations": 3, "lanes": 4}
    with pytest.raises(VaultError, match="key slot is not valid"):
        KeySlot.from_json(json.dumps(document))


@pytest.mark.parametrize(
    "text", ["", "not json", "[]", "null", "42", '"slot"', "{", "[" * 100_000, b"\xff\xfe"]
)
def test_unreadable_slot_text_gives_vault_error(text: str | bytes) -> None:
    with pytest.raises(VaultError, match="key slot") as caught:
        KeySlot.from_json(text)
    assert_no_chained_traceback(caught.value)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_from_json_never_leaks_other_exceptions(text: str) -> None:
    with contextlib.suppress(VaultError):
        KeySlot.from_json(text)  # anything other than VaultError fails the test


@settings(max_examples=50, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.characters(codec="ascii"))
def test_corrupted_slot_json_is_vault_error_or_equal_slot(
    recovery_slot: KeySlot, position: int, replacement: str
) -> None:
    text = recovery_slot.to_json()
    position %= len(text)
    corrupted = text[:position] + replacement + text[position + 1 :]
    try:
        reloaded = KeySlot.from_json(corrupted)
    except VaultError:
        return
    # A change that still parses (e.g. inside base64 text) yields a *different* slot, which
    # then fails to open rather than opening to a wrong key.
    if reloaded != recovery_slot:
        with pytest.raises(WrongPassphrase):
            open_slot(reloaded, FIXED_RECOVERY_KEY)


# --------------------------------------------------------------------------------------------
# Recovery keys

DISPLAY_FORM = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){8}$")


def test_generate_recovery_key_shape(recovery: tuple[bytes, str]) -> None:
    key, display = recovery
    assert len(key) == 20
    assert DISPLAY_FORM.match(display), display
    assert parse_recovery_key(display) == key
    assert generate_recovery_key()[0] != key


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=20, max_size=20))
def test_recovery_key_display_round_trip(key: bytes) -> None:
    display = vault.format_recovery_key(key)
    assert DISPLAY_FORM.match(display)
    assert parse_recovery_key(display) == key
    assert parse_recovery_key(display.lower()) == key
    assert parse_recovery_key(display.replace("-", " ")) == key
    assert parse_recovery_key(display.replace("-", "")) == key
    assert parse_recovery_key(f"  {display.lower()}\n") == key


def test_recovery_key_confusable_letters() -> None:
    # All-zero key: every data symbol is "0"; digits 0 and 1 also appear in the check group of
    # a key chosen so that both occur.
    key = bytes(20)
    display = vault.format_recovery_key(key)
    typed = display.replace("0", "O")
    assert typed != display
    assert parse_recovery_key(typed) == key
    assert parse_recovery_key(typed.lower()) == key

    ones = bytes([0x08, 0x42, 0x10, 0x84, 0x21] * 4)  # every 5-bit symbol is 1
    display = vault.format_recovery_key(ones)
    assert display.startswith("1111-1111")
    for letter in ("I", "i", "L", "l"):
        assert parse_recovery_key(display.replace("1", letter)) == ones


def test_every_single_substitution_and_swap_is_caught() -> None:
    display = vault.format_recovery_key(FIXED_RECOVERY_KEY).replace("-", "")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    typos: list[str] = []
    for i, original in enumerate(display):
        typos += [display[:i] + other + display[i + 1 :] for other in alphabet if other != original]
    for i in range(len(display)):
        for j in range(i + 1, len(display)):
            if display[i] != display[j]:
                swapped = list(display)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                typos.append("".join(swapped))
    assert len(typos) > 1000
    for typo in typos:
        with pytest.raises(VaultError, match="not a valid recovery key: it contains a typo"):
            parse_recovery_key(typo)


@settings(max_examples=50, deadline=None)
@given(
    key=st.binary(min_size=20, max_size=20),
    position=st.integers(min_value=0, max_value=35),
    shift=st.integers(min_value=1, max_value=31),
)
def test_random_single_substitution_is_caught(key: bytes, position: int, shift: int) -> None:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    display = vault.format_recovery_key(key).replace("-", "")
    replacement = alphabet[(alphabet.index(display[position]) + shift) % 32]
    typo = display[:position] + replacement + display[position + 1 :]
    with pytest.raises(VaultError, match="typo"):
        parse_recovery_key(typo)


@pytest.mark.parametrize(
    ("edit", "mentions"),
    [
        (lambda d: d[:-1], "has 35 letters and digits, expected 36"),
        (lambda d: d + "0", "has 37 letters and digits"),
        (lambda d: d[:-5], "has 32 letters and digits"),
        (lambda d: "U" + d[1:], "character 1 is not"),
        (lambda d: d[:5] + "*" + d[6:], "character 5 is not"),  # 5th after removing the dash
        (lambda d: "", "has 0 letters"),
    ],
)
def test_malformed_recovery_key(edit: Any, mentions: str) -> None:
    display = vault.format_recovery_key(FIXED_RECOVERY_KEY)
    with pytest.raises(VaultError, match="not a valid recovery key") as caught:
        parse_recovery_key(edit(display))
    assert mentions in str(caught.value)
    assert not isinstance(caught.value, WrongPassphrase)


def test_recovery_key_error_does_not_echo_the_key() -> None:
    display = vault.format_recovery_key(FIXED_RECOVERY_KEY)
    typo = display[:-1] + ("0" if display[-1] != "0" else "1")
    with pytest.raises(VaultError) as caught:
        parse_recovery_key(typo)
    for group in display.split("-"):
        assert group not in str(caught.value)


def test_recovery_slot_opens_with_bytes_and_display(
    recovery_slot: KeySlot, recovery: tuple[bytes, str], data_key: bytes
) -> None:
    key, display = recovery
    assert recovery_slot.kdf is None
    assert open_slot(recovery_slot, key) == data_key
    assert open_slot(recovery_slot, display.lower().replace("-", " ")) == data_key


def test_well_formed_but_wrong_recovery_key(recovery_slot: KeySlot) -> None:
    other_key, other_display = generate_recovery_key()
    for secret in (other_key, other_display):
        with pytest.raises(WrongPassphrase) as caught:
            open_slot(recovery_slot, secret)
        assert str(caught.value) == "wrong passphrase"


def test_malformed_recovery_key_is_not_wrong_passphrase(recovery_slot: KeySlot) -> None:
    for secret in ("ABCD-EFGH", b"short"):
        with pytest.raises(VaultError, match="not a valid recovery key") as caught:
            open_slot(recovery_slot, secret)
        assert not isinstance(caught.value, WrongPassphrase)


@pytest.mark.parametrize("field", ["salt", "nonce", "wrapped_key"])
def test_damaged_recovery_slot_says_wrong_passphrase(
    recovery_slot: KeySlot, recovery: tuple[bytes, str], field: str
) -> None:
    value = getattr(recovery_slot, field)
    for index in range(len(value)):
        damaged = KeySlot(**{**recovery_slot.__dict__, field: flip(value, index, 0x80)})
        with pytest.raises(WrongPassphrase, match=r"^wrong passphrase$"):
            open_slot(damaged, recovery[0])


def test_slots_cannot_swap_kind(recovery_slot: KeySlot, recovery: tuple[bytes, str]) -> None:
    # The same wrapped key relabelled as a passphrase slot must not open with anything.
    relabelled = KeySlot(**{**recovery_slot.__dict__, "kind": "passphrase", "kdf": DEFAULT_KDF})
    with pytest.raises(WrongPassphrase):
        open_slot(relabelled, recovery[1])


def test_recovery_slot_never_runs_argon2(
    data_key: bytes, recovery: tuple[bytes, str], no_argon2: None
) -> None:
    slot = make_recovery_slot(data_key, recovery[0])
    assert open_slot(slot, recovery[0]) == data_key


# --------------------------------------------------------------------------------------------
# Record encryption

tables = st.text(min_size=1, max_size=20)
record_ids = st.text(min_size=1, max_size=40)
versions = st.integers(min_value=0, max_value=2**31)


@settings(max_examples=50, deadline=None)
@given(table=tables, record_id=record_ids, plaintext=st.binary(max_size=2000), version=versions)
def test_record_round_trip(
    cipher: RecordCipher, table: str, record_id: str, plaintext: bytes, version: int
) -> None:
    blob = cipher.encrypt(table, record_id, plaintext, version)
    assert len(blob) == 1 + 12 + len(plaintext) + 16
    assert blob[0] == 1
    assert cipher.decrypt(table, record_id, blob, version) == plaintext


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=50, deadline=None)
@given(json_values)
def test_json_round_trip(cipher: RecordCipher, value: Any) -> None:
    blob = cipher.encrypt_json("sessions", "abc", value)
    assert cipher.decrypt_json("sessions", "abc", blob) == value


def test_plaintext_is_not_visible_in_the_blob(cipher: RecordCipher) -> None:
    record = {"naam": "Jansen-de Vries", "geboortedatum": "1984-03-07", "notitie": "één kind"}
    blob = cipher.encrypt_json("clients", "c1", record)
    for text in record.values():
        assert text.encode("utf-8") not in blob
    assert cipher.decrypt_json("clients", "c1", blob) == record


def test_fresh_nonce_per_write(cipher: RecordCipher) -> None:
    blobs = {cipher.encrypt("sessions", "r1", b"same plaintext") for _ in range(20)}
    assert len(blobs) == 20
    assert len({blob[1:13] for blob in blobs}) == 20


def test_every_flipped_byte_is_detected(cipher: RecordCipher) -> None:
    blob = cipher.encrypt("sessions", "r1", b"antwoorden van de kindcheck")
    for index in range(len(blob)):
        for mask in (0x01, 0x80, 0xFF):
            with pytest.raises(RecordDamaged) as caught:
                cipher.decrypt("sessions", "r1", flip(blob, index, mask))
            assert str(caught.value) == "record sessions/r1 is damaged or was moved"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[:-1],
        lambda b: b + b"\x00",
        lambda b: b[:12],
        lambda b: b"",
        lambda b: b[:29],  # header and tag length, but the tag is cut short
        lambda b: bytes([2]) + b[1:],
    ],
)
def test_truncated_or_extended_blob(cipher: RecordCipher, mangle: Any) -> None:
    blob = cipher.encrypt("sessions", "r1", b"x")
    with pytest.raises(RecordDamaged, match="record sessions/r1 is damaged or was moved"):
        cipher.decrypt("sessions", "r1", mangle(blob))


@pytest.mark.parametrize(
    ("table", "record_id", "version"),
    [
        ("sessions", "r2", 1),  # another row
        ("clients", "r1", 1),  # another table
        ("sessions", "r1", 2),  # another format version
        ("Sessions", "r1", 1),
        ("sessions", "r1 ", 1),
    ],
)
def test_moved_blob_is_detected(
    cipher: RecordCipher, table: str, record_id: str, version: int
) -> None:
    blob = cipher.encrypt("sessions", "r1", b"payload", 1)
    with pytest.raises(RecordDamaged, match=f"record {table}/{record_id} is damaged or was moved"):
        cipher.decrypt(table, record_id, blob, version)


def test_associated_data_is_not_plain_concatenation(cipher: RecordCipher) -> None:
    blob = cipher.encrypt("ab", "c", b"payload", 1)
    with pytest.raises(RecordDamaged):
        cipher.decrypt("a", "bc", blob, 1)
    blob = cipher.encrypt("sessions", "r1", b"payload", 12)
    with pytest.raises(RecordDamaged):
        cipher.decrypt("sessions", "r11", blob, 2)


def test_other_data_key_cannot_decrypt(cipher: RecordCipher) -> None:
    blob = cipher.encrypt("sessions", "r1", b"payload")
    with pytest.raises(RecordDamaged):
        RecordCipher(new_data_key()).decrypt("sessions", "r1", blob)


def test_decrypt_json_of_non_json_is_damaged(cipher: RecordCipher) -> None:
    for payload in (b"\xff\xfe", b"not json", b"{"):
        blob = cipher.encrypt("sessions", "r1", payload)
        with pytest.raises(RecordDamaged, match="record sessions/r1 is damaged"):
            cipher.decrypt_json("sessions", "r1", blob)


def test_encrypt_json_is_canonical_utf8(data_key: bytes) -> None:
    cipher = RecordCipher(data_key)
    blob = cipher.encrypt_json("t", "r", {"b": "één", "a": 1})
    assert cipher.decrypt("t", "r", blob) == '{"a":1,"b":"één"}'.encode()


def test_encrypt_json_refuses_nan(cipher: RecordCipher) -> None:
    with pytest.raises(ValueError):
        cipher.encrypt_json("t", "r", {"score": float("nan")})


@pytest.mark.parametrize("bad_key", [b"", b"x" * 16, b"x" * 31, b"x" * 33])
def test_record_cipher_needs_256_bit_key(bad_key: bytes) -> None:
    with pytest.raises(VaultError, match="32 bytes"):
        RecordCipher(bad_key)


@pytest.mark.parametrize(
    ("table", "record_id", "version"),
    [("", "r1", 1), ("t", "", 1), ("t", "r1", -1), ("t", "r1", True)],
)
def test_bad_record_address_is_a_programming_error(
    cipher: RecordCipher, table: str, record_id: str, version: int
) -> None:
    with pytest.raises(ValueError):
        cipher.encrypt(table, record_id, b"x", version)


# --------------------------------------------------------------------------------------------
# Throttle and wipe


def test_unlock_throttle_grows_caps_and_resets() -> None:
    slept: list[float] = []
    throttle = UnlockThrottle(sleep=slept.append)
    delays = [throttle.failed() for _ in range(10)]
    assert delays == [0, 1, 2, 4, 8, 16, 30, 30, 30, 30]
    assert slept == delays[1:]  # no call at all for the zero delay
    assert throttle.failures == 10
    throttle.succeeded()
    assert throttle.failures == 0
    slept.clear()
    assert [throttle.failed() for _ in range(3)] == [0, 1, 2]
    assert slept == [1, 2]


def test_unlock_throttle_handles_many_failures() -> None:
    throttle = UnlockThrottle(sleep=lambda _: None)
    assert throttle.delay_for(10**9) == 30


def test_wipe_zeroes_in_place() -> None:
    secret = bytearray(b"geheime sleutel")
    view = memoryview(secret)
    wipe(secret)
    assert secret == bytearray(len(b"geheime sleutel"))
    assert bytes(view) == bytes(len(secret))  # same buffer, not a replacement
    empty = bytearray()
    wipe(empty)
    assert empty == bytearray()


def test_vault_imports_no_ui_or_database() -> None:
    code = (
        "import sys, kindcheck.vault; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'textual', 'sqlmodel', 'sqlalchemy', 'sqlite3', 'rich'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
