"""Durability: killed processes, a full disk, a read-only folder, damaged files, two copies.

Real failures where this machine allows them, in subprocesses so the test process is never
limited or killed itself:

- SIGKILL at random moments during a loop of saves (12 rounds here; ``pytest -m soak`` runs
  200). Every save that returned (its id printed) must be there and decrypt, the file must pass
  ``PRAGMA integrity_check``, and no plain text may appear in any file, hot journals included.
- A full disk, two ways: RLIMIT_FSIZE with SIGXFSZ ignored (works everywhere, even as root; a
  write past the limit fails with EFBIG, which SQLite reports as an I/O error), and a real
  ENOSPC on a tiny tmpfs mounted in a private mount namespace (``unshare -m``; skipped where
  that is not permitted).
- A read-only data folder: a read-only bind mount in a private mount namespace (root ignores
  chmod), else the immutable attribute (``chattr +i``), else skipped. Reading works there,
  saving is refused with a clear message, and the file is never changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.vault import PASSPHRASE, make_answers

from kindcheck import cli
from kindcheck import store as store_module
from kindcheck.store import DB_NAME, LOCK_NAME, Store
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("durability") / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "tester")
    store.close()
    (folder / LOCK_NAME).unlink()
    return folder


@pytest.fixture
def vault(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "vault"
    shutil.copytree(template, folder)
    return folder


@pytest.fixture
def private_tmp(tmp_path: Path) -> Path:
    folder = tmp_path / "private-tmp"
    folder.mkdir()
    return folder


def child_env(tmp: Path) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KINDCHECK_")
    }
    environment.update({"TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)})
    return environment


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def integrity(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:  # rolls back a hot journal first, as SQLite must
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def scan_for(needle: str, *roots: Path) -> list[Path]:
    return [
        path
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and needle.encode() in path.read_bytes()
    ]


# --------------------------------------------------------------------------------------------
# SIGKILL during saves

SAVE_LOOP = """
import sys
from pathlib import Path
from kindcheck.store import Store
folder, passphrase, canary = sys.argv[1:4]
store = Store.unlock(Path(folder), passphrase)
client = store.find_client("EPD-LOOP") or store.add_client("EPD-LOOP", canary + " name")
print("ready", flush=True)
number = 0
while True:
    number += 1
    answers = {"kind": "intake", "date": "2026-03-02", "setting": "ggz", "questionnaires": [],
               "client": {"reference": "EPD-LOOP"},
               "note": f"{canary} {number} " + "x" * (number % 7 * 900)}
    summary = store.save_session(client.id, answers, {"problem_domain_count": number % 4})
    print("s", summary.id, flush=True)
    if number % 5 == 0:
        draft = store.save_draft({"note": f"{canary} draft {number}"}, "EPD-LOOP")
        print("d", draft.id, flush=True)
    if number % 7 == 0:
        store.set_meldcode_step(summary.id, "consult", None, f"{canary} note")
    if number % 11 == 0:
        # Announced before: a kill right after the delete commits must not count as a loss.
        print("x", draft.id, flush=True)
        store.delete_draft(draft.id)
