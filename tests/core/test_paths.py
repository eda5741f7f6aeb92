"""Output paths: no overwrite without --force, no symlinks, nothing half-written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from kindcheck.paths import (
    InputFileError,
    OutputPathError,
    check_output_path,
    read_regular_file,
    readable_by_others,
    write_output,
)


def test_writes_a_new_file(tmp_path: Path) -> None:
    target = write_output(tmp_path / "out.csv", b"a,b\n")
    assert target.read_bytes() == b"a,b\n"
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_existing_file_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    with pytest.raises(OutputPathError, match="already exists; use --force"):
        write_output(target, b"new")
    assert target.read_bytes() == b"old"
    write_output(target, b"new", force=True)
    assert target.read_bytes() == b"new"


def test_symlink_is_refused_even_with_force(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"keep")
    link = tmp_path / "out.csv"
    link.symlink_to(elsewhere)
    for force in (False, True):
        with pytest.raises(OutputPathError, match="symbolic link"):
            write_output(link, b"x", force=force)
    assert elsewhere.read_bytes() == b"keep"


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputPathError, match="symbolic link"):
        check_output_path(link)
    assert not (tmp_path / "nowhere").exists()


def test_missing_folder_and_folder_as_target(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match="does not exist"):
        check_output_path(tmp_path / "no" / "out.csv")
    with pytest.raises(OutputPathError, match="is a folder"):
        check_output_path(tmp_path, force=True)


def test_full_disk_leaves_the_old_file_and_no_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputPathError, match="the disk is full; nothing was written"):
        write_output(target, b"new", force=True)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# --------------------------------------------------------------------------------------------
# Input files: only regular files, read with a bound (issue 13)


def test_a_regular_file_is_read_whole_and_a_large_one_refused(tmp_path: Path) -> None:
    small = tmp_path / "small.json"
    small.write_bytes(b"x" * 100)
    assert read_regular_file(small, 100) == b"x" * 100
    with pytest.raises(InputFileError, match=r"small.json: file is larger than 0 KiB"):
        read_regular_file(small, 99)
    with pytest.raises(InputFileError, match="file not found"):
        read_regular_file(tmp_path / "missing.json", 100)
    with pytest.raises(InputFileError, match="is a folder, not an answers file"):
        read_regular_file(tmp_path, 100, "an answers file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(
        InputFileError, match=r"pipe.json: not a regular file \(it is a named pipe\)"
    ):
        read_regular_file(fifo, 100)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_refused() -> None:
    with pytest.raises(InputFileError, match=r"/dev/zero: not a regular file \(it is a device\)"):
        read_regular_file("/dev/zero", 100)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_file_others_can_read_is_told(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0o600)
    assert readable_by_others(secret) is None
    secret.chmod(0o644)
    assert readable_by_others(secret) == "mode 0644"  # words for any language


def test_without_posix_modes_there_is_no_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    monkeypatch.setattr(os, "name", "nt")
    assert readable_by_others(secret) is None
