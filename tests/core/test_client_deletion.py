"""Deleting a client (AVG art. 17) leaves nothing of theirs in the vault file or its journal.

A canary client (a reference, a name and a note that occur nowhere else) with everything a
client can have: an intake with a safety signal, a Meldcode step with a note, a correction with
a reason, a follow-up plan, a draft, reads and an export in the access log. After the deletion:

- the database file and its journal hold none of the canary's texts (as UTF-8 or UTF-16),
  during the deleting transaction (checked at its commit) and after it;
- neither holds any of the canary's ciphertexts or its blind index (secure_delete overwrote
  the freed space; the journal, TRUNCATE mode, is empty after the commit) although during the
  transaction the journal held their page images (so the scan looks where they would be);
- every record left, decrypted, says nothing of the canary: the access log keeps the fact under
  a pseudonym, its details without the reference, the name or the export's file name;
- the vault's ledger (the state's directory and every client's manifest) no longer lists them;
- verify is clean, and the other client is untouched.

On the code before this issue the log still named the canary's reference after the deletion:
this test failed there.
"""

from __future__ import annotations

import json
from pathlib import Path

from support.vault import PASSPHRASE, SESSION_DAY, make_answers, raw, record

from kindcheck.record import NewAnswer
from kindcheck.service.client_record import amend_session, delete_client
from kindcheck.service.plans import verify_vault
from kindcheck.store import DB_NAME, Store
from kindcheck.store.audit import _open_state
from kindcheck.store.ledger import amendments_of, manifest_of
from kindcheck.store.records import _open_client

CANARY_REF = "KANARIE-REF-3f9d"
CANARY_NAME = "Kanarienaam Vogelzang"
CANARY_NOTE = "Kanarienotitie-8e2b"
CANARIES = (CANARY_REF, CANARY_NAME, CANARY_NOTE, "kanarie-ref-3f9d", "kanarienaam")


def plain_texts(data: bytes) -> list[str]:
    found = []
    for canary in CANARIES:
        for encoding in ("utf-8", "utf-16-le"):
            if canary.encode(encoding).lower() in data.lower():
                found.append(f"{canary} ({encoding})")
    return found


def their_rows(folder: Path, client_id: str) -> list[bytes]:
    """Every ciphertext and index value of the client's rows, as they are in the file."""
    with raw(folder) as conn:
        values: list[bytes] = []
        values += [
            bytes(row[0])
            for row in conn.execute("SELECT data FROM client WHERE id = ?", (client_id,))
        ]
        values += [
            row[0].encode()
            for row in conn.execute("SELECT ref_index FROM client WHERE id = ?", (client_id,))
        ]
        sessions = [
            row[0]
            for row in conn.execute("SELECT id FROM session WHERE client_id = ?", (client_id,))
        ]
        for session_id in sessions:
            values += [
                bytes(blob)
                for row in conn.execute(
                    "SELECT header, body, meldcode FROM session WHERE id = ?", (session_id,)
                )
                for blob in row
            ]
            values += [
                bytes(row[0])
                for row in conn.execute(
                    "SELECT data FROM amendment WHERE session_id = ?", (session_id,)
                )
            ]
        values += [
            bytes(row[0])
            for row in conn.execute(
                "SELECT data FROM session_facts WHERE client_id = ?", (client_id,)
            )
        ]
        values += [
            bytes(row[0])
            for row in conn.execute(
                "SELECT data FROM followup_plan WHERE client_id = ?", (client_id,)
            )
        ]
        values += [
            bytes(row[0])
            for row in conn.execute("SELECT data FROM draft WHERE ref_index IS NOT NULL")
        ]
    return values


def pieces(blob: bytes) -> list[bytes]:
    """Three 24-byte pieces of a value (start, middle, end): any one left behind is found."""
    if len(blob) <= 24:
        return [blob]
    middle = len(blob) // 2
    return [blob[:24], blob[middle : middle + 24], blob[-24:]]


