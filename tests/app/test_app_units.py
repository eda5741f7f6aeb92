"""The app's plain parts, without starting it: dates as typed, messages and import costs.

(The session in progress, references, settings, the passphrase hint and plans are the core's:
tests/core/test_session_in_progress.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kindcheck.dates import parse_date_text
from kindcheck.i18n import catalog

SCREENS = Path(__file__).resolve().parents[2] / "screens"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("25-11-2026", "2026-11-25"),
        ("25/11/2026", "2026-11-25"),
        ("2026-11-25", "2026-11-25"),
        (" 1-2-26 ", "2026-02-01"),
    ],
)
def test_dates_as_clinicians_type_them(text: str, iso: str):
    assert parse_date_text(text) == iso


def test_a_date_that_is_not_one_is_refused():
    with pytest.raises(ValueError):
        parse_date_text("31-02-2026")


def test_every_interface_text_exists_in_both_languages():
    messages = catalog()
    used: set[str] = set()
    for path in SCREENS.rglob("*.py"):  # widgets/ and dialogs/ too
        source = path.read_text()
        used |= {f"ui.{key}" for key in re.findall(r'\btr\(\s*"([a-z_.]+)"', source)}
        used |= set(re.findall(r'"(ui\.[a-z_.]+)"', source))
    missing = sorted(key for key in used if key not in messages)
    assert not missing
    for key, texts in messages.items():
        if key.startswith("ui."):
            assert texts.get("nl") and texts.get("en"), key


def test_the_first_screen_does_not_import_the_store_or_the_core():
    """SQLModel/SQLAlchemy (~300 ms) and the outcome engine wait until after the passphrase."""
    code = (
        "import sys; import kindcheck.screens.app, kindcheck.screens.launch; "
        "heavy = [m for m in ('sqlmodel', 'sqlalchemy', 'kindcheck.store', "
        "'kindcheck.outcome', 'dateutil') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
