"""The printable PDF of a session: it opens, embeds its font, and its text layer reads back."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from support.records import example_answers, part_answers, record_of, session_examples

from kindcheck.record import render_pdf


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(font name, embedded) of every font on every page."""
    found: list[tuple[str, bool]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            found.append((str(font["/BaseFont"]), embedded))
    return found


@pytest.mark.parametrize("path", session_examples(), ids=lambda p: p.name)
def test_every_example_gives_a_pdf_that_opens_with_header_and_page_numbers(path: Path) -> None:
    answers = example_answers(path.name)
    pdf = render_pdf(record_of(answers), "nl")
    assert pdf.startswith(b"%PDF-")
    pages = _text(pdf)
    assert len(pages) >= 1
    for number, text in enumerate(pages, 1):
        assert "VERTROUWELIJK" in text
        assert answers["client"]["reference"] in text
        assert f"Pagina {number} van {len(pages)}" in text
    fonts = _fonts(pdf)
    assert fonts and all(embedded for _name, embedded in fonts), fonts
    assert all("DejaVuSans" in name for name, _ in fonts)


def test_dutch_diacritics_are_in_the_text_layer() -> None:
    answers = example_answers("v2-flag-handoff.json")
    part_answers(answers, "kindcheck")["clinician_note"] = (
        "Café, naïef, reünie, vóór één uur; Ĳsselmeer, Zoë"
    )
    text = "\n".join(_text(render_pdf(record_of(answers), "nl")))
    for word in ("Cliëntreferentie", "cliënt", "Café", "naïef", "reünie", "vóór", "één", "Zoë"):
        assert word in text, word


def test_a_character_the_font_lacks_prints_as_a_question_mark_and_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = example_answers("v2-flag-handoff.json")
    part_answers(answers, "kindcheck")["clinician_note"] = "Naam: 王小明 𝔸"
    text = "\n".join(_text(render_pdf(record_of(answers), "nl")))
    assert "Naam: ???" in text or "Naam: ?" in text
    assert "王" not in caplog.text and "missing" not in caplog.text


def test_the_english_pdf_is_in_english() -> None:
    text = "\n".join(_text(render_pdf(record_of(example_answers("two-domains.json")), "en")))
    assert "CONFIDENTIAL" in text and "Page 1 of" in text and "Client reference" in text


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed"
)
def test_poppler_renders_the_first_page(tmp_path: Path) -> None:
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(render_pdf(record_of(example_answers("safety-signal.json")), "nl"))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    image = next(tmp_path.glob("page*.png")).read_bytes()
    assert image.startswith(b"\x89PNG") and len(image) > 5000
