"""The vault attacked by someone who has the file but not the passphrase (issue 13).

A thief with a copied laptop folder, or a hostile insider with write access to it, can edit the
SQLite file with any tool: plant triggers, views and extra schema objects, put back older
ciphertexts or an older state record from a backup, delete rows, swap ciphertexts, craft row ids
that carry terminal escape codes, and damage a key slot. Each test here does one such thing with
raw ``sqlite3`` (the store closed) and asserts that Kindcheck *reports* it (``kindcheck verify``)
or *refuses* before writing (``record``, ``backup``, ``restore``). The smaller findings
(answers files that are not regular files, a backup whose log entry fails after the rename, a
damaged schema page, a world-readable passphrase file, read-only media) are here too.

The commands run as a user runs them: ``python -m kindcheck.cli`` in a subprocess with the
passphrase on stdin, so what reaches stdout and stderr is checked byte by byte. Vaults are built
with the public Store API: one template per module (Argon2id costs a fraction of a second per
unlock), copied for each test.

These tests were written against the code of the last release and fail there, except the ones
marked "guard" in their docstring (behaviour that already holds and must stay).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from support.vault import (
    PASSPHRASE,
    SESSION_DAY,
    make_answers,
    raw,
    record,
    walk_shipped,
)

from kindcheck.followup import Rhythm, new_plan
from kindcheck.store import DB_NAME, LOCK_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

# ESC, CSI/OSC introducers, BEL, every other C0 control but newline and tab, DEL, the C1 controls
# (UTF-8 encoded) and the Unicode bidi overrides/isolates, which can disguise what is shown.
CONTROL_BYTES = re.compile(
    rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)
ESCAPE_ID = "x\x1b[2J\x1b]0;t\x07"  # clear the screen, set the window title
NEW_PASSPHRASE = "een heel ander wachtwoord"


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))


# --------------------------------------------------------------------------------------------
# The template vault


def neglect_intake(reference: str, neglect: bool) -> dict[str, Any]:
    """An intake whose only difference from its twin is the answer to the neglect question."""
    answers = make_answers(reference, text="notitie")
    main = walk_shipped(
        "kindcheck",
        {
            "has_minor_children": "yes",
            "child_count": 2,
            "child_age": 6,
            "pregnancy": "no",
            "sig_neglect": "yes" if neglect else "no",
        },
        "notitie",
        SESSION_DAY,
    )
    answers["questionnaires"][0] = main
    return answers


@dataclass(frozen=True)
class Template:
    folder: Path
    recovery: str
    client_a: str  # EPD-100: intake with a safety signal (Meldcode step done) and a follow-up
    client_b: str  # EPD-200: intake with three problem domains
    client_c: str  # EPD-300: a plain intake
    intake_a: str
    followup_a: str
    session_b: str
    session_c: str
    plan_a: str
    plan_b: str
    without_neglect: str  # EPD-401: session without the neglect signal
    with_neglect: str  # EPD-402: the same intake with it
    draft: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("attacks") / "vault"
    store, recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        a = record(store, make_answers("EPD-100", "Anna", signal=True, problems=1))
        store.set_meldcode_step(a.session.id, "map_signals", SESSION_DAY, "gesprek gepland")
        a2 = record(
            store,
            make_answers("EPD-100", kind="followup", when=SESSION_DAY + timedelta(days=14)),
        )
        b = record(store, make_answers("EPD-200", "Bram", problems=3))
        c = record(store, make_answers("EPD-300", "Cees"))
        plain = record(store, neglect_intake("EPD-401", neglect=False))
        neglected = record(store, neglect_intake("EPD-402", neglect=True))
        draft = store.save_draft({"kindcheck": {"has_minor_children": "yes"}}, "EPD-100")
        assert a.plan is not None and b.plan is not None
        plan_a, plan_b = a.plan.id, b.plan.id
    (folder / LOCK_NAME).unlink()
    return Template(
        folder=folder,
        recovery=recovery,
        client_a=a.client.id,
        client_b=b.client.id,
        client_c=c.client.id,
        intake_a=a.session.id,
        followup_a=a2.session.id,
        session_b=b.session.id,
        session_c=c.session.id,
        plan_a=plan_a,
        plan_b=plan_b,
        without_neglect=plain.session.id,
        with_neglect=neglected.session.id,
        draft=draft.id,
    )


@pytest.fixture
def vault(template: Template, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(template.folder, folder)
    return folder


# --------------------------------------------------------------------------------------------
# Helpers


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout_bytes: bytes
    stderr_bytes: bytes

    @property
    def out(self) -> str:
        return self.stdout_bytes.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.stderr_bytes.decode("utf-8", "replace")

    @property
    def output(self) -> str:
        return self.out + self.err

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.out}--- stderr\n{self.err}"


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment (its private rollback-counter folder included) without the
    variables that would change which vault or secret a command uses."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("KINDCHECK_PASSPHRASE_FILE", "KINDCHECK_DATA_DIR", "KINDCHECK_LANG")
        and not key.startswith(("PYTEST_", "COV_"))
    }
    environment.update(extra)
    return environment


def kindcheck(
    *argv: str | Path,
    data_dir: Path | None = None,
    stdin: str | None = PASSPHRASE + "\n",
    env: dict[str, str] | None = None,
    timeout: float = 60,
    wrapper: tuple[str, ...] = (),
) -> Run:
    """Run ``kindcheck ARGV --lang en [--data-dir D] [--passphrase-stdin]`` in a subprocess."""
    command = [*wrapper, sys.executable, "-m", "kindcheck.cli", *map(str, argv), "--lang", "en"]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    if stdin is not None:
        command.append("--passphrase-stdin")
    result = subprocess.run(
        command,
        input=(stdin or "").encode("utf-8"),
        capture_output=True,
        env=env or child_env(),
        timeout=timeout,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def execute(folder: Path, *statements: str) -> None:
    with raw(folder) as conn:
        for statement in statements:
            conn.execute(statement)


def blob(folder: Path, table: str, column: str, row_id: str) -> bytes:
    with raw(folder) as conn:
        row = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)).fetchone()
    assert row is not None, (table, row_id)
    return bytes(row[0])


def put_blob(folder: Path, table: str, column: str, row_id: str, value: bytes) -> None:
    with raw(folder) as conn:
        changed = conn.execute(
            f"UPDATE {table} SET {column} = ? WHERE id = ?", (value, row_id)
        ).rowcount
    assert changed == 1


def session_count(db: Path) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM session").fetchone()[0])
    finally:
        conn.close()


def schema_objects(db: Path, kind: str) -> list[str]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,)).fetchall()
    finally:
        conn.close()
    return [str(name) for (name,) in rows]


def answers_file(tmp_path: Path, reference: str = "EPD-900") -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(make_answers(reference, "Nieuw")), "utf-8")
    return path


def assert_no_control_bytes(run: Run) -> None:
    for name, data in (("stdout", run.stdout_bytes), ("stderr", run.stderr_bytes)):
        found = CONTROL_BYTES.search(data)
        assert found is None, (
            f"{name} carries the control sequence {found.group()!r} "
            f"at byte {found.start()}: {data[max(0, found.start() - 60) : found.end() + 20]!r}"
        )


# --------------------------------------------------------------------------------------------
# Finding 1: objects planted in the schema. `record` refuses before writing; `verify` names
# them; `backup` and `restore` refuse a file that carries one.

# (the name `verify` must show, the SQL that plants it)
PLANTED: dict[str, tuple[str, tuple[str, ...]]] = {
    # every new session deletes itself: `record` says "Saved" and the session is gone
    "trigger on session": (
        "kc_evil_session",
        (
            "CREATE TRIGGER kc_evil_session AFTER INSERT ON session "
            "BEGIN DELETE FROM session WHERE id = NEW.id; END",
        ),
    ),
    # a new client silently deletes every other client's sessions
    "trigger on client": (
        "kc_evil_client",
        (
            "CREATE TRIGGER kc_evil_client AFTER INSERT ON client "
            "BEGIN DELETE FROM session WHERE client_id != NEW.id; END",
        ),
    ),
    # a new plan drops every other plan: overdue safety follow-ups vanish from the due list
    "trigger on plan": (
        "kc_evil_plan",
        (
            "CREATE TRIGGER kc_evil_plan AFTER INSERT ON followup_plan "
            "BEGIN DELETE FROM followup_plan WHERE id != NEW.id; END",
        ),
    ),
    # any logged action empties the vault (the restore attack of the issue)
    "trigger on access_log": (
        "kc_evil_log",
        (
            "CREATE TRIGGER kc_evil_log AFTER INSERT ON access_log "
            "BEGIN DELETE FROM session; DELETE FROM followup_plan; DELETE FROM client; END",
        ),
    ),
    "view": ("kc_view", ("CREATE VIEW kc_view AS SELECT id, data FROM client",)),
    "extra table": ("kc_extra_table", ("CREATE TABLE kc_extra_table (x BLOB)",)),
    "extra index": (
        "kc_extra_index",
        ("CREATE INDEX kc_extra_index ON session (format_version)",),
    ),
    "extra column": (
        "kc_extra_column",
        ("ALTER TABLE session ADD COLUMN kc_extra_column TEXT DEFAULT 'x'",),
    ),
    "missing index": ("ix_session_client_id", ("DROP INDEX ix_session_client_id",)),
    # the plan table without UNIQUE(client_id): two plans for one client become possible
    "altered table": (
        "followup_plan",
        (
            "ALTER TABLE followup_plan RENAME TO kc_old_plan",
            "CREATE TABLE followup_plan (id TEXT NOT NULL PRIMARY KEY, client_id TEXT NOT NULL "
            "REFERENCES client (id) ON DELETE CASCADE, format_version INTEGER NOT NULL, "
            "data BLOB NOT NULL)",
            "INSERT INTO followup_plan SELECT * FROM kc_old_plan",
            "DROP TABLE kc_old_plan",
        ),
    ),
}


@pytest.mark.parametrize("planted", list(PLANTED))
def test_record_refuses_a_vault_with_a_planted_schema_object_before_writing(
    vault: Path, tmp_path: Path, planted: str
) -> None:
    name, statements = PLANTED[planted]
    execute(vault, *statements)
    before = digest(vault / DB_NAME)
    result = kindcheck("record", answers_file(tmp_path), data_dir=vault)
    assert result.returncode == 1, f"`record` went ahead on a vault with ({planted}):\n{result}"
    assert name in result.err, result
    assert digest(vault / DB_NAME) == before, "the vault was written to before refusing"


@pytest.mark.parametrize("planted", list(PLANTED))
def test_verify_names_a_planted_schema_object(vault: Path, planted: str) -> None:
    name, statements = PLANTED[planted]
    execute(vault, *statements)
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, f"verify passed a vault with ({planted}):\n{result}"
    assert name in result.output, result


@pytest.mark.parametrize("planted", ["trigger on access_log", "view"])
def test_backup_refuses_a_vault_with_a_planted_schema_object(
    vault: Path, tmp_path: Path, planted: str
) -> None:
    name, statements = PLANTED[planted]
    execute(vault, *statements)
    before_sessions = session_count(vault / DB_NAME)
    target = tmp_path / "backup.db"
    result = kindcheck("backup", target, data_dir=vault)
    assert session_count(vault / DB_NAME) == before_sessions, (
        f"the backup's log entry fired the planted trigger: the vault lost its sessions\n{result}"
    )
    assert result.returncode == 1, f"backup went ahead with ({planted}):\n{result}"
    assert name in result.err, result
    assert not target.exists(), "a backup carrying the planted object was written"


def crafted_backup(template: Template, tmp_path: Path) -> Path:
    """A backup file of the template with a trigger that empties the vault on the next log
    entry (restore writes one into the restored copy)."""
    folder = tmp_path / "crafted"
    shutil.copytree(template.folder, folder)
    execute(folder, *PLANTED["trigger on access_log"][1])
    return folder / DB_NAME


def test_restore_refuses_a_crafted_backup_over_an_existing_vault(
    vault: Path, template: Template, tmp_path: Path
) -> None:
    backup = crafted_backup(template, tmp_path)
    result = kindcheck("restore", backup, "--force", data_dir=vault)
    restored_sessions = session_count(vault / DB_NAME)
    assert restored_sessions == session_count(backup), (
        f"the restore fired the planted trigger: {restored_sessions} sessions left\n{result}"
    )
    assert result.returncode == 1, f"restore accepted a backup with a trigger:\n{result}"
    assert "kc_evil_log" in result.err, result
    # The existing vault stays (it may get a "refused" entry in its log; that is all).
    assert not schema_objects(vault / DB_NAME, "trigger"), "the trigger reached the vault"


def test_restore_refuses_a_crafted_backup_into_an_empty_folder(
    template: Template, tmp_path: Path
) -> None:
    backup = crafted_backup(template, tmp_path)
    target = tmp_path / "new-vault"
    result = kindcheck("restore", backup, data_dir=target)
    restored = target / DB_NAME
    if restored.exists():
        assert session_count(restored) == session_count(backup), (
            f"the restore fired the planted trigger and emptied the vault\n{result}"
        )
    assert result.returncode == 1, f"restore accepted a backup with a trigger:\n{result}"
    assert "kc_evil_log" in result.err, result
    assert not restored.exists(), "a vault carrying the trigger was put in place"


# --------------------------------------------------------------------------------------------
# Finding 4: the state record and the log chain replayed, records removed, added or older.


def fresh_counter_env(tmp_path: Path) -> dict[str, str]:
    """The environment of another computer: no rollback counter outside the file, so only
    what is in the file can tell."""
    elsewhere = tmp_path / "elsewhere-state"
    return child_env(
        KINDCHECK_STATE_DIR=str(elsewhere / "kindcheck"), XDG_STATE_HOME=str(elsewhere)
    )


def test_a_replayed_state_record_with_the_newer_log_entries_deleted_is_reported(
    vault: Path, template: Template, tmp_path: Path
) -> None:
    with raw(vault) as conn:
        (old_state,) = conn.execute("SELECT value FROM meta WHERE name = 'state'").fetchone()
        (old_end,) = conn.execute("SELECT max(position) FROM access_log").fetchone()
    with Store.unlock(vault, PASSPHRASE) as store:
        # what the insider wants hidden: reading the client's file, and a session added
        store.list_sessions(template.client_a)
        store.get_session(template.intake_a)
        record(store, make_answers("EPD-100", kind="followup", when=SESSION_DAY + timedelta(60)))
    with raw(vault) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE name = 'state'", (old_state,))
        removed = conn.execute("DELETE FROM access_log WHERE position > ?", (old_end,)).rowcount
    assert removed >= 3
    result = kindcheck("verify", data_dir=vault, env=fresh_counter_env(tmp_path))
    assert result.returncode == 1, f"a cut access log passed verify:\n{result}"
    assert "access log" in result.output, result


def test_the_rollback_warning_is_not_adopted_by_opening_the_vault(
    vault: Path, tmp_path: Path
) -> None:
    """An older copy put back by hand: every `verify` warns until the user acknowledges it,
    not only the first one."""
    shutil.copy2(vault / DB_NAME, tmp_path / "older.db")
    with Store.unlock(vault, PASSPHRASE) as store:
        store.add_client("EPD-7600")
        store.add_client("EPD-7601")
    shutil.copy2(tmp_path / "older.db", vault / DB_NAME)
    first = kindcheck("verify", data_dir=vault)
    assert "older than the last one opened" in first.err, first
    second = kindcheck("verify", data_dir=vault)
    assert "older than the last one opened" in second.err, (
        f"the second verify no longer warns: the older generation was adopted\n{second}"
    )


def test_a_deleted_session_is_reported(vault: Path, template: Template) -> None:
    execute(vault, f"DELETE FROM session WHERE id = '{template.followup_a}'")
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, f"a deleted session passed verify:\n{result}"
    assert template.followup_a in result.output, result


def test_a_deleted_client_with_all_its_records_is_reported(vault: Path, template: Template) -> None:
    client = template.client_b
    execute(
        vault,
        f"DELETE FROM session WHERE client_id = '{client}'",
        f"DELETE FROM followup_plan WHERE client_id = '{client}'",
        f"DELETE FROM client WHERE id = '{client}'",
    )
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, f"a client deleted with all its rows passed verify:\n{result}"
    assert client in result.output or "EPD-200" in result.output, result


def test_a_deleted_client_put_back_from_a_backup_is_reported(
    vault: Path, template: Template
) -> None:
    """The clinician deleted a client (say, at the client's request); an insider puts the
    rows back from an older backup. Every row decrypts."""
    client = template.client_c
    with raw(vault) as conn:
        saved = {
            table: conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (client,)).fetchall()
            for table, key in (
                ("client", "id"),
                ("session", "client_id"),
                ("followup_plan", "client_id"),
            )
        }
    with Store.unlock(vault, PASSPHRASE) as store:
        store.delete_client(client)
    with raw(vault) as conn:
        for table, rows in saved.items():
            for row in rows:
                conn.execute(
                    f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})", tuple(row)
                )
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, f"a deleted client put back passed verify:\n{result}"
    assert client in result.output or "EPD-300" in result.output, result


def _change_meldcode(store: Store, template: Template) -> None:
    store.set_meldcode_step(template.intake_a, "consult", SESSION_DAY + timedelta(3), "overleg")


def _change_plan(store: Store, template: Template) -> None:
    store.save_plan(
        template.client_a, new_plan(Rhythm.CHILDREN, SESSION_DAY, None), Rhythm.CHILDREN
    )


def _change_client(store: Store, template: Template) -> None:
    store.set_client_name(template.client_b, "Bram Bakker")


# (table, column, the row's id, what changes it)
OLDER_RECORDS = {
    "meldcode": ("session", "meldcode", "intake_a", _change_meldcode),
    "plan": ("followup_plan", "data", "plan_a", _change_plan),
    "client": ("client", "data", "client_b", _change_client),
}


@pytest.mark.parametrize("kind", list(OLDER_RECORDS))
def test_an_older_copy_of_a_record_put_back_is_reported(
    vault: Path, template: Template, kind: str
) -> None:
    table, column, attribute, change = OLDER_RECORDS[kind]
    row_id = getattr(template, attribute)
    older = blob(vault, table, column, row_id)
    with Store.unlock(vault, PASSPHRASE) as store:
        change(store, template)
    assert blob(vault, table, column, row_id) != older
    put_blob(vault, table, column, row_id, older)
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, f"an older {kind} record put back passed verify:\n{result}"
    assert row_id in result.output, result


# --------------------------------------------------------------------------------------------
# Finding 3 (the store's side): swapped ciphertexts are named. Guard: this holds already.


def test_swapped_client_ciphertexts_are_both_named_by_verify(
    vault: Path, template: Template
) -> None:
    """Guard (holds on the old code): both rows of a swap are named."""
    a = blob(vault, "client", "data", template.client_a)
    b = blob(vault, "client", "data", template.client_b)
    put_blob(vault, "client", "data", template.client_a, b)
    put_blob(vault, "client", "data", template.client_b, a)
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, result
    assert f"client/{template.client_a}" in result.out, result
    assert f"client/{template.client_b}" in result.out, result


# --------------------------------------------------------------------------------------------
# Finding 5: sizes must not reveal a signal or a Meldcode step.


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("session", "header"),
        ("session", "body"),
        ("session", "meldcode"),
        ("followup_plan", "data"),
    ],
    ids=["header", "body", "meldcode", "plan"],
)
def test_ciphertext_sizes_do_not_reveal_a_neglect_signal(
    vault: Path, template: Template, table: str, column: str
) -> None:
    """Two intakes that differ only in the answer to the neglect question. (The meldcode
    variant is a guard: both are empty at first.)"""
    sizes = []
    for session_id in (template.without_neglect, template.with_neglect):
        with raw(vault) as conn:
            if table == "session":
                (data,) = conn.execute(
                    f"SELECT {column} FROM session WHERE id = ?", (session_id,)
                ).fetchone()
            else:
                (data,) = conn.execute(
                    "SELECT p.data FROM followup_plan p JOIN session s "
                    "ON s.client_id = p.client_id WHERE s.id = ?",
                    (session_id,),
                ).fetchone()
        sizes.append(len(data))
    assert sizes[0] == sizes[1], f"{table}.{column}: {sizes[0]} bytes without, {sizes[1]} with"


def test_the_meldcode_record_keeps_its_size_at_the_first_step(
    vault: Path, template: Template
) -> None:
    session_id = template.with_neglect
    before = len(blob(vault, "session", "meldcode", session_id))
    with Store.unlock(vault, PASSPHRASE) as store:
        store.set_meldcode_step(session_id, "map_signals", SESSION_DAY, "")
    after = len(blob(vault, "session", "meldcode", session_id))
    assert before == after, f"the Meldcode record grew from {before} to {after} bytes"


# --------------------------------------------------------------------------------------------
# Finding 6: nothing from the file writes escape codes to the terminal.


def _escape_session_id(folder: Path, template: Template) -> None:
    execute(folder, f"UPDATE session SET id = '{ESCAPE_ID}' WHERE id = '{template.session_b}'")


def _escape_client_id(folder: Path, template: Template) -> None:
    execute(folder, f"UPDATE client SET id = '{ESCAPE_ID}' WHERE id = '{template.client_c}'")


def _escape_plan_id(folder: Path, template: Template) -> None:
    execute(folder, f"UPDATE followup_plan SET id = '{ESCAPE_ID}' WHERE id = '{template.plan_b}'")


def _escape_draft_id(folder: Path, template: Template) -> None:
    execute(folder, f"UPDATE draft SET id = '{ESCAPE_ID}' WHERE id = '{template.draft}'")


def _escape_log_id(folder: Path, template: Template) -> None:
    execute(
        folder,
        f"UPDATE access_log SET id = '{ESCAPE_ID}' "
        "WHERE position = (SELECT max(position) FROM access_log)",
    )


def _escape_slot_id(folder: Path, template: Template) -> None:
    """A recovery slot with an escape id and a damaged document."""
    execute(
        folder,
        f"UPDATE key_slot SET id = '{ESCAPE_ID}', slot = 'z' || substr(slot, 2) "
        "WHERE kind = 'recovery'",
    )


def _escape_index_name(folder: Path, template: Template) -> None:
    """SQLite's own words: integrity_check names an index whose entries do not match."""
    name = "ix" + ESCAPE_ID
    with raw(folder) as conn:
        conn.execute(f'CREATE INDEX "{name}" ON session (format_version)')
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = ? WHERE name = ?",
            (f'CREATE INDEX "{name}" ON session (id)', name),
        )
        conn.execute("PRAGMA writable_schema = OFF")


