"""The one passphrase policy: how long a new passphrase must be, and a rough strength hint.

Used by the store (which refuses a short passphrase whoever asks), the command line and the
screens, so the three can never disagree about the minimum.

The hint is not a security guarantee: Argon2id slows every guess, and a long passphrase of
several ordinary words is both strong and easy to type. It nudges towards length.

:class:`Secret` holds a passphrase as it is typed into the app: its UTF-8 bytes in one buffer
that is overwritten with zeros once it has been used, so no whole copy of it stays in the
process's memory after an unlock (SECURITY.md, "The passphrase in memory", says what remains).
"""

from __future__ import annotations

import contextlib
import math
import string
import unicodedata
from collections.abc import Iterator
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


SECRET_CAPACITY: Final = 4096
"""Bytes a :class:`Secret` holds at most (1,024 characters of four UTF-8 bytes each)."""


class Secret:
    """A passphrase as typed: its UTF-8 bytes in one buffer of fixed size, edited in place.

    Python's ``str`` and ``bytes`` cannot be overwritten, and every edit of a string makes a
    new one, so a passphrase kept as text leaves copies of itself (and of every prefix of it)
    in freed memory, where a memory dump (a hibernation file, swap, a crash dump) finds them.
    This buffer is allocated once at its full size, so editing never moves it; :meth:`wipe`
    overwrites it with zeros. Key derivation reads it in place (:meth:`utf8`).

    It has no ``str()`` of its own and its ``repr`` is ``<secret>``, so it never ends up in a
    log or a traceback by accident.
    """

    __slots__ = ("_buffer", "_length")

    def __init__(self) -> None:
        self._buffer = bytearray(SECRET_CAPACITY)
        self._length = 0

    @classmethod
    def from_str(cls, text: str) -> Secret:
        """A Secret holding ``text`` (the caller's ``text`` itself cannot be wiped)."""
        secret = cls()
        secret.splice(0, 0, text)
        return secret

    def __repr__(self) -> str:
        return "<secret>"

    def __len__(self) -> int:
        """The number of characters."""
        return sum(1 for byte in self._view() if byte & 0xC0 != 0x80)

    def __bool__(self) -> bool:
        return self._length > 0

    @property
    def is_ascii(self) -> bool:
        """Whether every character is ASCII (then NFC leaves it as it is)."""
        return all(byte < 0x80 for byte in self._view())

    def _view(self) -> memoryview:
        return memoryview(self._buffer)[: self._length]

    def _offset(self, index: int) -> int:
        """The byte offset of character ``index`` (the end for an index past it)."""
        seen = 0
        for offset in range(self._length):
            if self._buffer[offset] & 0xC0 != 0x80:
                if seen == index:
                    return offset
                seen += 1
        return self._length

    def splice(self, start: int, end: int, text: str) -> None:
        """Replace the characters ``start`` to ``end`` (as in a slice) with ``text``.

        VaultError when the result would not fit (the buffer never grows: growing would leave
        the old buffer, with the passphrase so far, in freed memory)."""
        start, end = sorted((max(0, start), max(0, end)))
        first, last = self._offset(start), self._offset(end)
        added = text.encode("utf-8", "surrogatepass")
        length = self._length - (last - first) + len(added)
        if length > len(self._buffer):
            raise VaultError(f"a passphrase holds at most {SECRET_CAPACITY} bytes")
        # memoryview slice assignment moves bytes in place (memmove), without a copy of the
        # part that moves.
        view = memoryview(self._buffer)
        tail = self._length - last
        view[first + len(added) : first + len(added) + tail] = view[last : self._length]
        view[first : first + len(added)] = added
        if length < self._length:
            view[length : self._length] = bytes(self._length - length)
        view.release()
        self._length = length

    @contextlib.contextmanager
    def utf8(self) -> Iterator[memoryview]:
        """The UTF-8 bytes, read in place (for the key derivation), for the ``with`` block."""
        view = self._view()
        try:
            yield view
        finally:
            view.release()

    def matches(self, text: str) -> bool:
        """Whether ``text`` is this passphrase (compared in constant time)."""
        import hmac  # with hashlib and OpenSSL: not on the first screen's path

        with self.utf8() as data:
            return hmac.compare_digest(data, text.encode("utf-8", "surrogatepass"))

    def wipe(self) -> None:
        """Overwrite the characters with zeros; the Secret is then empty."""
        view = memoryview(self._buffer)
        view[: self._length] = bytes(self._length)
        view.release()
        self._length = 0
