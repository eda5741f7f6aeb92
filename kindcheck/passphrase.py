"""The one passphrase policy: how long a new passphrase must be, and a rough strength hint.

Used by the store (which refuses a short passphrase whoever asks), the command line and the
screens, so the three can never disagree about the minimum.

The hint is not a security guarantee: Argon2id slows every guess, and a long passphrase of
several ordinary words is both strong and easy to type. It nudges towards length.
"""

from __future__ import annotations

import math
import string
import unicodedata
from typing import Final

from kindcheck.errors import VaultError

MIN_LENGTH: Final = 12


def check_new_passphrase(passphrase: str) -> None:
    """VaultError unless ``passphrase`` is acceptable as a new passphrase (length only: a
    strength meter would need a word list, and Argon2id already slows guessing)."""
    if not isinstance(passphrase, str):
        raise VaultError("a passphrase is text")
    length = len(unicodedata.normalize("NFC", passphrase))
    if length < MIN_LENGTH:
        raise VaultError.from_catalog("error.passphrase_short", minimum=MIN_LENGTH, length=length)


def strength(passphrase: str) -> str:
    """One of "empty", "too_short", "weak", "fair", "strong" (message keys under ui.pass)."""
    if not passphrase:
        return "empty"
    if len(passphrase) < MIN_LENGTH:
        return "too_short"
    pool = 0
    if any(ch in string.ascii_lowercase for ch in passphrase):
        pool += 26
    if any(ch in string.ascii_uppercase for ch in passphrase):
        pool += 26
    if any(ch in string.digits for ch in passphrase):
        pool += 10
    if any(not ch.isalnum() for ch in passphrase):
        pool += 33
    if any(ord(ch) > 127 for ch in passphrase):
        pool += 50
    # Repeats ("aaaaaaaaaaaa", "abcabcabcabc") add little: count distinct characters.
    distinct = len(set(passphrase))
    bits = min(len(passphrase), distinct * 2) * math.log2(max(pool, 2))
    words = len([part for part in passphrase.split() if len(part) >= 3])
    if words >= 4:
        bits = max(bits, words * 11.0)  # about a 2,000-word vocabulary per word
    if bits < 50:
        return "weak"
    if bits < 70:
        return "fair"
    return "strong"


def acceptable(passphrase: str) -> bool:
    """Long and varied enough to be accepted for a new vault (the screens' stricter rule; the
    store and the command line check the length only)."""
    return strength(passphrase) in ("fair", "strong")
