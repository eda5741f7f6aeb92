"""Issue 17: reports read little, once; opening a vault imports no SQLAlchemy; each session's
facts record is kept in step with the session and cannot be changed unnoticed.

What a sceptic checks from outside: the SQL the export, the due list and verify send to
SQLite (a trace of the connection) is the same number of statements for a vault of 3 clients
as for one of 9 (no query per session, client or plan), and never reads a session's header or
body; a fresh process that unlocks and lists the vault has not imported SQLAlchemy, SQLModel
or pydantic. And what an adversary with the file tries: a facts record put back from before a
Meldcode step, deleted, or moved to another session is named by verify, and the export does
not count it silently.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from support.vault import PASSPHRASE, SESSION_DAY, make_answers, raw, record

from kindcheck.service.caseload import followup_statuses
from kindcheck.service.plans import verify_vault
from kindcheck.service.reports import count_vault
from kindcheck.store import LOCK_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

TODAY = date(2027, 1, 4)
V2_VAULT = Path(__file__).parent / "data" / "vault-v2"


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))


def _fill(store: Store, clients: int) -> None:
    for number in range(clients):
        reference = f"EPD-{number:03d}"
        record(store, make_answers(reference, signal=number % 2 == 0, problems=number % 4))
        for visit in range(1, 1 + number % 3):
            when = SESSION_DAY + timedelta(days=30 * visit)
            record(store, make_answers(reference, kind="followup", when=when))


@pytest.fixture(scope="module")
def vaults(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Two vaults alike but for their size: 3 clients and 9."""
    made = {}
    for clients in (3, 9):
        folder = tmp_path_factory.mktemp(f"vault{clients}") / "vault"
        store, _recovery = Store.create(folder, PASSPHRASE, "tester")
        with store:
            _fill(store, clients)
            first = store.list_clients()[0].client
            session = store.list_sessions(first.id)[0]
            store.set_meldcode_step(session.id, "map_signals", SESSION_DAY)
        (folder / LOCK_NAME).unlink()
        made[clients] = folder
    return made


