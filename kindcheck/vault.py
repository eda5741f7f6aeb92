"""Key derivation, key slots and record encryption: the crypto of the vault, and nothing else.

A random 256-bit *data key* encrypts every record with AES-256-GCM. The data key is only ever
stored wrapped, in *key slots*: one per passphrase (Argon2id, then HKDF) and one for the recovery
key (HKDF only). Changing the passphrase writes a new slot around the same data key; records are
never re-encrypted. This module knows nothing about the database: the store decides where slots
and blobs live. See SECURITY.md ("Encryption at rest") for the reasoning behind each choice.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import secrets
import struct
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Final, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kindcheck.errors import RecordDamaged, VaultError, WrongPassphrase
from kindcheck.passphrase import Secret
from kindcheck.recovery_key import (
    RECOVERY_KEY_BYTES,
    _check_recovery_bytes,
    format_recovery_key,
    generate_recovery_key,
    parse_recovery_key,
)
from kindcheck.text import terminal_safe

__all__ = [
    "DATA_KEY_BYTES",
    "DEFAULT_KDF",
    "RECOVERY_KEY_BYTES",
    "KdfParams",
    "KeySlot",
    "RecordCipher",
    "RecordDecryption",
    "UnlockThrottle",
    "change_passphrase",
    "format_recovery_key",
    "generate_recovery_key",
    "make_passphrase_slot",
    "make_recovery_slot",
    "new_data_key",
    "open_slot",
    "parse_recovery_key",
    "wipe",
]

DATA_KEY_BYTES: Final = 32
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12  # 96 bits: the nonce size GCM is specified and analysed for
TAG_BYTES: Final = 16
WRAPPED_KEY_BYTES: Final = DATA_KEY_BYTES + TAG_BYTES

SLOT_VERSION: Final = 1
PASSPHRASE: Final = "passphrase"
RECOVERY: Final = "recovery"
SLOT_KINDS: Final = (PASSPHRASE, RECOVERY)

_PASSPHRASE_INFO: Final = b"kindcheck passphrase slot v1"
_RECOVERY_INFO: Final = b"kindcheck recovery slot v1"

# The first byte of every record blob. Distinct from a record's *format version* (the shape of
# its plaintext): this one says how the blob itself is laid out and encrypted.
BLOB_VERSION: Final = 1
_BLOB_HEADER_BYTES: Final = 1 + NONCE_BYTES
_MIN_BLOB_BYTES: Final = _BLOB_HEADER_BYTES + TAG_BYTES


def new_data_key() -> bytes:
    """Return a fresh random 256-bit data key."""
    return secrets.token_bytes(DATA_KEY_BYTES)


# --------------------------------------------------------------------------------------------
# Key derivation parameters


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters, stored with each passphrase slot."""

    memory_kib: int
    iterations: int
    lanes: int

    # The floor is RFC 9106's second recommended option. Slots are read from disk, so a slot
    # edited to weaker parameters must not silently weaken the vault, and one edited to absurd
    # parameters must not make unlocking eat all memory or hang for hours: both are refused.
    MIN_MEMORY_KIB: ClassVar[int] = 64 * 1024  # 64 MiB
    MIN_ITERATIONS: ClassVar[int] = 3
    MIN_LANES: ClassVar[int] = 4
    MAX_MEMORY_KIB: ClassVar[int] = 4 * 1024 * 1024  # 4 GiB
    MAX_ITERATIONS: ClassVar[int] = 64
    MAX_LANES: ClassVar[int] = 64

    def check(self) -> None:
        """Raise VaultError unless the parameters are within the accepted range.

        Called before any derivation, so refusing costs nothing.
        """
        limits = (
            ("memory", self.memory_kib, self.MIN_MEMORY_KIB, self.MAX_MEMORY_KIB, " KiB"),
            ("iterations", self.iterations, self.MIN_ITERATIONS, self.MAX_ITERATIONS, ""),
            ("lanes", self.lanes, self.MIN_LANES, self.MAX_LANES, ""),
        )
        for name, value, low, high, unit in limits:
            if not _is_int(value):
                raise VaultError(f"key slot has an invalid Argon2id {name} setting")
            if value < low:
                raise VaultError(
                    f"key slot asks for Argon2id {name} {value}{unit}, below the minimum "
                    f"{low}{unit}; refusing to use a weakened key slot"
                )
            if value > high:
                raise VaultError(
                    f"key slot asks for Argon2id {name} {value}{unit}, above the maximum "
                    f"{high}{unit}; refusing to use it"
                )


