"""How before-setting-split/ was made: with the code of commit 7b778f0 (facts records of format
1, without the session's setting; release ledger before the split by setting), for the tests
that a re-export of a period released then is the same file byte for byte, and that the facts
records of such a vault are made again with the setting (test_export_setting_split.py):

    git worktree add OLD 7b778f0
    PYTHONPATH=OLD python tests/core/data/make_before_setting_split.py \
        tests/core/data/before-setting-split OLD/tests

18 intakes (all GGZ), each recorded on its own day: 7 in January 2026, 6 in February, 2 in
March, 3 in April; exported on 9 April 2026 (January to March and Q1 released; April open).
Written: vault/ (passphrase: support.vault.PASSPHRASE), the four files that export wrote,
and the release ledger it kept (ledger.json, decrypted).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
from datetime import date, datetime
from pathlib import Path

out = Path(sys.argv[1])
sys.path.insert(0, sys.argv[2])
os.environ.setdefault("KINDCHECK_STATE_DIR", str(out.parent / "state-before-setting-split"))

import time_machine  # noqa: E402
from support.vault import PASSPHRASE, make_answers  # noqa: E402

from kindcheck import cli  # noqa: E402
from kindcheck.answers import session_from_dict  # noqa: E402
from kindcheck.followup import AMSTERDAM  # noqa: E402
from kindcheck.outcome import compute_outcome  # noqa: E402
from kindcheck.service.recording import record_session  # noqa: E402
from kindcheck.store import LOCK_NAME, Store  # noqa: E402

EXPORTED = date(2026, 4, 9)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=AMSTERDAM)


shutil.rmtree(out, ignore_errors=True)
folder = out / "vault"
with time_machine.travel(at(date(2025, 12, 20)), tick=False):
    Store.create(folder, PASSPHRASE, "t.tester")[0].close()
number = 0
for month, count in ((1, 7), (2, 6), (3, 2), (4, 3)):
    for day in range(count):
        number += 1
        held = date(2026, month, 2 + day)
        with time_machine.travel(at(held), tick=False), Store.unlock(folder, PASSPHRASE) as store:
            answers = make_answers(f"EPD-8{number:04d}", when=held, signal=number == 3)
            session = session_from_dict(answers)  # type: ignore[arg-type]
            record_session(store, session, compute_outcome(session))


def export(name: str, *options: str) -> None:
    sys.stdin = io.TextIOWrapper(io.BytesIO(f"{PASSPHRASE}\n".encode()))
    with time_machine.travel(at(EXPORTED), tick=False), contextlib.redirect_stdout(io.StringIO()):
        argv = ["export", "--lang", "en", "--data-dir", str(folder), "--passphrase-stdin"]
        assert cli.main([*argv, *options, "-o", str(out / name)]) == 0


export("month.csv", "--period", "month")
export("quarter.csv", "--period", "quarter")
export("quarter.json", "--period", "quarter", "--format", "json")
export("month-semicolon.csv", "--period", "month", "--delimiter", ";")
with Store.unlock(folder, PASSPHRASE) as store:
    document = store.read_release_ledger()
(out / "ledger.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
for name in (LOCK_NAME, "kindcheck.db-journal"):
    (folder / name).unlink(missing_ok=True)
