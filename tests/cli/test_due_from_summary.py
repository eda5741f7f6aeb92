"""`kindcheck due` from the caseload summary (issue 17): one small record plus the records of
the clients changed since, instead of every plan, facts record and client.

- The sceptic's equivalence: whatever was done to the caseload (sessions, plans, events,
  corrections, moves, deletions; through the command line's service functions and the app's
  service, in any order, on any day, with the summary written back by `due` or by home now
  and then), the due list from the summary is the due list read from every record, on every
  day checked.
- The sceptic's count: with a current summary, `due` reads no plan, session or facts record
  except those of the clients that changed; a deletion from the command line leaves the
  summary current (home and `due` read nothing after it).
- The adversary: a summary put back from an older copy of the same vault, altered, or taken
  from another vault is never trusted: the list stays right and the damage is named.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.app import PASSPHRASE, fresh_vault
from support.vault import make_answers, raw

from kindcheck import cli
from kindcheck.answers import session_from_dict
from kindcheck.errors import KindcheckError
from kindcheck.followup import AMSTERDAM, Rhythm, new_plan
from kindcheck.record import NewAnswer
from kindcheck.service import caseload_summary
from kindcheck.service.caseload import DueItem, due_items
from kindcheck.service.client_record import amend_session, delete_client, move_session
from kindcheck.service.vault_service import VaultService
from kindcheck.store import LOCK_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

FIRST_DAY = date(2025, 1, 6)
REFERENCES = ("EPD-A1", "EPD-B2", "EPD-C3", "EPD-D4", "EPD-E5")
EVENTS = ("admission", "crisis", "new_partner", "separation", "new_child_or_pregnancy")
TODAY = datetime(2026, 5, 4, 12, 0, tzinfo=AMSTERDAM)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)


def as_shown(items: list[DueItem]) -> list[tuple[Any, ...]]:
    return [
        (i.kind, i.client_id, i.reference, i.when, i.state, i.days_overdue, i.detail) for i in items
    ]


def from_the_records(store: Store, day: date) -> list[tuple[Any, ...]]:
    damaged: list[str] = []
    found = as_shown(due_items(store, day, damaged))
    assert damaged == []
    return found


def from_the_summary(store: Store, day: date) -> list[tuple[Any, ...]]:
    """What `kindcheck due` lists (and writes back), through the command's own function."""
    from kindcheck.cli.reports import _due_from_summary

    damaged: list[str] = []
    found = _due_from_summary(store, day, damaged)
    assert found is not None and damaged == []
    return as_shown(found)


def intake(reference: str, day: date, unknown: bool, signal: bool) -> dict[str, Any]:
    answers = make_answers(reference, when=day, version=2, signal=signal, problems=3 * signal)
    if unknown:
        answers["questionnaires"][0]["answers"]["pregnancy"] = "unknown"
    return answers


# -- equivalence ------------------------------------------------------------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["intake", "followup", "event", "plan", "amend", "move", "delete", "due", "home"]
        ),
        st.integers(0, len(REFERENCES) - 1),
        st.integers(0, 480),  # the day, after FIRST_DAY
        st.integers(0, 4),  # a choice within the step
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, days=st.lists(st.integers(-60, 900), min_size=1, max_size=3))
def test_due_from_the_summary_is_due_from_the_records_whatever_was_done(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[tuple[str, int, int, int]],
    days: list[int],
) -> None:
    # Home keeps the summary too (from 200 clients on; here from 1, the rule is the same).
    monkeypatch.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)
    folder = fresh_vault(tmp_path_factory.mktemp("equivalence"))
    clock = [FIRST_DAY]
    service = VaultService(folder, lambda: clock[0])
    service.unlock(PASSPHRASE)
    intakes: list[str] = []  # version-2 intakes' session ids (their pregnancy can be corrected)
    checked = [FIRST_DAY + timedelta(days=offset) for offset in days]
    with service, service.store() as store:
        for action, number, offset, choice in steps:
            reference, day = REFERENCES[number], FIRST_DAY + timedelta(days=offset)
            clock[0] = day
            client = store.find_client(reference, log=False)
            with contextlib.suppress(KindcheckError):  # refused steps change nothing
                if action == "intake" or (action == "followup" and client is None):
                    answers = intake(reference, day, unknown=choice % 2 == 0, signal=choice == 3)
                    intakes.append(service.record(session_from_dict(answers)).session.id)
                elif action == "followup":
                    answers = make_answers(
                        reference, kind="followup", when=day, version=2, signal=choice == 1
                    )
                    service.record(session_from_dict(answers))
                elif action == "event":
                    service.record_event_for(reference, EVENTS[choice], day)  # the app's path
                elif action == "plan" and client is not None:
                    rhythm = list(Rhythm)[choice % len(Rhythm)]
                    ends = None if choice < 2 else day + timedelta(days=90 * choice)
                    service.save_plan(client.id, new_plan(rhythm, day, ends), rhythm.value)
                elif action == "amend" and intakes:
                    value = ("no", "unknown", "yes")[choice % 3]
                    answer = NewAnswer("kindcheck", "pregnancy", value)
                    amend_session(store, intakes[choice % len(intakes)], [answer], "typo", day)
                elif action == "move" and intakes:
                    move_session(store, intakes[choice % len(intakes)], reference, "typo", day)
                elif action == "delete" and client is not None:
                    delete_client(store, reference, reference)  # the command line's path
                elif action == "due":
                    assert from_the_summary(store, day) == from_the_records(store, day)
                elif action == "home":
                    service.overview()
                    service.save_caseload_summary()
        for day in checked:
            assert from_the_summary(store, day) == from_the_records(store, day), day


