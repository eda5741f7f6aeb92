"""The recovery key: 160 random bits written as 36 Crockford base32 symbols in groups of
four, the last group a check value that catches every single typo and every swap of two
symbols with certainty (a key typed wrong is refused before any key derivation is tried).
"""

from __future__ import annotations

import secrets
from typing import Final

from kindcheck.errors import VaultError

RECOVERY_KEY_BYTES: Final = 20  # 160 bits
# Crockford base32: no I, L, O or U, so nothing reads as another symbol or spells words.
_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_VALUE: Final = {symbol: value for value, symbol in enumerate(_CROCKFORD)}
_CONFUSABLES: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DATA_SYMBOLS: Final = RECOVERY_KEY_BYTES * 8 // 5  # 32 symbols carry the 160 bits exactly
_CHECK_SYMBOLS: Final = 4  # one extra group of 4 holds a 20-bit check value
_GROUP: Final = 4
RECOVERY_KEY_SYMBOLS: Final = _DATA_SYMBOLS + _CHECK_SYMBOLS  # 36, shown as 9 groups of 4
# The check value is a polynomial over the prime field GF(p), evaluated at a fixed point r:
#   check = sum(symbol_i * r**(i+1)) mod p.
# Because p is prime and r has order far above 36, changing one symbol, or swapping any two
# different symbols, always changes the check: those typos are detected with certainty, not
# just with high probability as a truncated hash would give. Other typos slip through with a
# chance of about one in a million and then simply fail to open the slot.
_CHECK_PRIME: Final = 2**20 - 3  # 1048573, prime, fits in four base32 symbols
_CHECK_POINT: Final = 648117


def _check_value(symbols: list[int]) -> int:
    check = 0
    for value in reversed(symbols):  # Horner's rule for sum(v_i * r**(i+1))
        check = (check + value) * _CHECK_POINT % _CHECK_PRIME
    return check


def _to_symbols(number: int, count: int) -> list[int]:
    return [(number >> (5 * (count - 1 - i))) & 31 for i in range(count)]


def _check_recovery_bytes(recovery_key: object) -> None:
    if not isinstance(recovery_key, bytes) or len(recovery_key) != RECOVERY_KEY_BYTES:
        raise VaultError("not a valid recovery key")


def format_recovery_key(recovery_key: bytes) -> str:
    """Return the display form: 9 groups of 4 Crockford base32 symbols, the last a check group."""
    _check_recovery_bytes(recovery_key)
    data = _to_symbols(int.from_bytes(recovery_key, "big"), _DATA_SYMBOLS)
    symbols = data + _to_symbols(_check_value(data), _CHECK_SYMBOLS)
    text = "".join(_CROCKFORD[value] for value in symbols)
    return "-".join(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))


def generate_recovery_key() -> tuple[bytes, str]:
    """Return a new random 160-bit recovery key and its display form."""
    recovery_key = secrets.token_bytes(RECOVERY_KEY_BYTES)
    return recovery_key, format_recovery_key(recovery_key)


def parse_recovery_key(text: str) -> bytes:
    """Read a recovery key as a person typed it.

    Case, spaces and dashes do not matter; O reads as 0, I and L as 1. Raises VaultError
    ("not a valid recovery key: ...") for a malformed key or a typo caught by the check group.
    The message never repeats the characters typed: they are (nearly) a secret.
    """
    if not isinstance(text, str):
        raise VaultError("not a valid recovery key")
    compact = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    compact = compact.upper().translate(_CONFUSABLES)
    for position, symbol in enumerate(compact, start=1):
        if symbol not in _CROCKFORD_VALUE:
            raise VaultError(
                f"not a valid recovery key: character {position} is not a letter or digit "
                "used in recovery keys"
            )
    if len(compact) != RECOVERY_KEY_SYMBOLS:
        raise VaultError(
            f"not a valid recovery key: it has {len(compact)} letters and digits, "
            f"expected {RECOVERY_KEY_SYMBOLS} ({RECOVERY_KEY_SYMBOLS // _GROUP} groups of {_GROUP})"
        )
    values = [_CROCKFORD_VALUE[symbol] for symbol in compact]
    data, check = values[:_DATA_SYMBOLS], values[_DATA_SYMBOLS:]
    check_number = 0
    for value in check:
        check_number = check_number << 5 | value
    if check_number != _check_value(data):
        raise VaultError(
            "not a valid recovery key: it contains a typo (the check group does not match)"
        )
    number = 0
    for value in data:
        number = number << 5 | value
    return number.to_bytes(RECOVERY_KEY_BYTES, "big")