"""


def kill_loop(vault: Path, tmp: Path, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    canary = f"KILLCANARY{uuid.uuid4().hex[:10]}"
    sessions: set[str] = set()
    drafts: set[str] = set()
    hot_journals = 0
    for round_number in range(rounds):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVE_LOOP, str(vault), PASSPHRASE, canary],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(tmp),
        )
        assert child.stdout is not None
        try:
            if round_number % 4 == 3:
                # Now and then during start-up or unlock rather than during saves.
                time.sleep(rng.uniform(0.0, 0.6))
            else:
                assert child.stdout.readline() == "ready\n", child.stderr.read()  # type: ignore[union-attr]
                time.sleep(rng.uniform(0.0, 0.25))
            child.send_signal(signal.SIGKILL)
            output, errors = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == -signal.SIGKILL, errors
        for line in output.splitlines():
            parts = line.split()
            if len(parts) == 2 and HEX_ID.match(parts[1]):
                if parts[0] == "s":
                    sessions.add(parts[1])
                elif parts[0] == "d":
                    drafts.add(parts[1])
                elif parts[0] == "x":
                    drafts.discard(parts[1])
        if (vault / (DB_NAME + "-journal")).exists() and (
            vault / (DB_NAME + "-journal")
        ).stat().st_size > 0:
            hot_journals += 1
        # Right after the kill, before anything recovers: the hot journal is on disk too.
        assert scan_for(canary, vault, tmp) == [], f"round {round_number}"
        assert integrity(vault / DB_NAME) == ["ok"], f"round {round_number}"

    with Store.unlock(vault, PASSPHRASE) as store:
        for session_id in sessions:
            stored = store.get_session(session_id)
            assert stored is not None, f"a returned save is missing: {session_id}"
            assert stored.answers["note"].startswith(canary)
        stored_drafts = {draft.id for draft in store.list_drafts()}
        assert drafts <= stored_drafts
        assert store.verify() == []
    assert sessions, "no save returned in any round: the kill loop tested nothing"
    print(f"{rounds} kills, {len(sessions)} returned saves, {hot_journals} hot journals left")


def test_sigkill_during_saves_loses_no_returned_save(vault: Path, private_tmp: Path) -> None:
    kill_loop(vault, private_tmp, rounds=12, seed=20261125)


@pytest.mark.soak
def test_sigkill_soak(vault: Path, private_tmp: Path) -> None:
    kill_loop(vault, private_tmp, rounds=200, seed=random.randrange(2**32))


# --------------------------------------------------------------------------------------------
# A full disk

FILE_SIZE_LIMIT = """
import resource, signal, sys
from pathlib import Path
from kindcheck.errors import VaultError
from kindcheck.store import Store
folder, passphrase = sys.argv[1:3]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
store = Store.unlock(Path(folder), passphrase)
client = store.add_client("EPD-FULL")
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, ((Path(folder) / "kindcheck.db").stat().st_size, hard))
answers = {"kind": "intake", "date": "2026-03-02", "note": "x" * 3000}
for number in range(500):
    try:
        summary = store.save_session(client.id, answers, {})
    except VaultError as error:
        print("error", error, flush=True)
        break
    print("s", summary.id, flush=True)
print("count", store.count_records()["session"], flush=True)
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
print("s", store.save_session(client.id, answers, {}).id, flush=True)  # room again: no restart
store.close()
"""


def _saved_ids(output: str) -> list[str]:
    return [line.split()[1] for line in output.splitlines() if line.startswith("s ")]


def test_full_disk_file_size_limit(vault: Path, private_tmp: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMIT, str(vault), PASSPHRASE],
        capture_output=True,
        text=True,
        env=child_env(private_tmp),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (error,) = [line for line in result.stdout.splitlines() if line.startswith("error ")]
    assert error.endswith(": nothing was saved")
    assert "full" in error
    saved = _saved_ids(result.stdout)
    count = int(re.search(r"^count (\d+)$", result.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert count == len(saved) - 1  # the failed save left nothing behind
    assert integrity(vault / DB_NAME) == ["ok"]
    with Store.unlock(vault, PASSPHRASE) as store:
        assert {s.id for s in store.iter_sessions()} == set(saved)
        assert store.verify() == []


CREATE_UNDER_LIMIT = """
import resource, signal, sys
from pathlib import Path
from kindcheck.errors import VaultError
from kindcheck.store import Store
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (6000, hard))
try:
    Store.create(Path(sys.argv[1]), sys.argv[2], "tester")
except VaultError as error:
    print("error", error)
"""


def test_full_disk_while_creating_leaves_no_half_vault(tmp_path: Path, private_tmp: Path) -> None:
    folder = tmp_path / "new-vault"
    result = subprocess.run(
        [sys.executable, "-c", CREATE_UNDER_LIMIT, str(folder), PASSPHRASE],
        capture_output=True,
        text=True,
        env=child_env(private_tmp),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("error ") and "nothing was saved" in result.stdout
    assert sorted(path.name for path in folder.iterdir()) == [LOCK_NAME]
    assert not Store.exists(folder)


@pytest.fixture(scope="module")
def mount_namespaces() -> bool:
    """Whether this process may make private mounts (root with CAP_SYS_ADMIN, no seccomp ban)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


