"""A passphrase field that never holds the passphrase as text.

Textual's Input keeps its value as a ``str`` and makes a new one at every key press, so a
typed passphrase leaves whole copies of itself in freed memory (where a hibernation file,
swap or a crash dump finds them long after the app locked). :class:`SecretInput` is an Input
whose value is only a mask, one "•" per character; the characters themselves go straight into
a :class:`~kindcheck.passphrase.Secret`, a fixed-size buffer that is overwritten with zeros
once the passphrase has been used. The screen takes the Secret with :meth:`SecretInput.take`
and wipes it when the key derivation is done.

Every edit of an Input (typing, a paste, backspace, cut, a selection typed over) goes through
``Input.replace``; this class applies the same edit to the Secret there. What still makes
text copies: each key event carries its one character (Python keeps one-character strings
once, shared), and a paste arrives as one string (SECURITY.md, "The passphrase in memory").
"""

from __future__ import annotations

from kindcheck.errors import VaultError
from kindcheck.passphrase import Secret
from kindcheck.text import clean_text

from .safe import SafeInput

MASK = "•"


class SecretInput(SafeInput):
    """A password field whose characters are kept in a wipeable :class:`Secret`."""

    def __init__(
        self, *, id: str | None = None, classes: str | None = None, max_length: int = 1024
    ) -> None:
        self._secret = Secret()
        super().__init__(password=True, id=id, classes=classes, max_length=max_length)

    def validate_value(self, value: str) -> str:
        """The value is the mask. Setting it to "" empties the field (and wipes the Secret);
        setting it to other text (a test, a restored state) puts that text in the Secret."""
        if value == MASK * len(self._secret):
            return value
        self._secret.wipe()
        if value:
            self._secret.splice(0, 0, clean_text(value))
        return MASK * len(self._secret)

    def replace(self, text: str, start: int, end: int) -> None:
        text = clean_text(text)
        length = len(self._secret)
        start, end = sorted((max(0, start), min(length, end)))
        if self.max_length and length - (end - start) + len(text) > self.max_length:
            self.restricted()
            return
        try:
            self._secret.splice(start, end, text)
        except VaultError:
            self.restricted()
            return
        self.value = MASK * len(self._secret)
        self.cursor_position = start + len(text)

    def take(self) -> Secret:
        """The passphrase typed so far, handed over (the caller wipes it); the field is then
        empty."""
        secret, self._secret = self._secret, Secret()
        self.value = ""
        return secret

    def wipe(self) -> None:
        """Forget what was typed (the characters are overwritten)."""
        self._secret.wipe()
        self.value = ""

    def on_unmount(self) -> None:
        self._secret.wipe()
