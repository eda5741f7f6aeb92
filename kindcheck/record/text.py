"""The plain-text summary of a session, for pasting into the EPD.

Plain text that survives any paste: no box drawing, no markup, no tabs, lines of at most
:data:`WIDTH` characters (long words are broken, free text is wrapped with its own line
breaks kept), headings in capitals and underlined. The same blocks as the PDF
(:mod:`kindcheck.record.blocks`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from .blocks import Block, session_blocks
from .model import SessionRecord

WIDTH = 100
INDENT = "    "


def _wrap(text: str, first: str, rest: str) -> list[str]:
    wrapped = textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,
        break_on_hyphens=False,
        replace_whitespace=True,
        drop_whitespace=True,
    )
    return wrapped or [first.rstrip()]


def block_lines(blocks: Iterable[Block]) -> list[str]:
    """The blocks as plain-text lines of at most WIDTH characters."""
    lines: list[str] = []
    for block in blocks:
        if block.kind == "blank":
            if lines and lines[-1] != "":
                lines.append("")
            continue
        if block.kind in ("title", "heading"):
            text = block.text.upper()
            wrapped = _wrap(text, "", "")
            lines += wrapped
            lines.append(("=" if block.kind == "title" else "-") * max(len(w) for w in wrapped))
            continue
        indent = INDENT * block.indent
        if block.kind == "subheading":
            lines += _wrap(block.text, indent, indent)
            continue
        prefix = "!! " if block.style == "alert" else ""
        if block.bullet:
            first, rest = indent + "- " + prefix, indent + "  " + " " * len(prefix)
        else:
            first, rest = indent + prefix, indent + " " * len(prefix)
        # Free text keeps the line breaks its writer made; everything else is one paragraph.
        paragraphs = block.text.replace("\t", "    ").splitlines() or [""]
        if block.style != "literal":
            paragraphs = [" ".join(paragraphs)]
        for number, paragraph in enumerate(paragraphs):
            lines += _wrap(paragraph, first if number == 0 else rest, rest)
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def render_text(record: SessionRecord, lang: str = "nl") -> str:
    """The summary of one session as plain text (ends with a line break)."""
    return "\n".join(block_lines(session_blocks(record, lang))) + "\n"
