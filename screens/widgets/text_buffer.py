"""The text of a field being typed, edited key by key in plain Python (no Textual here).

The question walk and the start form take every key in the screen itself, in the order the
keys were pressed, and apply each to the field that is current at that moment (intake.py says
why: a key sent on to a focused Input is handled later, when the screen may already show the
next question). The fields on screen only show a :class:`TextBuffer`: its text and where the
cursor is. The keys are the ones Textual's Input and TextArea use, so nothing new is learnt.
"""

from __future__ import annotations

from dataclasses import dataclass

from kindcheck.text import clean_text

# Keys that move the cursor or delete, and what they do (Textual's Input and TextArea keys).
EDIT_KEYS = frozenset(
    {
        "backspace",
        "delete",
        "left",
        "right",
        "home",
        "end",
        "ctrl+a",
        "ctrl+e",
        "ctrl+u",
        "ctrl+k",
        "ctrl+w",
        "ctrl+left",
        "ctrl+right",
        "ctrl+backspace",
        "ctrl+delete",
        "ctrl+d",
        "up",
        "down",
    }
)


@dataclass
class TextBuffer:
    """Text and a cursor (an offset into it). ``multiline`` allows line breaks; up and down
    then move between lines. ``max_length`` bounds the text (0: no bound)."""

    text: str = ""
    cursor: int = 0
    multiline: bool = False
    max_length: int = 0

    def load(self, text: str) -> None:
        """Replace the text (control characters removed); the cursor goes to its end."""
        self.text = self._clean(text)
        if self.max_length:
            self.text = self.text[: self.max_length]
        self.cursor = len(self.text)

    def _clean(self, text: str) -> str:
        if self.multiline:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            return "\n".join(clean_text(line) for line in text.split("\n"))
        return clean_text(" ".join(text.splitlines()))

    def insert(self, text: str) -> bool:
        """Type (or paste) ``text`` at the cursor; False when nothing could be added."""
        text = self._clean(text)
        if self.max_length:
            text = text[: max(0, self.max_length - len(self.text))]
        if not text:
            return False
        self.text = self.text[: self.cursor] + text + self.text[self.cursor :]
        self.cursor += len(text)
        return True

    def newline(self) -> bool:
        return self.multiline and self.insert("\n")

    # -- where a line starts and ends ---------------------------------------------------------

    def _line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1 if self.multiline else 0

    def _line_end(self, offset: int) -> int:
        if not self.multiline:
            return len(self.text)
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end

    def _word_left(self) -> int:
        offset = self.cursor
        while offset > 0 and self.text[offset - 1].isspace():
            offset -= 1
        while offset > 0 and not self.text[offset - 1].isspace():
            offset -= 1
        return offset

    def _word_right(self) -> int:
        offset = self.cursor
        while offset < len(self.text) and self.text[offset].isspace():
            offset += 1
        while offset < len(self.text) and not self.text[offset].isspace():
            offset += 1
        return offset

    def location(self) -> tuple[int, int]:
        """The cursor as (line, column), for a text area."""
        start = self._line_start(self.cursor)
        return self.text.count("\n", 0, self.cursor), self.cursor - start

    # -- keys -------------------------------------------------------------------------------

    def key(self, key: str) -> bool:
        """Apply an editing key (one of EDIT_KEYS); False when it does nothing here."""
        text, cursor = self.text, self.cursor
        if key == "backspace" and cursor > 0:
            self.text, self.cursor = text[: cursor - 1] + text[cursor:], cursor - 1
        elif key in ("delete", "ctrl+d") and cursor < len(text):
            self.text = text[:cursor] + text[cursor + 1 :]
        elif key == "left":
            self.cursor = max(0, cursor - 1)
        elif key == "right":
            self.cursor = min(len(text), cursor + 1)
        elif key in ("home", "ctrl+a"):
            self.cursor = self._line_start(cursor)
        elif key in ("end", "ctrl+e"):
            self.cursor = self._line_end(cursor)
        elif key == "ctrl+u":  # everything before the cursor (on its line)
            start = self._line_start(cursor)
            self.text, self.cursor = text[:start] + text[cursor:], start
        elif key == "ctrl+k":  # everything after the cursor (on its line)
            self.text = text[:cursor] + text[self._line_end(cursor) :]
        elif key in ("ctrl+w", "ctrl+backspace"):
            start = self._word_left()
            self.text, self.cursor = text[:start] + text[cursor:], start
        elif key == "ctrl+delete":
            self.text = text[:cursor] + text[self._word_right() :]
        elif key == "ctrl+left":
            self.cursor = self._word_left()
        elif key == "ctrl+right":
            self.cursor = self._word_right()
        elif key in ("up", "down") and self.multiline:
            self._vertical(-1 if key == "up" else 1)
        else:
            return False
        return (self.text, self.cursor) != (text, cursor)

    def _vertical(self, direction: int) -> None:
        line_start = self._line_start(self.cursor)
        column = self.cursor - line_start
        if direction < 0:
            if line_start == 0:
                self.cursor = 0
                return
            target = self._line_start(line_start - 1)
        else:
            line_end = self._line_end(self.cursor)
            if line_end >= len(self.text):
                self.cursor = len(self.text)
                return
            target = line_end + 1
        self.cursor = min(target + column, self._line_end(target))