# -- the sceptic's count ------------------------------------------------------------------------


def due(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folder: Path, *extra: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{PASSPHRASE}\n".encode())))
    with time_machine.travel(TODAY, tick=False):
        code = cli.main(
            [
                "due",
                "--all",
                "--data-dir",
                str(folder),
                "--passphrase-stdin",
                "--lang",
                "en",
                *extra,
            ]
        )
    out, err = capsys.readouterr()
    return code, out, err


def listed(folder: Path) -> str:
    """The due table as `kindcheck due --all` prints it when it reads every record."""
    from kindcheck.cli.reports import _print_due

    with (
        Store.unlock(folder, PASSPHRASE) as store,
        contextlib.redirect_stdout(io.StringIO()) as out,
    ):
        items = due_items(store, TODAY.date())
        _print_due(items, "en")
    (folder / LOCK_NAME).unlink(missing_ok=True)
    return out.getvalue()


@contextlib.contextmanager
def reads_counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], list[str]]]:
    """(every read of the whole caseload, the clients whose own records were read), for
    the block only: the test's own patches stay."""
    whole: list[str] = []
    one: list[str] = []
    with monkeypatch.context() as patch:
        for name in ("list_clients", "clients", "list_plans", "iter_facts", "iter_sessions"):
            original = getattr(Store, name)

            def counted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
                whole.append(_name)
                return _original(*args, **kw)

            patch.setattr(Store, name, counted)
        for name in ("get_client", "get_plan", "list_sessions"):
            original = getattr(Store, name)

            def of_one(
                store: Store, client_id: str, *args: Any, _original: Any = original, **kw: Any
            ) -> Any:
                one.append(client_id)
                return _original(store, client_id, *args, **kw)

            patch.setattr(Store, name, of_one)
        yield whole, one


def caseload(tmp_path: Path, clients: int = 12) -> tuple[Path, dict[str, str]]:
    """A vault of ``clients`` clients with plans, re-asks and events; their ids by reference."""
    folder = fresh_vault(tmp_path)
    ids: dict[str, str] = {}
    with Store.unlock(folder, PASSPHRASE) as store:
        service_day = FIRST_DAY
        for number in range(clients):
            reference = f"EPD-{number:03d}"
            answers = intake(
                reference, service_day, unknown=number % 3 == 0, signal=number % 4 == 1
            )
            from support.vault import record

            ids[reference] = record(store, answers).client.id
            service_day += timedelta(days=9)
    return folder, ids


def test_due_reads_only_the_clients_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, ids = caseload(tmp_path)
    code, _out, err = due(monkeypatch, capsys, folder)  # the first `due` keeps the summary
    assert code == 0, err
    service = VaultService(folder, lambda: TODAY.date())
    service.unlock(PASSPHRASE)
    with service:
        service.record_event(ids["EPD-004"], "admission", date(2026, 4, 20))
        answers = make_answers("EPD-007", kind="followup", when=date(2026, 4, 1), version=2)
        service.record(session_from_dict(answers))
    expected = listed(folder)
    with reads_counted(monkeypatch) as (whole, one):
        code, out, err = due(monkeypatch, capsys, folder)
    assert code == 0, err
    assert out == expected
    assert whole == []
    assert set(one) == {ids["EPD-004"], ids["EPD-007"]}
    with reads_counted(monkeypatch) as (whole, one):  # nothing changed since: nothing read
        assert due(monkeypatch, capsys, folder)[1] == expected
    assert (whole, one) == ([], [])


