"""How vault-v2/ was made: with the code of commit a84b021 (storage schema 2, record format 1),
for the tests of migration 2 -> 3 and of reading format 1 records:

    git archive a84b021 | tar -x -C OLD
    PYTHONPATH=OLD python tests/core/data/make_vault_v2.py tests/core/data/vault-v2

Passphrase: support.vault.PASSPHRASE; the recovery key it printed is in test_vault_format.py.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from support.vault import PASSPHRASE, make_answers, record

from kindcheck.store import LOCK_NAME, SCHEMA_VERSION, Store

assert SCHEMA_VERSION == 2, SCHEMA_VERSION
folder = Path(sys.argv[1])
os.environ.setdefault("KINDCHECK_STATE_DIR", str(folder.parent / "state"))
shutil.rmtree(folder, ignore_errors=True)
store, recovery = Store.create(folder, PASSPHRASE, "Tess Tester")
with store:
    a = record(store, make_answers("EPD-100", "Anna", signal=True, problems=1))
    store.set_meldcode_step(a.session.id, "map_signals", date(2026, 3, 2), "gesprek gepland")
    record(store, make_answers("EPD-100", kind="followup", when=date(2026, 3, 16)))
    b = record(store, make_answers("EPD-200", "Bram", problems=3))
    record(store, make_answers("EPD-300"))
    store.save_draft({"kindcheck": {"has_minor_children": "yes"}}, "EPD-100")
    store.list_sessions(b.client.id)
(folder / LOCK_NAME).unlink()
print(recovery)
