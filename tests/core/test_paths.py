"""Output paths: no overwrite without --force, no symlinks, nothing half-written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from kindcheck.paths import OutputPathError, check_output_path, write_output


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
