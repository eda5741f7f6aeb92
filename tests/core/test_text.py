"""kindcheck.text: untrusted text made safe to show, kept readable."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from kindcheck import questionnaire
from kindcheck.text import clean_text, one_line, short_id, terminal_safe

FAST = settings(max_examples=200, deadline=None)


def test_terminal_escapes_and_bidi_overrides_are_dropped() -> None:
    typed = "Jan\x1b[2J\x1b]0;title\x07 \u202eJansen\x9b31m\x00\x7f"
    assert clean_text(typed) == "Jan[2J]0;title Jansen31m"


def test_newlines_tabs_and_joined_emoji_survive() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # ZWJ keeps a family one emoji
    assert clean_text(f"regel 1\nregel 2\t{family}") == f"regel 1\nregel 2\t{family}"


def test_one_line_folds_breaks_and_runs_of_space() -> None:
    assert one_line("  EPD-1\n\r\n\t2 \x1b[1m ") == "EPD-1 2 [1m"
    assert one_line(None) == ""
    assert one_line("") == ""


@FAST
@given(st.text())
def test_nothing_that_steers_a_terminal_gets_through(text: str) -> None:
    cleaned = clean_text(text)
    for ch in cleaned:
        category = unicodedata.category(ch)
        assert category != "Cc" or ch in "\n\t", repr(ch)
        assert category != "Cf" or ch == "\u200d", repr(ch)
    assert clean_text(cleaned) == cleaned
    line = one_line(text)
    assert "\n" not in line and "\t" not in line
    assert line == line.strip() and "  " not in line


def test_the_old_import_path_still_works() -> None:
    assert questionnaire.clean_text is clean_text


def test_terminal_safe_drops_what_cannot_be_written_and_short_ids_stay_short() -> None:
    assert terminal_safe("a\ud800b\ufffec\x1b[2J") == "abc[2J"
    assert terminal_safe(12) == "12"
    assert short_id("0123456789abcdef0123456789abcdef") == "01234567..."
    assert short_id("x\x1b]0;t\x07") == "x]0;t"
    assert one_line("x\x1b[2J\nIn orde") == "x[2J In orde"