def _escape_table_name(folder: Path, template: Template) -> None:
    execute(folder, f'CREATE TABLE "kc{ESCAPE_ID}" (x)')


ESCAPES = {
    "session id": _escape_session_id,
    "client id": _escape_client_id,
    "plan id": _escape_plan_id,
    "draft id": _escape_draft_id,
    "access-log id": _escape_log_id,
    "key slot id": _escape_slot_id,
    "index name in an SQLite message": _escape_index_name,
    "planted table name": _escape_table_name,
}


@pytest.mark.parametrize("where", list(ESCAPES))
def test_verify_writes_no_escape_codes_from_the_file(
    vault: Path, template: Template, where: str
) -> None:
    ESCAPES[where](vault, template)
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, f"verify did not report the crafted {where}:\n{result}"
    assert_no_control_bytes(result)


@pytest.mark.parametrize("where", ["session id", "client id", "key slot id"])
def test_list_writes_no_escape_codes_from_the_file(
    vault: Path, template: Template, where: str
) -> None:
    ESCAPES[where](vault, template)
    result = kindcheck("list", data_dir=vault)
    assert_no_control_bytes(result)
    assert "EPD-100" in result.out, f"`list` did not list the undamaged clients:\n{result}"


# --------------------------------------------------------------------------------------------
# Finding 7: one damaged key slot never blocks the other.