def test_deleting_a_client_leaves_nothing_of_theirs_in_the_file_or_its_journal(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        other = record(store, make_answers("EPD-1", "Ander", problems=1))
        made = record(
            store,
            make_answers(CANARY_REF, CANARY_NAME, text=CANARY_NOTE, signal=True, problems=2),
        )
        store.set_meldcode_step(made.session.id, "map_signals", SESSION_DAY, CANARY_NOTE)
        amend_session(
            store,
            made.session.id,
            [NewAnswer("kindcheck", "sig_other", "no")],
            f"{CANARY_NOTE}: {CANARY_NAME} zei het anders",
            SESSION_DAY,
        )
        store.save_draft({"note": CANARY_NOTE}, CANARY_REF)
        store.get_session(made.session.id)
        store.log_access(
            "export", CANARY_REF, f"session as pdf (nl) to /home/u/{CANARY_REF} {CANARY_NAME}.pdf"
        )
        assert verify_vault(store) == []
    rows = their_rows(folder, made.client.id)
    assert len(rows) >= 8
    assert plain_texts((folder / DB_NAME).read_bytes()) == []  # encrypted from the start

    journal = folder / (DB_NAME + "-journal")
    during: dict[str, bytes] = {}
    with Store.unlock(folder, PASSPHRASE) as store:

        def at_commit(statement: str) -> None:  # the deleting transaction, before its COMMIT
            if statement.strip().upper() == "COMMIT" and "journal" not in during:
                during["journal"] = journal.read_bytes()
                during["db"] = (folder / DB_NAME).read_bytes()

        assert store._engine is not None
        driver = store._engine.connection.driver
        # SQLite calls the trace callback as a statement starts: COMMIT has not run yet.
        driver.set_trace_callback(at_commit)
        try:
            changed = delete_client(store, CANARY_REF, CANARY_REF.lower())
        finally:
            driver.set_trace_callback(None)
        assert changed >= 5  # create, the step, the change, reads, the export: pseudonymised

        # Every record left, decrypted, says nothing of the canary.
        texts = [json.dumps(entry.to_dict(), ensure_ascii=False) for entry in store.access_log()]
        texts += [repr(o) for o in store.list_clients()]
        texts += [json.dumps(s.answers) + json.dumps(s.outcome) for s in store.iter_sessions()]
        texts += [json.dumps(d.payload) for d in store.list_drafts()]
        texts += [json.dumps(a) for a in store.all_amendments().values()]
        texts += [json.dumps(p.plan) for p in store.list_plans()]
        for text in texts:
            assert plain_texts(text.encode("utf-8")) == [], text
        last = store.access_log()[-1]
        assert last.action == "delete" and last.client_reference.startswith("deleted-")
        assert "deleted with all their records" in last.detail

        # The ledger lists nothing of theirs.
        with store._read() as conn:
            state = _open_state(conn, store._require_open())
        assert state is not None and state.clients is not None
        assert made.client.id not in state.clients and other.client.id in state.clients
        with raw(folder) as conn:
            assert conn.execute("SELECT count(*) FROM session").fetchone()[0] == 1
            assert conn.execute("SELECT count(*) FROM session_facts").fetchone()[0] == 1
            assert conn.execute("SELECT count(*) FROM amendment").fetchone()[0] == 0
        (left,) = store.list_clients()
        assert left.client.reference == "EPD-1"
        assert verify_vault(store) == []

    assert during["journal"], "the deleting transaction wrote its rollback journal"
    assert any(piece in during["journal"] for row in rows for piece in pieces(row))
    after_db = (folder / DB_NAME).read_bytes()
    after_journal = journal.read_bytes() if journal.exists() else b""
    assert after_journal == b""  # TRUNCATE mode: the committed journal is empty
    for name, data in (
        ("journal during", during["journal"]),
        ("file during", during["db"]),
        ("file after", after_db),
    ):
        assert plain_texts(data) == [], name
    for row in rows:
        for piece in pieces(row):
            assert piece not in after_db, "a ciphertext of theirs is still in the file"
    # ... and their manifests are gone with their client record: no other client lists them.
    with Store.unlock(folder, PASSPHRASE) as store, store._read() as conn:
        for row in conn.exec_driver_sql("SELECT id, format_version, data FROM client"):
            data = _open_client(store._require_open(), row).value
            listed = manifest_of(data)
            assert listed is not None and made.session.id not in listed[0]
            assert made.session.id not in (amendments_of(data) or {})


def test_after_the_deletion_the_reference_still_finds_the_fact(tmp_path: Path) -> None:
    """The log keeps the fact: asked for by the deleted reference (the client's own request,
    with the vault's key), the pseudonymised entries are found; nothing else names them."""
    folder = tmp_path / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    with store:
        record(store, make_answers("EPD-2", "Ander"))
        made = record(store, make_answers(CANARY_REF, CANARY_NAME))
        store.get_session(made.session.id)
        delete_client(store, CANARY_REF, CANARY_REF)
        entries = store.access_log(CANARY_REF)
        assert [e.action for e in entries] == ["create", "read", "delete"]
        assert len({e.client_reference for e in entries}) == 1
        assert store.access_log("EPD-2")[0].client_reference == "EPD-2"
