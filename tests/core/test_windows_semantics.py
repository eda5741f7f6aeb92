"""What Windows does differently, simulated here where it can be (CI runs on Linux).

- No ``os.O_NOFOLLOW``: every command that writes a file the user names (``team-key``,
  ``export``, a team file, ``merge``, ``due --ics``, ``log -o``, ``backup``) must work without
  it, and a symbolic link swapped in for the temporary file must still be refused.
- ``os.O_BINARY``: the C runtime opens a descriptor in text mode unless asked, and text mode
  turns every LF byte into CR LF, which breaks a binary team file and doubles the calendar's
  CRs. Where the platform has the flag, the writer must ask for it.
- A file that is open in another program (Excel holding the CSV) cannot be replaced: Windows
  answers ``os.replace`` with a sharing violation, which Python raises as PermissionError
  (errno 13). A moment later it usually can; if it stays open, the message must say so.
- A read-only file cannot be replaced on Windows. Kindcheck refuses it everywhere, with a
  message that says why, even with --force (read-only is the user's own "do not change").
- A directory cannot be opened for fsync on Windows.
- Paths with spaces ("C:\\Users\\Jan de Vries"), and the default folders platformdirs gives on
  Windows: under AppData\\Local (a roaming profile would copy the vault to a server), with
  "kindcheck" once.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path, PureWindowsPath
from typing import Any

import platformdirs
import platformdirs.windows
import pytest
from support.vault import PASSPHRASE, make_answers

from kindcheck import cli, paths
from kindcheck.paths import OutputPathError, write_output
from kindcheck.settings import default_data_dir
from kindcheck.store import Store, state_dir
from kindcheck.store import keys as store_keys
from kindcheck.vault import UnlockThrottle

WINDOWS_O_BINARY = 0x8000  # _O_BINARY in the Windows C runtime (on Linux the same bit is harmless)


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_keys, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)
    monkeypatch.delenv("KINDCHECK_DEBUG", raising=False)


class WindowsLike:
    """The os module as Windows shows it to Kindcheck, as far as Linux can play it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open_flags: dict[str, int] = {}
        self.replace_calls = 0
        self._real_open = os.open
        self._real_replace = os.replace
        self.sharing_violations = 0  # how many next replaces meet a file open elsewhere
        monkeypatch.delattr(os, "O_NOFOLLOW", raising=False)
        monkeypatch.setattr(os, "O_BINARY", WINDOWS_O_BINARY, raising=False)
        monkeypatch.setattr(os, "open", self.open)
        monkeypatch.setattr(os, "replace", self.replace)

    def open(self, path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
        if os.path.isdir(path):
            # CreateFile without FILE_FLAG_BACKUP_SEMANTICS: a folder cannot be opened.
            raise PermissionError(errno.EACCES, "Access is denied", str(path))
        self.open_flags[os.fspath(path)] = flags
        return self._real_open(path, flags, mode, dir_fd=dir_fd)

    def replace(self, source: Any, target: Any, **kwargs: Any) -> None:
        self.replace_calls += 1
        if self.sharing_violations:
            self.sharing_violations -= 1
            raise PermissionError(
                errno.EACCES,
                "The process cannot access the file because it is being used by another process",
                str(target),
            )
        if os.path.exists(target) and not os.stat(target).st_mode & stat.S_IWRITE:
            # MoveFileEx refuses to replace a file with the read-only attribute.
            raise PermissionError(errno.EACCES, "Access is denied", str(target))
        self._real_replace(source, target, **kwargs)


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> WindowsLike:
    return WindowsLike(monkeypatch)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The writer may wait a moment before it tries again; the tests do not."""
    waits: list[float] = []
    monkeypatch.setattr(paths, "_pause", waits.append, raising=False)
    return waits


# --------------------------------------------------------------------------------------------
# Every command that writes a file, without O_NOFOLLOW


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("windows") / "vault"
    store, _recovery = Store.create(folder, PASSPHRASE, "j.devries")
    with store:
        for number in range(2):
            from kindcheck.answers import session_from_dict
            from kindcheck.outcome import compute_outcome
            from kindcheck.service.recording import record_session

            session = session_from_dict(make_answers(f"EPD-80000{number}", problems=3 * number))
            record_session(store, session, compute_outcome(session))
    return folder


@pytest.fixture
def home(template: Path, tmp_path: Path) -> Path:
    """A user folder with a space in its name, the vault inside it, and a folder for files."""
    import shutil

    user = tmp_path / "Users" / "Jan de Vries"
    shutil.copytree(template, user / "AppData" / "Local" / "kindcheck")
    (user / "Mijn documenten").mkdir(parents=True)
    return user


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: Any) -> Any:
    # twice: `team-key` asks the team key's passphrase twice; other commands read one line
    secret = f"{PASSPHRASE}\n{PASSPHRASE}\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(secret)))
    code = cli.main(["--lang", "en", *[str(arg) for arg in argv]])
    out, err = capsys.readouterr()
    return code, out, err


def vault_args(home: Path) -> list[Any]:
    return ["--data-dir", home / "AppData" / "Local" / "kindcheck", "--passphrase-stdin"]


def make_team_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folder: Path
) -> None:
    code, _out, err = run(monkeypatch, capsys, "team-key", "--passphrase-stdin", "-o", folder)
    assert (code, err) == (0, "")


def check_team_key(home: Path, docs: Path) -> None:
    assert (docs / "team-private.pem").read_bytes().startswith(b"-----BEGIN")
    assert (docs / "team-public.pem").read_bytes().startswith(b"-----BEGIN")


def check_ics(home: Path, docs: Path) -> None:
    data = (docs / "vervolg gesprekken.ics").read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"\r\r\n" not in data


def check_csv(home: Path, docs: Path) -> None:
    assert b"period" in (docs / "telling kwartaal.csv").read_bytes()


def check_log(home: Path, docs: Path) -> None:
    import json

    document = json.loads((docs / "inzage log.json").read_text("utf-8"))
    assert document["format"] == "kindcheck-access-log" and document["entries"]


def check_backup(home: Path, docs: Path) -> None:
    restored = home / "teruggezet"
    Store.restore(docs / "reservekopie vault", restored, passphrase=PASSPHRASE)
    with Store.unlock(restored, PASSPHRASE) as copy:
        assert len(copy.list_clients()) == 2


def check_merged(home: Path, docs: Path) -> None:
    assert b"period" in (docs / "team samen.csv").read_bytes()


WRITERS: dict[str, tuple[Callable[[Path, Path], list[Any]], Callable[[Path, Path], None]]] = {
    "team-key": (
        lambda home, docs: ["team-key", "--passphrase-stdin", "-o", docs],
        check_team_key,
    ),
    "due --ics": (
        lambda home, docs: ["due", *vault_args(home), "--ics", docs / "vervolg gesprekken.ics"],
        check_ics,
    ),
    "export": (
        lambda home, docs: ["export", *vault_args(home), "-o", docs / "telling kwartaal.csv"],
        check_csv,
    ),
    "log -o": (
        lambda home, docs: ["log", *vault_args(home), "-o", docs / "inzage log.json"],
        check_log,
    ),
    "backup": (
        lambda home, docs: ["backup", *vault_args(home), docs / "reservekopie vault"],
        check_backup,
    ),
}


@pytest.mark.parametrize("command", list(WRITERS))
def test_every_file_writing_command_works_without_o_nofollow(
    command: str,
    home: Path,
    windows: WindowsLike,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    docs = home / "Mijn documenten"
    argv, check = WRITERS[command]
    code, _out, err = run(monkeypatch, capsys, *argv(home, docs))
    assert "internal error" not in err
    assert code == 0, err
    check(home, docs)


def test_team_file_and_merge_work_without_o_nofollow_and_stay_byte_exact(
    home: Path,
    windows: WindowsLike,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The team file is binary: in a text-mode descriptor every LF byte would become CR LF and
    the team lead's merge would fail to decrypt it. So the writer must ask for O_BINARY."""
    docs = home / "Mijn documenten"
    keys = home / "sleutels van het team"
    keys.mkdir()
    make_team_keys(monkeypatch, capsys, keys)
    team_file = docs / "team bestand.kct"
    code, _out, err = run(
        monkeypatch,
        capsys,
        "export",
        *vault_args(home),
        "--team-key",
        keys / "team-public.pem",
        "-o",
        team_file,
    )
    assert "internal error" not in err
    assert code == 0, err
    written_with = [flags for name, flags in windows.open_flags.items() if "team bestand" in name]
    assert written_with and all(flags & WINDOWS_O_BINARY for flags in written_with)
    code, _out, err = run(
        monkeypatch,
        capsys,
        "merge",
        team_file,
        "--key",
        keys / "team-private.pem",
        "--passphrase-stdin",
        "-o",
        docs / "team samen.csv",
    )
    assert "internal error" not in err
    assert code == 0, err
    check_merged(home, docs)


def test_every_output_file_is_opened_in_binary_mode_where_the_platform_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even where O_NOFOLLOW exists: O_BINARY is a separate Windows requirement."""
    flags_seen: list[int] = []
    real_open = os.open

    def recording_open(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        flags_seen.append(flags)
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "O_BINARY", WINDOWS_O_BINARY, raising=False)
    monkeypatch.setattr(os, "open", recording_open)
    data = b"line one\nline two\n\x00\x0a\x0d binary"
    target = write_output(tmp_path / "uit.bin", data)
    assert flags_seen and all(flags & WINDOWS_O_BINARY for flags in flags_seen)
    assert target.read_bytes() == data


# --------------------------------------------------------------------------------------------
# Symbolic links without O_NOFOLLOW


@pytest.mark.parametrize("has_o_nofollow", [True, False], ids=["posix", "windows"])
def test_a_symlink_swapped_in_for_the_temporary_file_is_refused(
    has_o_nofollow: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attacker who can write to the output folder replaces the half-written temporary
    file by a link to a file of theirs; the rename would then turn the user's output into
    that link. O_NOFOLLOW does not help here (the file was already open), and Windows has
    none: the writer must check that the name still is the file it wrote."""
    if not has_o_nofollow:
        monkeypatch.delattr(os, "O_NOFOLLOW", raising=False)
    elsewhere = tmp_path / "attacker.txt"
    elsewhere.write_bytes(b"the attacker's file")
    target = tmp_path / "export.csv"
    real_fsync = os.fsync

    def swap_then_fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        for partial in tmp_path.glob(".export.csv.*"):
            partial.unlink()
            partial.symlink_to(elsewhere)

    monkeypatch.setattr(os, "fsync", swap_then_fsync)
    with pytest.raises(OutputPathError, match=r"symbolic link|changed while"):
        write_output(target, b"counts")
    assert not target.is_symlink()
    assert not target.exists()
    assert elsewhere.read_bytes() == b"the attacker's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attacker.txt"]