TINY_DISK = """
import sys
from pathlib import Path
from kindcheck.errors import VaultError
from kindcheck.store import Store
folder, passphrase = Path(sys.argv[1]), sys.argv[2]
store = Store.unlock(folder, passphrase)
client = store.add_client("EPD-TMPFS")
with open(folder.parent / "filler", "wb", buffering=0) as filler:
    try:
        while True:
            filler.write(bytes(4096))
    except OSError:
        pass  # the disk is full now
answers = {"kind": "intake", "date": "2026-03-02", "note": "y" * 3000}
for number in range(200):
    try:
        summary = store.save_session(client.id, answers, {})
    except VaultError as error:
        print("error", error, flush=True)
        break
    print("s", summary.id, flush=True)
store.close()
"""


def test_full_disk_real_enospc(
    vault: Path, tmp_path: Path, private_tmp: Path, mount_namespaces: bool
) -> None:
    if not mount_namespaces:
        pytest.skip("no private mount namespaces here (unshare -m not permitted)")
    mount_point, out = tmp_path / "tiny", tmp_path / "out"
    mount_point.mkdir()
    out.mkdir()
    script = (
        'set -e; mount -t tmpfs -o size=1m tmpfs "$1"; cp -a "$2" "$1/vault"; '
        '"$3" -c "$4" "$1/vault" "$5"; cp -a "$1/vault/." "$6/"'
    )
    result = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            script,
            "sh",
            str(mount_point),
            str(vault),
            sys.executable,
            TINY_DISK,
            PASSPHRASE,
            str(out),
        ],
        capture_output=True,
        text=True,
        env=child_env(private_tmp),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (error,) = [line for line in result.stdout.splitlines() if line.startswith("error ")]
    assert error == "error the disk is full: nothing was saved"
    assert integrity(out / DB_NAME) == ["ok"]
    with Store.unlock(out, PASSPHRASE) as store:
        assert {s.id for s in store.iter_sessions()} == set(_saved_ids(result.stdout))
        assert store.find_client("EPD-TMPFS") is not None
        assert store.verify() == []


# --------------------------------------------------------------------------------------------
# A read-only data folder


def _run_read_only_commands(
    vault: Path, answers: Path, run_in: list[str], tmp: Path
) -> list[subprocess.CompletedProcess[str]]:
    results = []
    for command in (["list"], ["record", str(answers)], ["verify"]):
        results.append(
            subprocess.run(
                [
                    *run_in,
                    sys.executable,
                    "-m",
                    "kindcheck.cli",
                    *command,
                    "--data-dir",
                    str(vault),
                    "--passphrase-stdin",
                ],
                input=PASSPHRASE + "\n",
                capture_output=True,
                text=True,
                env=child_env(tmp),
                timeout=60,
            )
        )
    return results


def test_read_only_data_dir_bind_mount(
    vault: Path, tmp_path: Path, private_tmp: Path, mount_namespaces: bool
) -> None:
    if not mount_namespaces:
        pytest.skip("no private mount namespaces here (unshare -m not permitted)")
    Store.unlock(vault, PASSPHRASE).close()  # the lock file exists, as on a used laptop
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(make_answers("EPD-RO")), "utf-8")
    before = digest(vault / DB_NAME)
    wrapper = [
        "unshare",
        "-m",
        "sh",
        "-c",
        'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
        str(vault),
    ]
    # Reading works on read-only media (issue 13): the lock is taken on this computer
    # instead, and the reads are logged there until the vault is writable again. Saving is
    # refused and says why.
    listed, recorded, verified = _run_read_only_commands(vault, answers, wrapper, private_tmp)
    for result in (listed, verified):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    assert recorded.returncode == 1, recorded.stdout
    # in the CLI's default language, Dutch (the English text is the same catalog entry)
    assert "alleen-lezen schijf of map: er is niets bewaard" in recorded.stderr
    assert "Traceback" not in recorded.stderr
    init = subprocess.run(
        [
            *wrapper,
            sys.executable,
            "-m",
            "kindcheck.cli",
            "init",
            "--data-dir",
            str(vault / "inner"),
            "--passphrase-stdin",
        ],
        input=PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        env=child_env(private_tmp),
        timeout=60,
    )
    assert init.returncode == 1 and "alleen-lezen schijf" in init.stderr
    assert digest(vault / DB_NAME) == before