DEFAULT_KDF: Final = KdfParams(memory_kib=65536, iterations=3, lanes=4)


def _is_int(value: object) -> bool:
    # bool is a subclass of int; `true` in a slot file is not a cost parameter.
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# Key slots


@dataclass(frozen=True)
class KeySlot:
    """The data key wrapped under one passphrase or the recovery key."""

    kind: str
    salt: bytes
    kdf: KdfParams | None
    nonce: bytes
    wrapped_key: bytes

    def __post_init__(self) -> None:
        # Structural checks only. The KDF cost range is checked by open_slot, just before
        # deriving, so a slot with absurd parameters can still be loaded, listed and reported.
        if self.kind not in SLOT_KINDS:
            raise VaultError("key slot is not valid: unknown kind")
        if self.kdf is not None and not isinstance(self.kdf, KdfParams):
            raise VaultError("key slot is not valid: malformed KDF settings")
        if (self.kind == PASSPHRASE) != (self.kdf is not None):
            raise VaultError(
                "key slot is not valid: a passphrase slot needs KDF settings, "
                "a recovery slot has none"
            )
        for name, value, size in (
            ("salt", self.salt, SALT_BYTES),
            ("nonce", self.nonce, NONCE_BYTES),
            ("wrapped key", self.wrapped_key, WRAPPED_KEY_BYTES),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise VaultError(f"key slot is not valid: the {name} must be {size} bytes")

    def to_json(self) -> str:
        """Serialise to a small JSON document (bytes as base64)."""
        document: dict[str, Any] = {
            "version": SLOT_VERSION,
            "kind": self.kind,
            "salt": _b64(self.salt),
            "kdf": None
            if self.kdf is None
            else {
                "memory_kib": self.kdf.memory_kib,
                "iterations": self.kdf.iterations,
                "lanes": self.kdf.lanes,
            },
            "nonce": _b64(self.nonce),
            "wrapped_key": _b64(self.wrapped_key),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> KeySlot:
        """Parse what to_json wrote; anything else raises VaultError with a readable message."""
        try:
            document = json.loads(text)
        except (ValueError, TypeError, RecursionError):
            # `from None`: the json module's traceback and message say nothing useful to a person.
            raise VaultError("key slot is not valid: it is not readable JSON") from None
        if not isinstance(document, dict):
            raise VaultError("key slot is not valid: expected a JSON object")
        version = document.get("version")
        if not _is_int(version):
            raise VaultError("key slot is not valid: its version is missing")
        if version != SLOT_VERSION:
            raise VaultError(
                f"key slot version {version} is not supported by this version of Kindcheck"
            )
        expected = {"version", "kind", "salt", "kdf", "nonce", "wrapped_key"}
        if set(document) != expected:
            raise VaultError("key slot is not valid: unexpected or missing fields")
        kind = document["kind"]
        if kind not in SLOT_KINDS:
            raise VaultError("key slot is not valid: unknown kind")
        return cls(
            kind=kind,
            salt=_unb64(document["salt"], "salt"),
            kdf=_kdf_from_json(document["kdf"]),
            nonce=_unb64(document["nonce"], "nonce"),
            wrapped_key=_unb64(document["wrapped_key"], "wrapped key"),
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise VaultError(f"key slot is not valid: the {name} is not text")
    try:
        # validate=True: reject stray characters instead of silently skipping them.
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        raise VaultError(f"key slot is not valid: the {name} is not base64") from None


def _kdf_from_json(value: object) -> KdfParams | None:
    if value is None:
        return None
    fields = ("memory_kib", "iterations", "lanes")
    if not isinstance(value, dict) or set(value) != set(fields):
        raise VaultError("key slot is not valid: malformed KDF settings")
    if not all(_is_int(value[name]) for name in fields):
        raise VaultError("key slot is not valid: KDF settings must be whole numbers")
    return KdfParams(value["memory_kib"], value["iterations"], value["lanes"])


def _slot_associated_data(kind: str, kdf: KdfParams | None) -> bytes:
    # Binds the wrapped key to its slot kind, slot format version and cost parameters, so a
    # wrapped key cannot be replayed under another kind or relabelled parameters. (Salt and
    # parameters already change the derived key; binding them here is belt and braces.)
    cost = None if kdf is None else [kdf.memory_kib, kdf.iterations, kdf.lanes]
    return json.dumps(
        {"kdf": cost, "kind": kind, "purpose": "kindcheck key slot", "version": SLOT_VERSION},
        sort_keys=True,
        separators=(",", ":"),
    ).encode("ascii")


def _encode_passphrase(passphrase: str) -> bytes:
    if not isinstance(passphrase, str):
        raise TypeError("a passphrase is text (str)")
    # NFC: the same passphrase can arrive as different code points depending on keyboard,
    # input method and OS (macOS tends to produce decomposed "e" + combining accent, Windows the
    # precomposed "é"). Without normalising, a clinician moving laptops would be locked out.
    # NFC rather than NFKC, as RFC 8265 (OpaqueString) does: NFKC would fold distinct
    # characters together ("ﬁ" -> "fi", "²" -> "2"), changing what the person chose.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


@contextlib.contextmanager
def _passphrase_bytes(passphrase: str | Secret) -> Iterator[bytearray | memoryview]:
    """The passphrase's NFC UTF-8 bytes for the key derivation, in a buffer that is wiped
    after the ``with`` block. A :class:`Secret` of ASCII characters (NFC leaves those as they
    are) is read in place, so no copy of it is made at all; a ``str``, or a Secret with other
    characters, is normalised into a new ``bytes`` first, which Python cannot wipe
    (SECURITY.md, "The passphrase in memory")."""
    if isinstance(passphrase, Secret) and passphrase.is_ascii:
        with passphrase.utf8() as data:
            yield data
        return
    if isinstance(passphrase, Secret):
        with passphrase.utf8() as data:
            passphrase = bytes(data).decode("utf-8", "surrogatepass")
    material = bytearray(_encode_passphrase(passphrase))
    try:
        yield material
    finally:
        wipe(material)


# argon2.h: the result of a derivation that worked, and no special flags (the caller wipes the
# passphrase itself).
_ARGON2_OK: Final = 0
_ARGON2_DEFAULT_FLAGS: Final = 0


def _argon2id(material: bytearray | memoryview, salt: bytes, kdf: KdfParams) -> bytes:
    """Argon2id (RFC 9106, version 1.3) of ``material``, 32 bytes, with the reference
    implementation (argon2-cffi), which reads the passphrase where it lies and keeps no copy
    of it. (cryptography's Argon2id goes through OpenSSL's parameter builder, which copies the
    passphrase into a heap block it frees without clearing: a whole copy in freed memory after
    every unlock. The two give the same key; tests/core/test_secret.py compares them.)"""
    from argon2.low_level import ARGON2_VERSION, Type, core, error_to_str, ffi

    output = bytearray(32)
    with memoryview(material) as view:
        # The C buffers point into ``output``, the passphrase and the salt where they lie;
        # they are kept until the derivation is done, then let go before the view is released.
        buffers = (
            ffi.from_buffer("uint8_t[]", output),
            ffi.from_buffer("uint8_t[]", view),
            ffi.from_buffer("uint8_t[]", salt),
        )
        context = ffi.new(
            "argon2_context *",
            {
                "out": buffers[0],
                "outlen": len(output),
                "pwd": buffers[1],
                "pwdlen": len(view),
                "salt": buffers[2],
                "saltlen": len(salt),
                "secret": ffi.NULL,
                "secretlen": 0,
                "ad": ffi.NULL,
                "adlen": 0,
                "t_cost": kdf.iterations,
                "m_cost": kdf.memory_kib,
                "lanes": kdf.lanes,
                "threads": kdf.lanes,
                "version": ARGON2_VERSION,
                "allocate_cbk": ffi.NULL,
                "free_cbk": ffi.NULL,
                "flags": _ARGON2_DEFAULT_FLAGS,
            },
        )
        result = core(context, Type.ID.value)
        del context, buffers
    if result != _ARGON2_OK:
        raise VaultError(f"the key could not be derived (Argon2: {error_to_str(result)})")
    try:
        return bytes(output)
    finally:
        wipe(output)


def _passphrase_wrapping_key(passphrase: str | Secret, salt: bytes, kdf: KdfParams) -> bytes:
    kdf.check()  # before deriving: never spend memory or time on refused parameters
    with _passphrase_bytes(passphrase) as material:
        stretched = _argon2id(material, salt, kdf)
    # HKDF separates the Argon2 output from the key actually used, with a purpose label, so a
    # future slot version can derive a different key from the same expensive Argon2 work.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PASSPHRASE_INFO).derive(
        stretched
    )


def _recovery_wrapping_key(recovery_key: bytes, salt: bytes) -> bytes:
    # No Argon2 here: the recovery key is 160 random bits, far beyond any guessing attack, so
    # slowing each guess down buys nothing. HKDF with a per-slot salt is enough to turn it into
    # a uniformly random AES key that is unique to this slot.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_RECOVERY_INFO).derive(
        recovery_key
    )


def _check_data_key(data_key: bytes) -> None:
    if not isinstance(data_key, bytes) or len(data_key) != DATA_KEY_BYTES:
        raise VaultError(f"the data key must be {DATA_KEY_BYTES} bytes")


def _wrap(
    kind: str, kdf: KdfParams | None, salt: bytes, wrapping_key: bytes, data_key: bytes
) -> KeySlot:
    nonce = secrets.token_bytes(NONCE_BYTES)
    wrapped = AESGCM(wrapping_key).encrypt(nonce, data_key, _slot_associated_data(kind, kdf))
    return KeySlot(kind=kind, salt=salt, kdf=kdf, nonce=nonce, wrapped_key=wrapped)


def make_passphrase_slot(data_key: bytes, passphrase: str, kdf: KdfParams = DEFAULT_KDF) -> KeySlot:
    """Wrap the data key under a passphrase (Argon2id + HKDF + AES-256-GCM)."""
    _check_data_key(data_key)
    if not isinstance(passphrase, str) or passphrase == "":
        raise VaultError("the passphrase must not be empty")
    salt = secrets.token_bytes(SALT_BYTES)
    wrapping_key = _passphrase_wrapping_key(passphrase, salt, kdf)
    return _wrap(PASSPHRASE, kdf, salt, wrapping_key, data_key)


def make_recovery_slot(data_key: bytes, recovery_key: bytes) -> KeySlot:
    """Wrap the data key under the recovery key (HKDF + AES-256-GCM)."""
    _check_data_key(data_key)
    _check_recovery_bytes(recovery_key)
    salt = secrets.token_bytes(SALT_BYTES)
    return _wrap(RECOVERY, None, salt, _recovery_wrapping_key(recovery_key, salt), data_key)


def open_slot(slot: KeySlot, secret: str | bytes | Secret) -> bytes:
    """Return the data key from a slot.

    A passphrase slot takes the passphrase (str, or a :class:`~kindcheck.passphrase.Secret`
    as typed into the app). A recovery slot takes the 20-byte recovery
    key or its display form (str). Raises WrongPassphrase when the secret does not open the
    slot or the slot is damaged (the two are indistinguishable, and saying which would help an
    attacker); VaultError for refused KDF parameters or a malformed recovery key.
    """
    if slot.kind == PASSPHRASE:
        assert slot.kdf is not None  # guaranteed by KeySlot.__post_init__
        if not isinstance(secret, str | Secret):
            raise TypeError("a passphrase slot is opened with the passphrase (str or Secret)")
        wrapping_key = _passphrase_wrapping_key(secret, slot.salt, slot.kdf)
    else:
        if isinstance(secret, Secret):
            raise TypeError("a recovery slot is opened with the recovery key")
        recovery_key = parse_recovery_key(secret) if isinstance(secret, str) else secret
        _check_recovery_bytes(recovery_key)
        wrapping_key = _recovery_wrapping_key(recovery_key, slot.salt)
    try:
        data_key = AESGCM(wrapping_key).decrypt(
            slot.nonce, slot.wrapped_key, _slot_associated_data(slot.kind, slot.kdf)
        )
    except InvalidTag:
        raise WrongPassphrase() from None
    if len(data_key) != DATA_KEY_BYTES:  # cannot happen with an authentic slot
        raise WrongPassphrase()
    return data_key


def change_passphrase(
    slot: KeySlot, old_passphrase: str, new_passphrase: str, kdf: KdfParams = DEFAULT_KDF
) -> KeySlot:
    """Return a new passphrase slot around the same data key; records stay as they are."""
    data_key = open_slot(slot, old_passphrase)
    return make_passphrase_slot(data_key, new_passphrase, kdf)


# --------------------------------------------------------------------------------------------
# Records


_LENGTH: Final = struct.Struct(">I")


def _length_prefixed(*fields: bytes) -> bytes:
    # Each field as a 4-byte big-endian length, then its bytes: ("ab", "c") and ("a", "bc")
    # give different associated data, which plain concatenation would not.
    return b"".join(struct.pack(">I", len(field)) + field for field in fields)


@functools.lru_cache(maxsize=64)
def _ad_table(table: str) -> bytes:
    # The associated data's fixed start and its table part: the same for every record of a
    # table, so made once (every record read builds its associated data).
    return _length_prefixed(b"kindcheck record", bytes([BLOB_VERSION]), table.encode("utf-8"))


@functools.lru_cache(maxsize=16)
def _ad_version(format_version: int) -> bytes:
    return _length_prefixed(str(format_version).encode("ascii"))


def _shown(text: str) -> str:
    # An id as it is, but without control characters or line breaks: messages are one line.
    return " ".join(terminal_safe(text).splitlines())


class RecordCipher:
    """Encrypts and decrypts records with the data key (AES-256-GCM, associated data per row)."""

    def __init__(self, data_key: bytes) -> None:
        _check_data_key(data_key)
        # The key lives on inside AESGCM (Rust-side memory we cannot wipe); dropping this object
        # is the way to forget it.
        self._aead = AESGCM(data_key)
        self._openers: dict[tuple[str, int], Callable[[str, bytes], bytes]] = {}

    @staticmethod
    def _associated_data(table: str, record_id: str, format_version: int) -> bytes:
        if not isinstance(table, str) or not table:
            raise ValueError("table must be a non-empty str")
        if not isinstance(record_id, str) or not record_id:
            raise ValueError("record_id must be a non-empty str")
        if not _is_int(format_version) or format_version < 0:
            raise ValueError("format_version must be a non-negative int")
        return (
            _ad_table(table)
            + _length_prefixed(record_id.encode("utf-8"))
            + _ad_version(format_version)
        )

    def encrypt(
        self, table: str, record_id: str, plaintext: bytes, format_version: int = 1
    ) -> bytes:
        """Return version byte + 12-byte random nonce + ciphertext and tag."""
        associated_data = self._associated_data(table, record_id, format_version)
        # A fresh random nonce on every write, never a counter or the row id: those repeat after
        # a restore from backup, and a repeated (key, nonce) pair breaks GCM completely.
        nonce = secrets.token_bytes(NONCE_BYTES)
        return bytes([BLOB_VERSION]) + nonce + self._aead.encrypt(nonce, plaintext, associated_data)

    def decrypt(self, table: str, record_id: str, blob: bytes, format_version: int = 1) -> bytes:
        """Return the plaintext; RecordDamaged if the blob was altered, truncated or moved."""
        associated_data = self._associated_data(table, record_id, format_version)
        blob = bytes(blob)
        if len(blob) < _MIN_BLOB_BYTES or blob[0] != BLOB_VERSION:
            raise _damaged(table, record_id)
        nonce = blob[1:_BLOB_HEADER_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[_BLOB_HEADER_BYTES:], associated_data)
        except InvalidTag:
            # The message is made only now: cleaning the ids for it costs several times the
            # decryption itself, on every record of a long read.
            raise _damaged(table, record_id) from None

    def opener(self, table: str, format_version: int) -> Callable[[str, bytes], bytes]:
        """:meth:`decrypt` for the records of one table and format (``open(record_id,
        blob)``): what is the same for all of them is done once, and kept (a report opens one
        small record per session)."""
        if not _is_int(format_version):
            raise ValueError("format_version must be a non-negative int")
        found = self._openers.get((table, format_version))
        if found is None:
            found = self._openers[table, format_version] = self._make_opener(table, format_version)
        return found

    def _make_opener(self, table: str, format_version: int) -> Callable[[str, bytes], bytes]:
        self._associated_data(table, "-", format_version)  # refuses a bad table or version
        prefix, suffix = _ad_table(table), _ad_version(format_version)
        decrypt = self._aead.decrypt

        def open_record(record_id: str, blob: bytes) -> bytes:
            ident = record_id.encode("utf-8")
            if not ident or len(blob) < _MIN_BLOB_BYTES or blob[0] != BLOB_VERSION:
                raise _damaged(table, record_id)
            associated_data = prefix + _LENGTH.pack(len(ident)) + ident + suffix
            try:
                nonce, sealed = blob[1:_BLOB_HEADER_BYTES], blob[_BLOB_HEADER_BYTES:]
                return decrypt(nonce, sealed, associated_data)
            except InvalidTag:
                raise _damaged(table, record_id) from None

        return open_record

    def decryption(self, table: str, format_version: int) -> RecordDecryption:
        """What :meth:`opener` does for one record, in parts, for a reader that opens a great
        many records of one table and format in its own tight loop (a report's facts records:
        one call less per record, and no message made for a record that is only skipped)."""
        self._associated_data(table, "-", format_version)  # refuses a bad table or version
        return RecordDecryption(
            self._aead.decrypt, _ad_table(table), _LENGTH.pack, _ad_version(format_version)
        )

    def encrypt_json(self, table: str, record_id: str, obj: Any, format_version: int = 1) -> bytes:
        """Encrypt a JSON-serialisable value (UTF-8, sorted keys, no NaN)."""
        text = json.dumps(
            obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
        )
        return self.encrypt(table, record_id, text.encode("utf-8"), format_version)

    def decrypt_json(self, table: str, record_id: str, blob: bytes, format_version: int = 1) -> Any:
        """Decrypt and parse what encrypt_json wrote."""
        plaintext = self.decrypt(table, record_id, blob, format_version)
        try:
            return json.loads(plaintext.decode("utf-8"))
        except (ValueError, RecursionError):
            raise _damaged(table, record_id) from None


class RecordDecryption(NamedTuple):
    """A record of one table and format opened in parts. The blob is :data:`BLOB_VERSION`
    (one byte, checked by the reader: it is not authenticated), the nonce
    (:data:`NONCE_BYTES`), then the ciphertext with its tag; the associated data is
    ``associated_data(record_id)``: ``prefix + id_length(len(id)) + id + suffix`` of the id's
    UTF-8, as :meth:`RecordCipher.decrypt` makes it; ``decrypt(nonce, ciphertext,
    associated_data)`` gives the plaintext or raises InvalidTag."""

    decrypt: Callable[[bytes, bytes, bytes], bytes]
    prefix: bytes  # the table's part of the associated data
    id_length: Callable[[int], bytes]
    suffix: bytes  # the format's part

    def associated_data(self, record_id: str) -> bytes:
        ident = record_id.encode("utf-8")
        return self.prefix + self.id_length(len(ident)) + ident + self.suffix


def _damaged(table: str, record_id: str) -> RecordDamaged:
    return RecordDamaged(f"record {_shown(table)}/{_shown(record_id)} is damaged or was moved")


# --------------------------------------------------------------------------------------------
# Unlock throttling and wiping


class UnlockThrottle:
    """A growing pause after repeated failed unlocks in one process.

    Argon2id already makes each guess cost about 0.2 s; this adds a human-scale delay so that
    someone at an unattended laptop cannot try passphrases quickly through the UI. It does not
    stop an attacker who copies the vault file (that is what Argon2id is for).
    """

    MAX_DELAY: ClassVar[float] = 30.0

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep
        self._failures = 0

    @property
    def failures(self) -> int:
        """Failures since the last success."""
        return self._failures

    def delay_for(self, failures: int) -> float:
        """Seconds to wait after the given number of consecutive failures: 0, 1, 2, 4 ... 30."""
        if failures <= 1:
            return 0.0
        # Cap the exponent too, so a huge failure count cannot build a huge integer.
        return min(float(2 ** min(failures - 2, 16)), self.MAX_DELAY)

    def failed(self) -> float:
        """Record a failure, wait the delay it earns, and return that delay."""
        self._failures += 1
        delay = self.delay_for(self._failures)
        if delay > 0:
            self._sleep(delay)
        return delay

    def succeeded(self) -> None:
        """Reset after a successful unlock."""
        self._failures = 0


def wipe(buf: bytearray) -> None:
    """Overwrite a mutable buffer with zeros, best effort.

    Only mutable buffers can be wiped. Python cannot guarantee erasure of secrets: immutable
    bytes and str objects (a passphrase as typed, a key returned by a library) cannot be
    overwritten, copies may exist wherever they were passed, and freed memory is not cleared.
    Use this to shorten the life of copies we control, not as a guarantee.
    """
    buf[:] = bytes(len(buf))  # same length: overwrites in place, no reallocation