def test_a_deletion_from_the_command_line_leaves_the_summary_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)
    folder, _ids = caseload(tmp_path)
    assert due(monkeypatch, capsys, folder)[0] == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{PASSPHRASE}\n".encode())))
    words = ["delete-client", "EPD-005", "--yes-i-typed", "EPD-005", "--data-dir", str(folder)]
    assert cli.main([*words, "--passphrase-stdin", "--lang", "en"]) == 0
    capsys.readouterr()
    expected = listed(folder)
    assert "EPD-005" not in expected
    with reads_counted(monkeypatch) as (whole, one):
        assert due(monkeypatch, capsys, folder)[1] == expected
        service = VaultService(folder, lambda: TODAY.date())
        service.unlock(PASSPHRASE)
        with service:
            home = service.overview()  # the next home, in the app
    assert "EPD-005" not in [client.reference for client in home.clients]
    assert (whole, one) == ([], [])


# -- the adversary ------------------------------------------------------------------------------


def summary_blob(folder: Path) -> bytes:
    with raw(folder) as conn:
        (blob,) = conn.execute("SELECT value FROM meta WHERE name = 'caseload'").fetchone()
    return bytes(blob)


def put_summary(folder: Path, blob: bytes) -> None:
    with raw(folder) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE name = 'caseload'", (blob,))


def other_vault(tmp_path: Path) -> Path:
    """Another clinician's vault (its own key), with a summary of the same shape."""
    folder = tmp_path / "other"
    store, _recovery = Store.create(folder, PASSPHRASE, "other.user")
    with store:
        from support.vault import record

        record(store, intake("EPD-000", FIRST_DAY, unknown=True, signal=True))
    service = VaultService(folder, lambda: TODAY.date())
    service.unlock(PASSPHRASE)
    with service:  # home keeps its summary (SUMMARY_FROM_CLIENTS lowered by the test)
        service.overview(complete=True)
        assert service.save_caseload_summary()
    return folder