@pytest.fixture
def immutable(vault: Path) -> Iterator[bool]:
    """chattr +i on the folder and its files (refused even to root), undone afterwards."""
    paths = [vault, *vault.iterdir()]
    done = (
        shutil.which("chattr") is not None
        and subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True).returncode == 0
    )
    try:
        yield done
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)


def test_read_only_data_dir_immutable(
    vault: Path,
    immutable: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not immutable:
        pytest.skip("chattr +i is not available here")
    before = digest(vault / DB_NAME)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PASSPHRASE.encode())))
    # Listing works read-only (issue 13: read-only media can be listed, verified, backed up).
    assert cli.main(["list", "--data-dir", str(vault), "--passphrase-stdin"]) == 0
    assert "Nog geen cliënten." in capsys.readouterr().out
    assert digest(vault / DB_NAME) == before


def _make_read_only(path: Path) -> bool:
    """chmod for a normal user; root ignores modes, so the immutable attribute for root."""
    if os.geteuid() != 0:
        path.chmod(0o400)
        return True
    return (
        shutil.which("chattr") is not None
        and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    )


def test_read_only_vault_file(vault: Path) -> None:
    """The folder is writable but the file is not: reading works, saving says why it fails."""
    Store.unlock(vault, PASSPHRASE).close()
    db = vault / DB_NAME
    try:
        if not _make_read_only(db):
            pytest.skip("cannot make the vault file read-only here")
        before = digest(db)
        with Store.unlock(vault, PASSPHRASE) as store:
            assert store.list_clients() == []
            with pytest.raises(
                store_module.VaultError, match="read-only disk or folder: nothing was saved"
            ):
                store.add_client("EPD-RO")
            assert store.list_clients() == []
        assert digest(db) == before
    finally:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True)
        db.chmod(0o600)


# --------------------------------------------------------------------------------------------
# Damaged files through the command line


@pytest.mark.parametrize("damage", ["not a database", "truncated", "zeroed header"])
def test_damaged_vault_files_get_a_clear_message(
    vault: Path, damage: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.unlock(vault, PASSPHRASE) as store:
        for number in range(20):
            store.save_draft({"note": f"{number} " + "z" * 3000})
    db = vault / DB_NAME
    content = db.read_bytes()
    if damage == "not a database":
        db.write_text("Dear diary,\n" * 500, "utf-8")
    elif damage == "truncated":
        db.write_bytes(content[: len(content) // 2])
    else:
        db.write_bytes(bytes(100) + content[100:])
    before = digest(db)
    outcomes = []
    for command in ("list", "verify"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PASSPHRASE.encode())))
        code = cli.main([command, "--data-dir", str(vault), "--passphrase-stdin"])
        captured = capsys.readouterr()
        outcomes.append((code, captured.out + captured.err))
    for code, text in outcomes:
        assert code == 1
        assert "Traceback" not in text and "internal error" not in text
    assert any(word in outcomes[1][1] for word in ("damaged", "not a Kindcheck vault"))
    assert digest(db) == before


# --------------------------------------------------------------------------------------------
# Two running copies


def test_a_second_running_copy_is_refused_and_nothing_is_lost(
    vault: Path, tmp_path: Path, private_tmp: Path
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(make_answers("EPD-TWO", problems=1)), "utf-8")
    first = Store.unlock(vault, PASSPHRASE)
    try:
        client = first.add_client("EPD-FIRST")
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "kindcheck.cli",
                "record",
                str(answers),
                "--data-dir",
                str(vault),
                "--passphrase-stdin",
            ],
            input=PASSPHRASE + "\n",
            capture_output=True,
            text=True,
            env=child_env(private_tmp),
            timeout=60,
        )
        assert second.returncode == 1
        assert "open in een ander Kindcheck-venster of -proces; sluit dat eerst" in second.stderr
        first.save_session(client.id, make_answers("EPD-FIRST"), {})
    finally:
        first.close()
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "kindcheck.cli",
            "record",
            str(answers),
            "--data-dir",
            str(vault),
            "--passphrase-stdin",
        ],
        input=PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        env=child_env(private_tmp),
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    with Store.unlock(vault, PASSPHRASE) as store:
        references = sorted(o.client.reference for o in store.list_clients())
        assert references == ["EPD-FIRST", "EPD-TWO"]
        assert sum(o.session_count for o in store.list_clients()) == 2