@pytest.fixture
def vault(vaults: dict[int, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(vaults[3], folder)
    return folder


@contextmanager
def traced(store: Store) -> Iterator[list[str]]:
    """Every SQL statement the store sends to SQLite while the block runs."""
    seen: list[str] = []
    assert store._engine is not None
    driver = store._engine.connection.driver
    driver.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        driver.set_trace_callback(None)


def _statements(folder: Path, work: str) -> list[str]:
    with Store.unlock(folder, PASSPHRASE) as store, traced(store) as seen:
        if work == "export":
            count_vault(store, "quarter", TODAY, [])
        elif work == "due":
            followup_statuses(store, TODAY, [])
        else:
            assert verify_vault(store) == []
    return seen


@pytest.mark.parametrize("work", ["export", "due", "verify"])
def test_reports_send_the_same_statements_for_a_larger_vault(
    vaults: dict[int, Path], tmp_path: Path, work: str
) -> None:
    small, large = (_statements(vaults[size], work) for size in (3, 9))
    assert len(small) == len(large), "a statement per session, client or plan"
    assert small == large


@pytest.mark.parametrize("work", ["export", "due"])
def test_reports_never_read_a_sessions_header_or_body(vaults: dict[int, Path], work: str) -> None:
    statements = _statements(vaults[9], work)
    reading_sessions = [sql for sql in statements if "header" in sql or "body" in sql]
    assert reading_sessions == []
    assert any("session_facts" in sql for sql in statements)


def test_unlocking_and_listing_imports_no_sqlalchemy_sqlmodel_or_pydantic(
    vault: Path, tmp_path: Path
) -> None:
    code = (
        "import contextlib, io, sys\n"
        "from kindcheck.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['--data-dir', {str(vault)!r}, 'list', '--passphrase-stdin'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'sqlmodel', "
        "'pydantic'})\n"
        "print(code, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 []"


# --------------------------------------------------------------------------------------------
# The facts records against their sessions


def _facts(folder: Path) -> dict[str, bytes]:
    with raw(folder) as conn:
        return dict(conn.execute("SELECT id, data FROM session_facts"))


def _counts(folder: Path) -> tuple[dict[str, int], list[str]]:
    damaged: list[str] = []
    with Store.unlock(folder, PASSPHRASE) as store:
        counts = count_vault(store, "quarter", TODAY, damaged)
    return counts.total(), damaged


def test_a_facts_record_put_back_from_before_a_meldcode_step_is_named(vault: Path) -> None:
    before = _facts(vault)
    with Store.unlock(vault, PASSPHRASE) as store:
        session = store.list_sessions(store.list_clients()[1].client.id)[0]
        store.set_meldcode_step(session.id, "consult", SESSION_DAY)
        assert verify_vault(store) == []
        counted = count_vault(store, "quarter", TODAY).total()["meldcode_steps_taken"]
    with raw(vault) as conn:
        conn.execute(
            "UPDATE session_facts SET data = ? WHERE id = ?", (before[session.id], session.id)
        )
    with Store.unlock(vault, PASSPHRASE) as store:
        problems = verify_vault(store)
    assert problems == [
        f"record session_facts/{session.id} does not agree with its session (its Meldcode "
        "steps): it was changed or put back from an older copy; reports would count it wrongly"
    ]
    assert _counts(vault)[0]["meldcode_steps_taken"] == counted - 1  # what verify warns of


def test_a_deleted_facts_record_is_named_and_its_session_not_counted_silently(
    vault: Path,
) -> None:
    totals, _ = _counts(vault)
    session_id = sorted(_facts(vault))[0]
    with raw(vault) as conn:
        conn.execute("DELETE FROM session_facts WHERE id = ?", (session_id,))
    with Store.unlock(vault, PASSPHRASE) as store:
        problems = verify_vault(store)
    assert len(problems) == 1
    assert f"record session_facts/{session_id} is missing" in problems[0]
    after, damaged = _counts(vault)
    assert damaged and session_id in damaged[0] and "not counted" in damaged[0]
    assert sum(after.values()) < sum(totals.values())


def test_a_facts_record_moved_to_another_session_does_not_open(vault: Path) -> None:
    facts = _facts(vault)
    first, second = sorted(facts)[:2]
    with raw(vault) as conn:
        conn.execute("UPDATE session_facts SET data = ? WHERE id = ?", (facts[first], second))
    with Store.unlock(vault, PASSPHRASE) as store:
        assert verify_vault(store) == [f"record session_facts/{second} is damaged or was moved"]
    _totals, damaged = _counts(vault)
    assert damaged == [f"record session_facts/{second} is damaged or was moved"]


def test_a_session_deleted_outside_kindcheck_is_not_counted_from_its_facts(vault: Path) -> None:
    totals, _ = _counts(vault)
    session_id = sorted(_facts(vault))[0]
    with raw(vault) as conn:
        conn.execute("DELETE FROM session WHERE id = ?", (session_id,))
    after, damaged = _counts(vault)
    assert any(session_id in line and "has no session" in line for line in damaged)
    assert sum(after.values()) < sum(totals.values())
    with Store.unlock(vault, PASSPHRASE) as store:
        (problem,) = verify_vault(store)
    assert f"record session/{session_id} is missing" in problem  # the ledger names it once


def test_an_upgraded_vault_gets_its_facts_at_the_first_unlock(tmp_path: Path) -> None:
    """A vault of storage schema 2 (no facts records) counts the same read as it is and after
    the upgrade, whose facts are completed at the first unlock through the service."""
    from kindcheck.service.vault_service import VaultService

    folder = tmp_path / "v2"
    shutil.copytree(V2_VAULT, folder)
    with Store.unlock(folder, PASSPHRASE, read_only=True) as old:
        assert old.schema_version == 2
        expected = count_vault(old, "quarter", TODAY).total()  # from the sessions themselves
    assert expected["intakes"] > 0
    with VaultService(folder) as service:
        service.unlock(PASSPHRASE)  # upgraded, and the facts completed
        with service.store() as store:
            assert store.schema_version == 5
            assert all(record.facts is not None for record in store.iter_facts())
            assert verify_vault(store) == []
    assert _counts(folder)[0] == expected


def test_a_trace_sees_sqlite(vault: Path) -> None:
    """The trace above is the connection's own: a statement sent is a statement seen."""
    with Store.unlock(vault, PASSPHRASE) as store, traced(store) as seen:
        store.count_records()
    assert any("count(*)" in sql for sql in seen)
    assert isinstance(sqlite3.sqlite_version, str)