def test_a_symlink_planted_at_the_temporary_name_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "O_NOFOLLOW", raising=False)
    elsewhere = tmp_path / "attacker.txt"
    elsewhere.write_bytes(b"the attacker's file")
    (tmp_path / f".export.csv.{os.getpid()}.partial").symlink_to(elsewhere)
    with pytest.raises(OutputPathError):
        write_output(tmp_path / "export.csv", b"counts")
    assert elsewhere.read_bytes() == b"the attacker's file"
    assert not (tmp_path / "export.csv").exists()


# --------------------------------------------------------------------------------------------
# A file open in another program; a read-only file


def test_a_file_open_for_a_moment_is_replaced_after_a_retry(
    tmp_path: Path, windows: WindowsLike, no_waiting: list[float]
) -> None:
    target = tmp_path / "telling.csv"
    target.write_bytes(b"old")
    windows.sharing_violations = 1
    write_output(target, b"new", force=True)
    assert target.read_bytes() == b"new"
    assert windows.replace_calls == 2
    assert 0 < sum(no_waiting) <= 2.0  # waited a moment, not long
    assert sorted(p.name for p in tmp_path.iterdir()) == ["telling.csv"]


def test_a_file_kept_open_gives_a_clear_message_and_keeps_the_old_file(
    home: Path,
    windows: WindowsLike,
    no_waiting: list[float],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    docs = home / "Mijn documenten"
    target = docs / "telling kwartaal.csv"
    target.write_bytes(b"old counts")
    windows.sharing_violations = 1000
    code, _out, err = run(monkeypatch, capsys, "export", *vault_args(home), "-o", target, "--force")
    assert code == 1
    assert "internal error" not in err
    assert "open in another program" in err and "nothing was written" in err
    assert target.read_bytes() == b"old counts"
    assert sorted(p.name for p in docs.iterdir()) == ["telling kwartaal.csv"]
    assert 2 <= windows.replace_calls <= 10  # tried again, but gave up
    assert sum(no_waiting) <= 5.0


@pytest.mark.parametrize("platform", ["posix", "windows"])
def test_a_read_only_file_is_refused_even_with_force(
    platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same answer on every OS: on Windows the replace would fail anyway; on Linux and macOS
    it would silently replace a file the user marked read-only."""
    if platform == "windows":
        WindowsLike(monkeypatch)
    target = tmp_path / "vervolg gesprekken.ics"
    target.write_bytes(b"old")
    target.chmod(stat.S_IREAD)
    try:
        with pytest.raises(OutputPathError, match="read-only"):
            write_output(target, b"new", force=True)
        assert target.read_bytes() == b"old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["vervolg gesprekken.ics"]
    finally:
        target.chmod(stat.S_IREAD | stat.S_IWRITE)


def test_a_read_only_file_is_refused_before_the_passphrase_is_asked(
    home: Path,
    windows: WindowsLike,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = home / "Mijn documenten" / "vervolg gesprekken.ics"
    target.write_bytes(b"old")
    target.chmod(stat.S_IREAD)
    asked: list[str] = []
    monkeypatch.setattr(Store, "unlock", classmethod(lambda cls, *a, **k: asked.append("unlock")))
    code, _out, err = run(monkeypatch, capsys, "due", *vault_args(home), "--ics", target, "--force")
    assert code == 1
    assert "read-only" in err and "internal error" not in err
    assert asked == []
    assert target.read_bytes() == b"old"


# --------------------------------------------------------------------------------------------
# Where things live on Windows


@pytest.fixture
def windows_folders(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    known = {
        "CSIDL_LOCAL_APPDATA": r"C:\Users\Jan de Vries\AppData\Local",
        "CSIDL_APPDATA": r"C:\Users\Jan de Vries\AppData\Roaming",
        "CSIDL_COMMON_APPDATA": r"C:\ProgramData",
    }
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", known.__getitem__)
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.windows.Windows)
    monkeypatch.delenv("KINDCHECK_STATE_DIR", raising=False)
    yield


def test_the_vault_lives_under_local_appdata_on_windows(windows_folders: None) -> None:
    folder = PureWindowsPath(str(default_data_dir()))
    assert folder == PureWindowsPath(r"C:\Users\Jan de Vries\AppData\Local\kindcheck")
    assert folder.drive == "C:"


def test_the_rollback_counters_live_under_local_appdata_on_windows(windows_folders: None) -> None:
    folder = PureWindowsPath(str(state_dir()))
    assert folder.drive == "C:"
    assert folder.is_relative_to(r"C:\Users\Jan de Vries\AppData\Local")
    assert folder.parts.count("kindcheck") == 1