def damage_slot(folder: Path, kind: str, how: str) -> str:
    """Damage one byte of the ``kind`` slot; return its id. ``how``: "document" (the JSON no
    longer parses) or "wrapped key" (it parses, but the wrapped key is wrong)."""
    with raw(folder) as conn:
        slot_id, text = conn.execute(
            "SELECT id, slot FROM key_slot WHERE kind = ?", (kind,)
        ).fetchone()
        if how == "document":
            changed = "z" + text[1:]
        else:
            document = json.loads(text)
            wrapped = document["wrapped_key"]
            document["wrapped_key"] = ("B" if wrapped[0] == "A" else "A") + wrapped[1:]
            changed = json.dumps(document, sort_keys=True, separators=(",", ":"))
        conn.execute("UPDATE key_slot SET slot = ? WHERE id = ?", (changed, slot_id))
    return str(slot_id)


def test_a_damaged_passphrase_slot_does_not_block_the_recovery_key(
    vault: Path, template: Template
) -> None:
    damage_slot(vault, "passphrase", "document")
    result = kindcheck(
        "passwd",
        "--recovery",
        data_dir=vault,
        stdin=f"{template.recovery}\n{NEW_PASSPHRASE}\n",
    )
    assert result.returncode == 0, f"the recovery key was blocked by the passphrase slot:\n{result}"
    listed = kindcheck("list", data_dir=vault, stdin=NEW_PASSPHRASE + "\n")
    assert listed.returncode == 0 and "EPD-100" in listed.out, listed


