"""The command line as a clinician or team lead meets it (issue 11, items 14 and 15): times
that say which zone they are in, messages in the chosen language, and passphrase changes and
recovery-key unlocks written to the access log like every other use of the vault.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from support.vault import PASSPHRASE

from kindcheck import cli
from kindcheck.store import Store
from kindcheck.store import keys as store_module
from kindcheck.vault import UnlockThrottle

NEW_PASSPHRASE = "een heel ander wachtwoord"
TIME = re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4}) (\d{2}):(\d{2})")


@pytest.fixture(autouse=True)
def no_real_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_THROTTLE", UnlockThrottle(sleep=lambda seconds: None))
    monkeypatch.delenv("KINDCHECK_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("KINDCHECK_DATA_DIR", raising=False)
    monkeypatch.delenv("KINDCHECK_LANG", raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("cli-walk") / "vault"
    store, recovery = Store.create(folder, PASSPHRASE, "t.tester")
    store.close()
    return folder, str(recovery)


@pytest.fixture
def vault(template: tuple[Path, str], tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(template[0], target)
    return target


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def entries(folder: Path, passphrase: str) -> list[object]:
    store = Store.unlock(folder, passphrase)
    try:
        return list(store.access_log())
    finally:
        store.close()


@pytest.fixture
def utc_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A laptop whose clock runs on UTC (as the one the issue was found on)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is Unix only")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_log_says_which_time_it_prints(
    vault: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, utc_machine
):
    code, out, err = run(
        capsys, monkeypatch, "log", "--data-dir", vault, "--passphrase-stdin", stdin=PASSPHRASE
    )
    assert code == 0, err
    dutch = re.search(r"Nederlandse tijd|Europe/Amsterdam|CES?T", out)
    utc = re.search(r"\bUTC\b|\+00:00", out)
    assert dutch or utc, f"the log prints times without saying in which zone:\n{out}"
    # The time printed is the time of the zone it names (the latest entry: this reading).
    latest = entries(vault, PASSPHRASE)[-1]
    moment = datetime.fromisoformat(latest.at)  # type: ignore[attr-defined]
    zone = ZoneInfo("Europe/Amsterdam") if dutch else ZoneInfo("UTC")
    shown = [(int(h), int(m)) for _day, h, m in TIME.findall(out)]
    local = moment.astimezone(zone)
    assert (local.hour, local.minute) in shown, (local, out)


def test_errors_speak_the_language_of_the_command_line(
    vault: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    code, _out, err = run(
        capsys,
        monkeypatch,
        "list",
        "--lang",
        "nl",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        stdin="niet de goede wachtzin\n",
    )
    assert code == 1
    assert "wachtzin" in err and "wrong passphrase" not in err, err
    code, _out, err = run(capsys, monkeypatch, "outcome", "--lang", "nl", tmp_path / "weg.json")
    assert code == 1
    assert "not found" not in err and "niet" in err, err


def test_a_passphrase_change_is_in_the_access_log(
    vault: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    before = len(entries(vault, PASSPHRASE))
    code, _out, err = run(
        capsys,
        monkeypatch,
        "passwd",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        stdin=f"{PASSPHRASE}\n{NEW_PASSPHRASE}\n",
    )
    assert code == 0, err
    after = entries(vault, NEW_PASSPHRASE)[before:]
    about = [
        e
        for e in after
        if re.search("passphrase|wachtzin|wachtwoord", e.detail or "", re.I)  # type: ignore[attr-defined]
    ]
    assert about, [(e.action, e.detail) for e in after]  # type: ignore[attr-defined]


def test_opening_with_the_recovery_key_is_in_the_access_log(
    vault: Path,
    template: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    before = len(entries(vault, PASSPHRASE))
    code, _out, err = run(
        capsys,
        monkeypatch,
        "passwd",
        "--recovery",
        "--data-dir",
        vault,
        "--passphrase-stdin",
        stdin=f"{template[1]}\n{NEW_PASSPHRASE}\n",
    )
    assert code == 0, err
    after = entries(vault, NEW_PASSPHRASE)[before:]
    about = [
        e
        for e in after
        if re.search("recovery|herstel", e.detail or "", re.I)  # type: ignore[attr-defined]
    ]
    assert about, [(e.action, e.detail) for e in after]  # type: ignore[attr-defined]
