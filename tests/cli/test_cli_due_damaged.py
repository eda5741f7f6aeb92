"""`kindcheck due` and a client whose own record cannot be read (issue 13, finding 3).

The due table has no reference for that client (it is inside the unreadable record), so the
follow-up cannot be a row of it; it must not vanish either: an overdue safety follow-up is
named on stderr with the client's id and what to do.
"""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from support.vault import PASSPHRASE, SESSION_DAY, flip_byte, make_answers, record

from kindcheck import cli
from kindcheck.followup import AMSTERDAM
from kindcheck.store import LOCK_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

LATER = datetime(2026, 5, 4, 12, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


def due(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folder: Path, lang: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{PASSPHRASE}\n".encode())))
    with time_machine.travel(LATER, tick=False):
        code = cli.main(["due", "--data-dir", str(folder), "--passphrase-stdin", "--lang", lang])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_due_names_the_overdue_follow_up_of_a_client_whose_record_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    folder = tmp_path / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "t.tester")
    with store:
        signalled = record(store, make_answers("EPD-100", "Anna", signal=True, problems=1))
        record(store, make_answers("EPD-200", "Bram", problems=3, when=SESSION_DAY))
    (folder / LOCK_NAME).unlink()
    flip_byte(folder, "client", "data", signalled.client.id)
    code, out, err = due(monkeypatch, capsys, folder, lang)
    assert code == 0, err
    assert "EPD-200" in out and "EPD-100" not in out  # its reference cannot be read
    short = signalled.client.id[:8]
    overdue = "overdue" if lang == "en" else "te laat"
    line = next((line for line in err.splitlines() if short in line), "")
    assert overdue in line and "kindcheck restore" in line, err
