"""The session record as a printable PDF, built in memory.

fpdf2 draws the same blocks as the plain-text summary (:mod:`kindcheck.record.blocks`) on A4
pages, each with a header (VERTROUWELIJK, the client reference, the date) and page numbers.
The font is DejaVu Sans, shipped in ``fonts/`` with its licence and embedded (as a subset) in
every PDF, so every Dutch diacritic prints and can be copied out of the text layer on any
system. The document is built in memory and returned as bytes: no client data passes through
a temporary file. A character the font lacks is printed as "?" (fpdf2 would otherwise log the
missing characters, and a log must never hold client data).

fpdf2 is imported inside the functions that need it, so ``kindcheck --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindcheck.i18n import t

from .blocks import Block, session_blocks
from .model import SessionRecord

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_FAMILY = "DejaVuSans"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MARGIN = 18.0  # mm
INDENT = 6.0  # mm per indent level
LINE_HEIGHT = 4.8  # mm for 10 pt text
ALERT = (150, 20, 20)
MUTED = (90, 90, 90)
BLACK = (0, 0, 0)
SIZES = {"title": 15.0, "heading": 12.0, "subheading": 10.5, "line": 10.0}


@contextmanager
def _font_paths() -> Iterator[dict[str, Path]]:
    """The shipped font files as paths (fpdf2 reads fonts from a path)."""
    with ExitStack() as stack:
        folder = resources.files("kindcheck.record").joinpath("fonts")
        yield {
            style: stack.enter_context(resources.as_file(folder.joinpath(name)))
            for style, name in FONT_FILES.items()
        }


def new_pdf(header: str, lang: str, title: str) -> FPDF:
    """An A4 document with the fonts loaded, a header line on every page (after the word
    VERTROUWELIJK) and "page n of m" in the footer."""
    from fpdf import FPDF

    confidential = t("record.confidential", lang)
    page_word = t("record.pdf.page", lang, page="{page}", pages="{nb}")

    class _Document(FPDF):
        def header(self) -> None:
            self.set_font(FONT_FAMILY, "B", 8.5)
            self.set_text_color(*ALERT)
            self.cell(32, 5, confidential)
            self.set_font(FONT_FAMILY, "", 8.5)
            self.set_text_color(*MUTED)
            self.cell(0, 5, safe_text(self, header), align="R", new_x="LMARGIN", new_y="NEXT")
            self.set_draw_color(*MUTED)
            self.line(MARGIN, self.get_y() + 1, self.w - MARGIN, self.get_y() + 1)
            self.ln(5)
            self.set_text_color(*BLACK)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT_FAMILY, "", 8)
            self.set_text_color(*MUTED)
            self.cell(0, 5, "Kindcheck")
            self.set_x(MARGIN)
            self.cell(0, 5, page_word.format(page=self.page_no(), nb="{nb}"), align="R")

    document = _Document(orientation="portrait", unit="mm", format="A4")
    with _font_paths() as paths:
        for style, path in paths.items():
            document.add_font(FONT_FAMILY, style, str(path))
    document.set_margins(MARGIN, MARGIN, MARGIN)
    document.set_auto_page_break(True, margin=16)
    document.set_creator("Kindcheck")
    document.set_title(title)
    document.set_lang("nl-NL" if lang == "nl" else "en-GB")
    document.alias_nb_pages()
    return document


def safe_text(document: Any, text: str) -> str:
    """``text`` with every character the current font lacks replaced by "?"."""
    font = document.fonts.get(FONT_FAMILY.lower())
    cmap = getattr(font, "cmap", None)
    if not cmap:
        return text
    return "".join(ch if ch in "\n" or ord(ch) in cmap else "?" for ch in text)


def draw_blocks(document: FPDF, blocks: Sequence[Block]) -> None:
    """Draw the blocks, one after the other, on the pages of ``document``."""
    width = document.w - 2 * MARGIN
    for block in blocks:
        if block.kind == "blank":
            document.ln(2.5)
            continue
        bold = block.kind != "line" or block.style in ("strong", "alert")
        size = SIZES.get(block.kind, 10.0) - (1.0 if block.style == "muted" else 0.0)
        document.set_font(FONT_FAMILY, "B" if bold else "", size)
        color = ALERT if block.style == "alert" else MUTED if block.style == "muted" else BLACK
        document.set_text_color(*color)
        left = MARGIN + INDENT * block.indent
        height = LINE_HEIGHT * size / 10.0
        if block.kind in ("title", "heading"):
            document.ln(1.5)
        document.set_x(left)
        text = safe_text(document, block.text)
        if block.bullet:
            document.cell(4, height, "•")
            document.multi_cell(
                width - (left - MARGIN) - 4, height, text, align="L", new_x="LMARGIN"
            )
        else:
            document.multi_cell(width - (left - MARGIN), height, text, align="L", new_x="LMARGIN")
        if block.kind in ("title", "heading"):
            document.set_draw_color(*MUTED)
            document.line(MARGIN, document.get_y() + 0.5, MARGIN + width, document.get_y() + 0.5)
            document.ln(2)
    document.set_text_color(*BLACK)


def pdf_bytes(document: FPDF) -> bytes:
    return bytes(document.output())


def header_text(record: SessionRecord, lang: str) -> str:
    return t(
        "record.pdf.header",
        lang,
        reference=record.client_reference,
        day=record.session_date.isoformat(),
    )


def render_pdf(record: SessionRecord, lang: str = "nl") -> bytes:
    """The record of one session as a PDF document (bytes, built in memory)."""
    document = new_pdf(
        header_text(record, lang),
        lang,
        t("record.pdf.title", lang, reference=record.client_reference),
    )
    document.add_page()
    draw_blocks(document, session_blocks(record, lang))
    return pdf_bytes(document)
