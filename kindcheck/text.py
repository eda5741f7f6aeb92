"""Text a person typed or a file held, made safe to store and show.

The kernel's one home of :func:`clean_text`: the questionnaire checks answers with it and the
store normalises client references with it, so neither needs the other.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Drop control characters (ESC, CSI, bells, ...) but keep newlines and tabs."""
    text = _CONTROL.sub("", text)
    # Unicode format characters such as bidi overrides can disguise what is shown.
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf" or ch == "\u200d")
