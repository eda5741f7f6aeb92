"""A rough passphrase strength hint (plain Python, no Textual).

Not a security guarantee: Argon2id slows every guess, and a long passphrase of several
ordinary words is both strong and easy to type. The hint nudges towards length.
"""

from __future__ import annotations

import math
import string

MIN_LENGTH = 12


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
    """Long and varied enough to be accepted for a new vault."""
    return strength(passphrase) in ("fair", "strong")