def test_a_damaged_recovery_slot_does_not_block_the_passphrase(vault: Path) -> None:
    damage_slot(vault, "recovery", "document")
    result = kindcheck("list", data_dir=vault)
    assert result.returncode == 0, f"the passphrase was blocked by the recovery slot:\n{result}"
    assert "EPD-100" in result.out, result


@pytest.mark.parametrize("how", ["document", "wrapped key"])
def test_verify_reports_a_damaged_recovery_slot_and_what_to_do(vault: Path, how: str) -> None:
    slot_id = damage_slot(vault, "recovery", how)
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, f"verify did not report the damaged recovery slot:\n{result}"
    assert result.out.strip(), f"verify could not open the vault at all:\n{result}"
    lines = [line for line in result.output.splitlines() if slot_id in line]
    assert lines, result
    assert any("recovery" in line.lower() for line in lines), (
        f"the report does not say it is the recovery slot (and that a new recovery key is "
        f"needed):\n{result}"
    )


# --------------------------------------------------------------------------------------------
# Finding 8: the smaller items.

BACKUP_THEN_FULL_DISK = textwrap.dedent(
    """
    import os, resource, signal, sys
    from pathlib import Path
    from kindcheck import cli

    target = Path(sys.argv[1]).resolve()
    real_replace, real_rename = os.replace, os.rename

    def disk_full_after(move):
        def moved(src, dst, *args, **kwargs):
            move(src, dst, *args, **kwargs)
            if Path(dst).resolve() == target:
                # The backup is in place; from now on no file may grow (a nearly full disk).
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
                print("disk full from here", file=sys.stderr, flush=True)
        return moved

    os.replace, os.rename = disk_full_after(real_replace), disk_full_after(real_rename)
    sys.exit(cli.main(sys.argv[2:]))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_backup_whose_log_entry_fails_does_not_say_nothing_was_saved(
    vault: Path, tmp_path: Path
) -> None:
    target = tmp_path / "backup.db"
    script = tmp_path / "full_disk.py"
    script.write_text(BACKUP_THEN_FULL_DISK, "utf-8")
    completed = subprocess.run(
        [
            sys.executable,
            str(script),
            str(target),
            "backup",
            str(target),
            "--data-dir",
            str(vault),
            "--passphrase-stdin",
            "--lang",
            "en",
        ],
        input=(PASSPHRASE + "\n").encode(),
        capture_output=True,
        env=child_env(),
        timeout=60,
    )
    result = Run(completed.returncode, completed.stdout, completed.stderr)
    assert "disk full from here" in result.err, f"the backup was never moved into place:\n{result}"
    if target.exists():
        assert "nothing was saved" not in result.err and "no backup" not in result.err, (
            f"the backup at {target} is intact but the message says nothing was saved:\n{result}"
        )
        with Store.unlock(vault, PASSPHRASE):  # the vault itself is unharmed
            pass
        assert Store.exists(vault)
    else:
        assert result.returncode == 1, result


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_an_answers_file_that_is_a_fifo_is_refused_quickly(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.json"
    os.mkfifo(fifo)
    try:
        result = kindcheck("outcome", fifo, stdin=None, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("`kindcheck outcome FIFO` hung (no writer ever comes)")
    assert result.returncode == 1, result
    assert "internal error" not in result.err, result
    assert "answers.json" in result.err and "regular file" in result.err, result


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1024 * 1024 * 1024, resource.RLIM_INFINITY))


@pytest.mark.skipif(
    sys.platform == "win32" or not Path("/dev/zero").exists(), reason="needs /dev/zero"
)
def test_an_answers_file_that_never_ends_is_refused(tmp_path: Path) -> None:
    """/dev/zero reports size 0 and never ends. (The child's memory is capped at 1 GiB so the
    old behaviour, reading until memory runs out, cannot hurt the machine.)"""
    completed = subprocess.run(
        [sys.executable, "-m", "kindcheck.cli", "outcome", "/dev/zero", "--lang", "en"],
        capture_output=True,
        env=child_env(),
        timeout=30,
        preexec_fn=_limit_memory,
    )
    result = Run(completed.returncode, completed.stdout, completed.stderr)
    assert result.returncode == 1, result
    assert "internal error" not in result.err, result
    assert "/dev/zero" in result.err, result


def test_a_huge_number_in_an_answers_file_gives_a_clear_error(tmp_path: Path) -> None:
    answers = make_answers("EPD-901")
    text = json.dumps(answers).replace('"format_version": 1', '"format_version": ' + "9" * 5000)
    assert "9" * 5000 in text
    path = tmp_path / "answers.json"
    path.write_text(text, "utf-8")
    result = kindcheck("outcome", path, stdin=None)
    assert result.returncode == 1, result
    assert "internal error" not in result.err, result
    assert "answers.json" in result.err, result


def _damage_schema_name(folder: Path) -> None:
    """Bytes that are not UTF-8 in page 1, inside the name of a table in sqlite_master."""
    db = folder / DB_NAME
    data = bytearray(db.read_bytes())
    position = data.find(b"draftdraft", 0, 4096)
    assert position > 0
    data[position : position + 5] = b"dr\xffft"
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("command", ["verify", "list"])
def test_a_damaged_schema_page_gives_a_clear_error(vault: Path, command: str) -> None:
    _damage_schema_name(vault)
    result = kindcheck(command, data_dir=vault)
    assert result.returncode == 1, result
    assert "internal error" not in result.err, result
    assert "damaged" in result.output, result
    assert_no_control_bytes(result)


def test_an_edited_schema_version_gives_a_clear_verify_message(vault: Path) -> None:
    before = digest(vault / DB_NAME)
    execute(vault, "UPDATE meta SET value = X'31' WHERE name = 'schema_version'")  # b"1"
    result = kindcheck("verify", data_dir=vault)
    assert result.returncode == 1, result
    assert "could not be written" not in result.err, result
    assert "schema" in result.output.lower(), result
    edited = digest(vault / DB_NAME)
    assert edited != before
    assert digest(vault / DB_NAME) == edited, "verify wrote to the vault"


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_a_world_readable_passphrase_file_gives_a_warning(vault: Path, tmp_path: Path) -> None:
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", "utf-8")
    secret.chmod(0o644)
    result = kindcheck(
        "list", data_dir=vault, stdin=None, env=child_env(KINDCHECK_PASSPHRASE_FILE=str(secret))
    )
    assert result.returncode == 0, result
    assert "KINDCHECK_PASSPHRASE_FILE" in result.err and "readable" in result.err, (
        f"a passphrase file every user can read was used without a warning:\n{result}"
    )


# --------------------------------------------------------------------------------------------
# Read-only media: a vault on a write-protected stick or a read-only share can still be listed,
# verified and backed up (to a writable place).


@pytest.fixture(scope="module")
def mount_namespaces() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


def read_only(vault: Path, mount_namespaces: bool) -> tuple[tuple[str, ...], Any]:
    """How to run a command with ``vault`` read-only: a read-only bind mount in a private
    mount namespace, else ``chattr +i`` (root), else a read-only mode (not root). Returns the
    command wrapper and an undo function."""
    if mount_namespaces:
        wrapper = (
            "unshare",
            "-m",
            "sh",
            "-c",
            'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
            str(vault),
        )
        return wrapper, lambda: None
    paths = [str(vault), *map(str, vault.iterdir())]
    if os.name == "posix" and os.geteuid() == 0:
        if shutil.which("chattr") is None or (
            subprocess.run(["chattr", "+i", *paths], capture_output=True).returncode != 0
        ):
            pytest.skip("cannot make the vault read-only here")
        return (), lambda: subprocess.run(["chattr", "-i", *paths], capture_output=True)
    for path in vault.iterdir():
        path.chmod(0o400)
    vault.chmod(0o500)

    def undo() -> None:
        vault.chmod(0o700)
        for path in vault.iterdir():
            path.chmod(0o600)

    return (), undo


@pytest.mark.skipif(os.name == "nt", reason="read-only mounts and modes are POSIX here")
@pytest.mark.parametrize("command", ["list", "verify", "backup"])
def test_a_vault_on_read_only_media_can_be_listed_verified_and_backed_up(
    vault: Path, tmp_path: Path, mount_namespaces: bool, command: str
) -> None:
    Store.unlock(vault, PASSPHRASE).close()  # the lock file exists, as on a used laptop
    before = digest(vault / DB_NAME)
    writable = tmp_path / "out"
    writable.mkdir()
    argv: list[str | Path] = [command]
    if command == "backup":
        argv.append(writable / "backup.db")
    wrapper, undo = read_only(vault, mount_namespaces)
    try:
        result = kindcheck(*argv, data_dir=vault, wrapper=wrapper)
    finally:
        undo()
    assert result.returncode == 0, f"`{command}` refused a read-only vault:\n{result}"
    if command == "list":
        assert "EPD-100" in result.out, result
    if command == "backup":
        copy = writable / "backup.db"
        assert copy.exists() and session_count(copy) == session_count(vault / DB_NAME)
    assert digest(vault / DB_NAME) == before