@pytest.mark.parametrize("tampering", ["older copy", "bit flipped", "another vault"])
def test_a_summary_tampered_with_is_never_trusted(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tampering: str,
) -> None:
    folder, ids = caseload(tmp_path)
    # The summary as the app or `due` keeps it (the code before: as the app keeps it).
    service = VaultService(folder, lambda: TODAY.date())
    service.unlock(PASSPHRASE)
    with service:
        monkeypatch.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)
        service.overview(complete=True)
        assert service.save_caseload_summary()
    older = summary_blob(folder)
    replacement = other_vault(tmp_path) if tampering == "another vault" else None
    service = VaultService(folder, lambda: TODAY.date())
    service.unlock(PASSPHRASE)
    with service:  # changes the summary must not hide: a plan ended, an event, a new client
        service.save_plan(ids["EPD-001"], new_plan(Rhythm.SAFETY, FIRST_DAY, FIRST_DAY), None)
        service.record_event(ids["EPD-002"], "crisis", date(2026, 4, 1))
        service.record(session_from_dict(intake("EPD-NEW", date(2026, 1, 5), True, True)))
    assert due(monkeypatch, capsys, folder)[0] == 0  # the summary kept up to date
    if tampering == "older copy":
        put_summary(folder, older)
    elif tampering == "bit flipped":
        blob = bytearray(summary_blob(folder))
        blob[len(blob) // 2] ^= 0x01
        put_summary(folder, bytes(blob))
    else:
        assert replacement is not None
        put_summary(folder, summary_blob(replacement))
    with Store.unlock(folder, PASSPHRASE) as store:
        named = " ".join(store.verify())
    (folder / LOCK_NAME).unlink(missing_ok=True)
    assert "meta/caseload" in named  # verify names it
    expected = listed(folder)
    code, out, err = due(monkeypatch, capsys, folder)
    assert code == 0
    assert out == expected
    assert "EPD-NEW" in out and "kindcheck:crisis" in out
    assert "damaged record" in err  # named, and `kindcheck verify` to be run


# -- the due part (meta/caseload_due): what `due` reads alone ------------------------------------


def due_part_blob(folder: Path) -> bytes | None:
    with raw(folder) as conn:
        row = conn.execute("SELECT value FROM meta WHERE name = 'caseload_due'").fetchone()
    return None if row is None else bytes(row[0])


def put_due_part(folder: Path, blob: bytes) -> None:
    with raw(folder) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE name = 'caseload_due'", (blob,))


EVERY_READ = (
    "read_caseload_summary",  # home's part of the summary: names, scans, last sessions
    *("list_clients", "clients", "list_plans", "iter_facts", "iter_sessions"),
    *("get_client", "get_plan", "list_sessions"),
)


@contextlib.contextmanager
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each read of home's part of the summary or of a client's records, by name (undoing
    only its own patches: the test's fixtures stay)."""
    read: list[str] = []
    with monkeypatch.context() as scoped:
        for name in EVERY_READ:
            original = getattr(Store, name)

            def counted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
                read.append(_name)
                return _original(*args, **kw)

            scoped.setattr(Store, name, counted)
        yield read


def home_keeps_its_summary(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary as home writes it (and as Kindcheck before the due part wrote it)."""
    service = VaultService(folder, lambda: TODAY.date())
    service.unlock(PASSPHRASE)
    with service, monkeypatch.context() as scoped:
        scoped.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)
        service.overview(complete=True)
        assert service.save_caseload_summary()


def test_due_reads_its_part_of_the_summary_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With nothing changed, `due` reads neither a client's record nor home's part of the
    summary (it is only decrypted, to know it is the one the vault last wrote)."""
    folder, _ids = caseload(tmp_path)
    assert due(monkeypatch, capsys, folder)[0] == 0
    expected = listed(folder)
    with reads(monkeypatch) as read:
        assert due(monkeypatch, capsys, folder) == (0, expected, "")
    assert read == []


def test_a_summary_without_its_due_part_is_made_whole_reading_no_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A vault whose summary home wrote last (or an older Kindcheck): the first `due` makes
    the due part from the summary, reading no client's record and naming no damage; the next
    reads the due part alone."""
    folder, ids = caseload(tmp_path)
    assert due(monkeypatch, capsys, folder)[0] == 0
    service = VaultService(folder, lambda: TODAY.date())
    service.unlock(PASSPHRASE)
    with service:
        service.record_event(ids["EPD-003"], "crisis", date(2026, 4, 1))
    home_keeps_its_summary(folder, monkeypatch)
    assert due_part_blob(folder) is None  # home's write took the due part away
    expected = listed(folder)
    assert "kindcheck:crisis" in expected
    with reads(monkeypatch) as read:
        assert due(monkeypatch, capsys, folder) == (0, expected, "")
    assert read == ["read_caseload_summary"]  # and no client's record
    assert due_part_blob(folder) is not None
    with reads(monkeypatch) as read:
        assert due(monkeypatch, capsys, folder) == (0, expected, "")
    assert read == []
    with Store.unlock(folder, PASSPHRASE) as store:
        assert store.verify() == []


@pytest.mark.parametrize("tampering", ["older copy", "bit flipped", "another vault"])
def test_a_due_part_tampered_with_is_never_trusted(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tampering: str,
) -> None:
    folder, ids = caseload(tmp_path)
    assert due(monkeypatch, capsys, folder)[0] == 0
    older = due_part_blob(folder)
    assert older is not None
    service = VaultService(folder, lambda: TODAY.date())
    service.unlock(PASSPHRASE)
    with service:  # changes an older due part would hide: an event, a new client
        service.record_event(ids["EPD-002"], "crisis", date(2026, 4, 1))
        service.record(session_from_dict(intake("EPD-NEW", date(2026, 1, 5), True, True)))
    assert due(monkeypatch, capsys, folder)[0] == 0  # summary and due part written again
    current = due_part_blob(folder)
    assert current is not None and current != older
    if tampering == "older copy":
        put_due_part(folder, older)
    elif tampering == "bit flipped":
        blob = bytearray(current)
        blob[len(blob) // 2] ^= 0x01
        put_due_part(folder, bytes(blob))
    else:
        monkeypatch.setattr(caseload_summary, "SUMMARY_FROM_CLIENTS", 1)
        other = other_vault(tmp_path)
        assert due(monkeypatch, capsys, other)[0] == 0
        foreign = due_part_blob(other)
        assert foreign is not None
        put_due_part(folder, foreign)
    with Store.unlock(folder, PASSPHRASE) as store:
        named = " ".join(store.verify())
    (folder / LOCK_NAME).unlink(missing_ok=True)
    assert "meta/caseload_due" in named  # verify names it
    expected = listed(folder)
    code, out, err = due(monkeypatch, capsys, folder)
    assert (code, out) == (0, expected)
    assert "EPD-NEW" in out and "kindcheck:crisis" in out
    assert "damaged record" in err  # named, and `kindcheck verify` to be run
    # Made again from the summary, and trusted from then on.
    assert due(monkeypatch, capsys, folder) == (0, expected, "")


def test_a_deleted_client_leaves_no_trace_in_the_due_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    folder, _ids = caseload(tmp_path)
    assert due(monkeypatch, capsys, folder)[0] == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{PASSPHRASE}\n".encode())))
    words = ["delete-client", "EPD-005", "--yes-i-typed", "EPD-005", "--data-dir", str(folder)]
    assert cli.main([*words, "--passphrase-stdin", "--lang", "en"]) == 0
    capsys.readouterr()
    with Store.unlock(folder, PASSPHRASE) as store:
        kept = [store.read_caseload_summary(), store.read_caseload_due()]
    (folder / LOCK_NAME).unlink(missing_ok=True)
    assert "EPD-005" not in json.dumps(kept)
    expected = listed(folder)
    assert due(monkeypatch, capsys, folder) == (0, expected, "")
    assert "EPD-005" not in expected
