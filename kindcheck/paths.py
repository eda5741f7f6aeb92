"""Output paths chosen by a person (export, backup, calendar file): checked, then written whole.

A file that exists is never overwritten without ``force``; a symbolic link in the way is refused
even with ``force`` (it could point anywhere, e.g. into a synced cloud folder). Writes go to a
temporary file beside the target that is flushed to disk and then renamed over it, so a full
disk or a crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from kindcheck.errors import KindcheckError


class OutputPathError(KindcheckError):
    """An output path that cannot or may not be written."""


def check_output_path(path: str | Path, force: bool = False) -> Path:
    """Resolve ``path`` and check that it may be written; return the absolute path."""
    given = Path(path).expanduser()
    if given.is_symlink():
        raise OutputPathError(f"{given}: is a symbolic link; give the real path instead")
    absolute = Path(os.path.abspath(given))
    parent = absolute.parent
    if not parent.is_dir():
        raise OutputPathError(f"{given}: the folder {parent} does not exist")
    resolved_parent = parent.resolve()
    target = resolved_parent / absolute.name
    if target.is_symlink():
        raise OutputPathError(f"{given}: is a symbolic link; give the real path instead")
    if target.is_dir():
        raise OutputPathError(f"{given}: is a folder; give a file name")
    if target.exists() and not force:
        raise OutputPathError(f"{given}: already exists; use --force to overwrite it")
    return target


def write_output(path: str | Path, data: bytes, force: bool = False) -> Path:
    """Write ``data`` to a checked path atomically; return the path written."""
    target = check_output_path(path, force)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if target.is_symlink():
            raise OutputPathError(f"{path}: became a symbolic link while writing; refused")
        if not force and target.exists():
            raise OutputPathError(f"{path}: appeared while writing; use --force to overwrite it")
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise OutputPathError(f"{path}: the disk is full; nothing was written") from None
        raise OutputPathError(f"{path}: cannot be written ({error.strerror})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return target
