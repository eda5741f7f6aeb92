"""Text from a file or a keyboard, made safe to show in a terminal.

Anything a person typed or a file holds may carry control characters: ESC, CSI and OSC
sequences reach the terminal unchanged through widget text and can move the cursor, rewrite
what is shown or set the window title; bidi overrides can make a text read differently from
what it is. Everything untrusted passes :func:`clean_text` before it is shown.

For what comes out of a vault file (record ids, names of schema objects, SQLite's own error
texts) the store builds its messages with :func:`one_line`, so a crafted id can neither steer
the terminal nor start a line of its own that imitates a report ("In orde").
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone surrogates (from surrogateescape or a file's broken UTF-16) cannot be encoded for the
# terminal; U+FFFE and U+FFFF are noncharacters some terminals treat as byte-order marks.
_UNPRINTABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Drop control characters (ESC, CSI, bells, ...) but keep newlines and tabs."""
    text = _CONTROL.sub("", text)
    if text.isascii():
        return text  # no format character is ASCII: the character walk below finds none
    # Unicode format characters such as bidi overrides can disguise what is shown.
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf" or ch == "\u200d")


def terminal_safe(text: object) -> str:
    """Any value as text that can be written to a terminal: :func:`clean_text`, and no lone
    surrogates or noncharacters (which would make the write itself fail)."""
    return _UNPRINTABLE.sub("", clean_text(str(text)))


def one_line(text: object | None) -> str:
    """User-supplied text for one line of terminal output: no control characters or breaks."""
    return " ".join(terminal_safe("" if text is None else text).split())


def short_id(record_id: object) -> str:
    """A record id for a list: its first 8 characters, made safe (ids are 32 hex digits)."""
    cleaned = one_line(record_id)
    return cleaned if len(cleaned) <= 8 else cleaned[:8] + "..."
