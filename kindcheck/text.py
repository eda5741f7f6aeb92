"""Text from a file or a keyboard, made safe to show in a terminal.

Anything a person typed or a file holds may carry control characters: ESC, CSI and OSC
sequences reach the terminal unchanged through widget text and can move the cursor, rewrite
what is shown or set the window title; bidi overrides can make a text read differently from
what it is. Everything untrusted passes :func:`clean_text` before it is shown.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Drop control characters (ESC, CSI, bells, ...) but keep newlines and tabs."""
    text = _CONTROL.sub("", text)
    # Unicode format characters such as bidi overrides can disguise what is shown.
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf" or ch == "\u200d")


def one_line(text: str | None) -> str:
    """User-supplied text for one line of terminal output: no control characters or breaks."""
    return " ".join(clean_text(text or "").split())
